"""Parked tickets: waiting on the user, and snoozed.

``/ticket N wait [text]`` marks a ticket waiting on the user (the text, if any, goes
to the user as a staff reply first). After ``WALLETDESK_NUDGE_AFTER_HOURS`` the user
gets one nudge in their language; ``WALLETDESK_WAITING_RESOLVE_AFTER_HOURS`` after
the nudge the ticket resolves itself, with a notice to the user and a desk line.
Only an explicit ``wait`` starts these timers: an ordinary staff reply also moves a
ticket to ``waiting_on_user``, but staff who wrote "let me check" must not see it
resolve itself.

``/ticket N snooze 2h|tomorrow|2026-12-08 09:00|off`` hides the ticket from the
queue until then; it comes back with a desk line. The user writing to the ticket
clears both (:meth:`core.support.desk.TicketDesk.relay_user_message`).

Every timer step is a conditional update in the store (:mod:`core.storage.parking_rows`),
so each nudge, auto-resolve and snooze end happens once across processes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.config import Settings
from core.errors import InvalidInput
from core.i18n import t
from core.models import Ticket, TicketEvent, TicketState
from core.storage import SqlTx
from core.support.desk import TicketDesk
from core.support.outbox import Effects
from core.support.relay import fmt_time, send_to_user
from core.support.tickets import next_state

if TYPE_CHECKING:
    from core.support.staff import StaffActions, _Call

# staff_wait and staff_snooze are registered in core.support.staff.STAFF_ACTIONS
__all__ = ["ParkingTimers", "parse_snooze", "staff_snooze", "staff_wait"]

_MAX_SNOOZE = 30 * 86400.0
_SPAN_RE = re.compile(r"^(\d{1,4})\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|分钟|小时|天)$")
_UNIT = {"m": 60, "h": 3600, "d": 86400, "分": 60, "小": 3600, "天": 86400}
_OFF = frozenset({"off", "end", "cancel", "none", "取消"})
_TOMORROW = frozenset({"tomorrow", "明天"})
_MORNING = (9, 0)  # "tomorrow" and a bare date mean 09:00 in WALLETDESK_TIMEZONE


def parse_snooze(text: str, now: float, timezone: str) -> float | None:
    """When a snooze typed as ``2h``, ``30m``, ``1d``, ``tomorrow``, ``2026-12-08 09:00``
    or ``2026-12-08`` ends (local times in ``timezone``); None for ``off``.

    Raises:
        InvalidInput: not one of those, in the past, or more than 30 days ahead.
    """
    word = " ".join(text.strip().lower().split())
    if word in _OFF:
        return None
    tz = ZoneInfo(timezone)
    local_now = datetime.fromtimestamp(now, tz)
    until: float | None = None
    if (span := _SPAN_RE.match(word)) is not None:
        until = now + int(span.group(1)) * _UNIT[span.group(2)[0]]
    elif word in _TOMORROW:
        day = (local_now + timedelta(days=1)).replace(hour=_MORNING[0], minute=_MORNING[1], second=0, microsecond=0)
        until = day.timestamp()
    else:
        for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
            try:
                parsed = datetime.strptime(word, pattern)
            except ValueError:
                continue
            if pattern == "%Y-%m-%d":
                parsed = parsed.replace(hour=_MORNING[0], minute=_MORNING[1])
            until = parsed.replace(tzinfo=tz).timestamp()
            break
    if until is None:
        raise InvalidInput(f"cannot read the snooze time {word[:40]!r}", key="parking.bad_snooze", text=word[:40])
    if until <= now or until - now > _MAX_SNOOZE:
        raise InvalidInput(f"snooze until {until} is in the past or too far ahead", key="parking.snooze_range",
                           text=word[:40])
    return until


async def staff_wait(actions: "StaffActions", c: "_Call") -> Ticket:
    """Mark the ticket waiting on the user (the text, when given, is sent as a reply first)."""
    ticket = c.ticket
    if c.text:
        ticket = await actions._send_reply(c, c.text, show_on_desk=c.source_ref is None)
        c.ticket = ticket
    ticket = await actions.desk.transition(c.tx, ticket, "wait", c.staff, None, c.now, c.effects)
    await c.tx.set_waiting(ticket.id, c.now, c.staff)
    await actions.desk.refresh(c.tx, c.effects, ticket)
    settings = actions.settings
    nudge = c.now + settings.nudge_after_hours * 3600
    actions.desk.post(c.effects, ticket.id, "system", t(
        "parking.desk_waiting", "en", staff=c.staff, nudge=fmt_time(nudge),
        resolve=fmt_time(nudge + settings.waiting_resolve_after_hours * 3600)))
    return ticket


async def staff_snooze(actions: "StaffActions", c: "_Call") -> Ticket:
    """Hide the ticket from the queue until a time (``off`` ends the snooze)."""
    next_state(c.ticket, "snooze")  # live tickets only
    if not c.text:
        raise InvalidInput("snooze needs a time", key="parking.bad_snooze", text="")
    until = parse_snooze(c.text, c.now, actions.settings.timezone)
    await c.tx.set_snooze(c.ticket.id, until, c.staff if until is not None else None)
    await c.tx.add_event(TicketEvent(c.ticket.id, "snooze", c.staff, fmt_time(until) if until else "off", c.now))
    if until is None:
        actions.desk.post(c.effects, c.ticket.id, "system", t("parking.desk_unsnoozed", "en", staff=c.staff))
    else:
        actions.desk.post(c.effects, c.ticket.id, "system",
                          t("parking.desk_snoozed", "en", staff=c.staff, until=fmt_time(until)))
    await actions.desk.refresh(c.tx, c.effects, c.ticket)
    return c.ticket


class ParkingTimers:
    """The nudge, the auto-resolve and the end of snoozes; called by :class:`core.support.timers.Timers`."""

    def __init__(self, settings: Settings, desk: TicketDesk) -> None:
        self.settings = settings
        self.desk = desk

    async def tick(self, tx: SqlTx, now: float) -> int:
        """Fire what is due, each step once across processes; how many deliveries were queued."""
        fired = 0
        nudge_after = self.settings.nudge_after_hours * 3600
        resolve_after = self.settings.waiting_resolve_after_hours * 3600
        for parked in await tx.parked():
            ticket = await tx.get_ticket(parked.ticket_id)
            if ticket is None or ticket.state in (TicketState.RESOLVED, TicketState.CLOSED):
                await tx.clear_parking(parked.ticket_id)  # left the queue some other way
                continue
            if parked.snoozed_until is not None and now >= parked.snoozed_until \
                    and await tx.end_snooze(ticket.id, parked.snoozed_until):
                effects = Effects(f"snooze-end:{ticket.id}:{parked.snoozed_until}")
                self.desk.post(effects, ticket.id, "system", t("parking.desk_snooze_over", "en", ticket_id=ticket.id))
                await self.desk.refresh(tx, effects, ticket)
                fired += await effects.flush(tx, now)
            since = parked.waiting_since
            if since is None:
                continue
            if ticket.state is not TicketState.WAITING_ON_USER:
                await tx.stop_waiting(ticket.id)  # already ended by TicketDesk.transition; kept for old rows
                continue
            if parked.nudged_at is None:
                if now >= since + nudge_after and await tx.mark_nudged(ticket.id, since, now):
                    effects = Effects(f"nudge:{ticket.id}:{since}")
                    send_to_user(effects, ticket, t("parking.nudge", ticket.lang, ticket_id=ticket.id,
                                                    hours=_hours(resolve_after)))
                    self.desk.post(effects, ticket.id, "system", t(
                        "parking.desk_nudged", "en", resolve=fmt_time(now + resolve_after)))
                    await tx.add_event(TicketEvent(ticket.id, "nudge", "system", None, now))
                    await self.desk.refresh(tx, effects, ticket)
                    fired += await effects.flush(tx, now)
            elif now >= parked.nudged_at + resolve_after and await tx.end_waiting(ticket.id, since):
                effects = Effects(f"waiting-resolve:{ticket.id}:{since}")
                resolved = await self.desk.transition(tx, ticket, "resolve", "system", "no answer from the user",
                                                      now, effects)
                send_to_user(effects, resolved, t("parking.auto_resolved", resolved.lang, ticket_id=ticket.id))
                self.desk.post(effects, ticket.id, "system", t("parking.desk_auto_resolved", "en"))
                await tx.clear_parking(ticket.id)
                fired += await effects.flush(tx, now)
        return fired


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g}"

