"""Store queries for parked tickets: waiting on the user (since when, the one
nudge) and snoozes. One row per ticket in ``ticket_parking``; every timer step
is a conditional update, so across processes exactly one caller wins it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Parking", "ParkingRows"]


@dataclass(frozen=True, slots=True)
class Parking:
    ticket_id: int
    waiting_since: float | None
    waiting_by: str | None
    nudged_at: float | None
    snoozed_until: float | None
    snoozed_by: str | None


def _parking(row: dict[str, Any]) -> Parking:
    return Parking(int(row["ticket_id"]), row["waiting_since"], row["waiting_by"], row["nudged_at"],
                   row["snoozed_until"], row["snoozed_by"])


class ParkingRows:
    """Mixin of :class:`core.storage.base.SqlTx` (``self._c`` is its connection)."""

    __slots__ = ()
    _c: Any

    async def _ensure_parking(self, ticket_id: int) -> None:
        await self._c.execute("INSERT INTO ticket_parking(ticket_id) VALUES (?) ON CONFLICT (ticket_id) DO NOTHING",
                              (ticket_id,))

    async def parking(self, ticket_id: int) -> Parking | None:
        row = await self._c.fetchone("SELECT * FROM ticket_parking WHERE ticket_id = ?", (ticket_id,))
        return _parking(row) if row else None

    async def set_waiting(self, ticket_id: int, since: float, by: str) -> None:
        """Start (or restart) waiting on the user: the nudge is due again."""
        await self._ensure_parking(ticket_id)
        await self._c.execute(
            "UPDATE ticket_parking SET waiting_since = ?, waiting_by = ?, nudged_at = NULL WHERE ticket_id = ?",
            (since, by, ticket_id))

    async def set_snooze(self, ticket_id: int, until: float | None, by: str | None) -> None:
        await self._ensure_parking(ticket_id)
        await self._c.execute("UPDATE ticket_parking SET snoozed_until = ?, snoozed_by = ? WHERE ticket_id = ?",
                              (until, by, ticket_id))

    async def clear_parking(self, ticket_id: int) -> Parking | None:
        """Forget waiting and snooze (the user wrote, or the ticket left the queue); what was there."""
        row = await self._c.fetchone("DELETE FROM ticket_parking WHERE ticket_id = ? RETURNING *", (ticket_id,))
        return _parking(row) if row else None

    async def parked(self) -> list[Parking]:
        """Every ticket waiting or snoozed (the timers walk them)."""
        rows = await self._c.fetchall(
            "SELECT * FROM ticket_parking WHERE waiting_since IS NOT NULL OR snoozed_until IS NOT NULL"
            " ORDER BY ticket_id")
        return [_parking(r) for r in rows]

    async def snoozed_ticket_ids(self, now: float) -> set[int]:
        rows = await self._c.fetchall("SELECT ticket_id FROM ticket_parking WHERE snoozed_until > ?", (now,))
        return {int(r["ticket_id"]) for r in rows}

    async def mark_nudged(self, ticket_id: int, since: float, now: float) -> bool:
        """True for the one caller that records the nudge of the wait that began at ``since``."""
        n = await self._c.execute(
            "UPDATE ticket_parking SET nudged_at = ? WHERE ticket_id = ? AND waiting_since = ? AND nudged_at IS NULL",
            (now, ticket_id, since))
        return n == 1

    async def end_waiting(self, ticket_id: int, since: float) -> bool:
        """True for the one caller that ends the (nudged) wait that began at ``since``."""
        n = await self._c.execute(
            "UPDATE ticket_parking SET waiting_since = NULL, waiting_by = NULL, nudged_at = NULL"
            " WHERE ticket_id = ? AND waiting_since = ? AND nudged_at IS NOT NULL", (ticket_id, since))
        return n == 1

    async def restart_waiting(self, ticket_id: int, since: float) -> None:
        """Staff wrote again on a ticket that waits: the nudge counts from now (no-op when none waits)."""
        await self._c.execute(
            "UPDATE ticket_parking SET waiting_since = ?, nudged_at = NULL WHERE ticket_id = ? AND waiting_since IS NOT NULL",
            (since, ticket_id))

    async def stop_waiting(self, ticket_id: int) -> None:
        """The ticket stopped waiting on the user (claimed, resolved, ...): no nudge follows."""
        await self._c.execute(
            "UPDATE ticket_parking SET waiting_since = NULL, waiting_by = NULL, nudged_at = NULL"
            " WHERE ticket_id = ? AND waiting_since IS NOT NULL", (ticket_id,))

    async def end_snooze(self, ticket_id: int, until: float) -> bool:
        """True for the one caller that ends the snooze that ran until ``until``."""
        n = await self._c.execute(
            "UPDATE ticket_parking SET snoozed_until = NULL, snoozed_by = NULL WHERE ticket_id = ? AND snoozed_until = ?",
            (ticket_id, until))
        return n == 1
