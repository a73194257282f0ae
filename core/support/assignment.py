"""Optional auto-assignment: with ``WALLETDESK_AUTO_ASSIGN=round_robin`` each new
ticket goes to the next listed staff member (the desk's roster, in the order listed)
who is on shift: within the support hours (:class:`core.support.hours.SupportHours`)
and not off shift by their own ``/shift off``. Outside support hours, or with
nobody on shift, a ticket stays unassigned.

The turn is kept in the store (the ``assign_cursor`` row, locked ``FOR UPDATE``
on PostgreSQL, under SQLite's write lock otherwise) inside the transaction that
opens the ticket, so any number of processes share one fair rotation. The roster
comes from the desk adapter's settings through the contract
(:attr:`core.identity.policy.StaffPolicy.rotation`); the adapter's settings refuse
round-robin without one.
"""

from __future__ import annotations

from collections.abc import Callable

from core.config import Settings
from core.i18n import t
from core.identity.policy import Actor, Permission, StaffPolicy
from core.storage import SqlTx, Store
from core.support.hours import SupportHours

__all__ = ["Assigner"]


class Assigner:
    def __init__(self, settings: Settings, store: Store, policy: StaffPolicy, hours: SupportHours,
                 clock: Callable[[], float]) -> None:
        self.enabled = settings.auto_assign == "round_robin"
        self.rotation = policy.rotation
        self.store = store
        self.policy = policy
        self.hours = hours
        self.clock = clock

    async def pick(self, tx: SqlTx, now: float) -> str | None:
        """The staff key the next new ticket goes to (and the turn moves on), or None."""
        if not self.enabled or not self.rotation or not self.hours.is_staffed(now):
            return None
        off = await tx.off_shift()
        if all(key in off for key in self.rotation):
            return None
        last = await tx.lock_round_robin()
        start = self.rotation.index(last) + 1 if last in self.rotation else 0
        for step in range(len(self.rotation)):
            candidate = self.rotation[(start + step) % len(self.rotation)]
            if candidate not in off:
                await tx.set_round_robin(candidate)
                return candidate
        return None  # unreachable: someone is on shift

    async def shift(self, actor: Actor, text: str, lang: str) -> str:
        """``/shift on|off|status``, answered with one line (staff only)."""
        self.policy.require(actor, Permission.STAFF)
        word = text.strip().lower()
        if word not in ("on", "off", "status", ""):
            return t("shift.usage", lang)
        async with self.store.transaction() as tx:
            if word in ("on", "off"):
                await tx.set_shift(actor.key, word == "on", self.clock())
            on = actor.key not in await tx.off_shift()
        line = t("shift.on" if on else "shift.off", lang)
        if not self.enabled:
            line += " " + t("shift.auto_assign_off", lang)
        elif actor.key not in self.rotation:
            line += " " + t("shift.not_in_rotation", lang)
        return line
