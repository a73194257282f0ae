"""The staff channel's daily digest: once a day at ``WALLETDESK_DIGEST_AT``
(HH:MM in ``WALLETDESK_TIMEZONE``, the support hours' zone), one message with
the backlog by priority, the ticket waiting longest for staff, and the SLA
breaches of the last 24 hours. Every worker's timer tick may try; the store's
event key (``digest:<local date>``) lets exactly one of them post it. A process
started after the time posts that day's digest at once (once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.config import Settings
from core.i18n import t
from core.models import Priority, Ticket
from core.storage import SqlTx, Store
from core.support.desk import TicketDesk
from core.support.outbox import Effects

__all__ = ["ACTIVE", "AWAITING_STAFF", "DAY", "DailyDigest", "DigestFigures", "age_text", "by_priority"]

DAY = 86400.0
ACTIVE = ("open", "claimed", "waiting_on_user")
AWAITING_STAFF = ("open", "claimed")  # waiting for staff (not on the user)
_ORDER = tuple(p.value for p in (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW))


def age_text(seconds: float, lang: str) -> str:
    minutes = max(0, int(seconds // 60))
    days, hours = minutes // 1440, minutes % 1440 // 60
    if days:
        return t("home.age_days", lang, days=days, hours=hours)
    return t("home.age_hours", lang, hours=hours, minutes=minutes % 60)


def by_priority(counts: dict[str, int], lang: str) -> str:
    return t("home.by_priority", lang, **{p: counts.get(p, 0) for p in _ORDER})


@dataclass(frozen=True, slots=True)
class DigestFigures:
    backlog: dict[str, int]  # priority -> active tickets
    oldest: Ticket | None  # waiting longest for staff
    breaches: dict[str, int]  # priority -> first responses that fell due unanswered in the last day

    @classmethod
    async def gather(cls, tx: SqlTx, now: float, targets: dict[str, float]) -> "DigestFigures":
        return cls(await tx.count_by_priority(ACTIVE), await tx.oldest_in(AWAITING_STAFF),
                   await tx.sla_breaches_between(now - DAY, now, targets))

    def render(self, lang: str, day: str, now: float) -> str:
        lines = [t("home.digest_title", lang, day=day),
                 t("home.digest_backlog", lang, total=sum(self.backlog.values()),
                   priorities=by_priority(self.backlog, lang))]
        if self.oldest is None:
            lines.append(t("home.digest_no_oldest", lang))
        else:
            o = self.oldest
            lines.append(t("home.digest_oldest", lang, ticket_id=o.id, priority=o.priority.value,
                           topic=o.category or "-", age=age_text(now - o.created_at, lang)))
        total = sum(self.breaches.values())
        lines.append(t("home.digest_breaches", lang, count=total, priorities=by_priority(self.breaches, lang))
                     if total else t("home.digest_no_breaches", lang))
        return "\n".join(lines)


class DailyDigest:
    def __init__(self, settings: Settings, store: Store, desk: TicketDesk, clock: Callable[[], float],
                 wake: Callable[[], None]) -> None:
        self.settings = settings
        self.store = store
        self.desk = desk
        self.clock = clock
        self.wake = wake
        self._tz = ZoneInfo(settings.timezone)

    def due_day(self, now: float) -> str | None:
        """The local date whose digest is due at ``now`` (None: off, or not time yet today)."""
        if not self.settings.digest_at:
            return None
        hour, minute = (int(x) for x in self.settings.digest_at.split(":"))
        local = datetime.fromtimestamp(now, self._tz)
        return local.date().isoformat() if (local.hour, local.minute) >= (hour, minute) else None

    async def run(self) -> int:
        """Post today's digest if it is due and no worker posted it yet; the rows queued."""
        now = self.clock()
        day = self.due_day(now)
        if day is None:
            return 0
        async with self.store.transaction() as tx:
            if not await tx.claim_event(f"digest:{day}", now):
                return 0
            figures = await DigestFigures.gather(tx, now, self.settings.sla_first_response)
            effects = Effects(f"digest:{day}")
            effects.send(self.desk.chat, figures.render("en", day, now))  # the desk's own lines are in English
            queued = await effects.flush(tx, now)
        self.wake()
        return queued
