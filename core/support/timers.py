"""What happens with time and after delivery: SLA reminders, auto-close of
resolved tickets, and the desk's delivery marks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from core.config import Settings
from core.i18n import t
from core.storage import Store
from core.models import Delivery, Priority, Ticket
from core.support.desk import TicketDesk
from core.support.hours import SupportHours
from core.support.outbox import Effects
from core.support.parking import ParkingTimers

__all__ = ["Timers"]


class Timers:
    def __init__(self, settings: Settings, store: Store, desk: TicketDesk, clock: Callable[[], float],
                 wake: Callable[[], None]) -> None:
        self.settings = settings
        self.store = store
        self.desk = desk
        self.clock = clock
        self.wake = wake
        self.hours = SupportHours(settings)
        self.parking = ParkingTimers(settings, desk)

    def sla_due(self, ticket: Ticket, share: float = 1.0) -> float:
        """When ``share`` of the first-response target has passed: staffed time only,
        except for urgent tickets (wall clock)."""
        window = self.settings.sla_first_response[ticket.priority.value] * share
        if ticket.priority is Priority.URGENT:
            return ticket.created_at + window
        return self.hours.due(ticket.created_at, window)

    async def delivery_finished(self, delivery: Delivery, ok: bool, error: str | None, external_id: str | None) -> None:
        """Outbox callback: mark the staff message delivered, or warn the desk."""
        if delivery.ticket_id is None or delivery.action not in ("send", "dm", "send_file", "dm_file"):
            return
        ack_ref = delivery.payload.get("ack_ref")
        if not ack_ref and ok:
            return
        now = self.clock()
        effects = Effects(f"ack:{delivery.id}")
        if ack_ref:
            effects.desk(self.desk.chat, "desk_ack", delivery.ticket_id, {"ref": ack_ref, "ok": ok, "error": error or ""})
        if not ok:
            self.desk.post(effects, delivery.ticket_id, "system",
                           t("desk.delivery_failed", "en", error=(error or "")[:200]))
        async with self.store.transaction() as tx:
            await effects.flush(tx, now)
        self.wake()

    async def run(self) -> int:
        """SLA reminders, auto-close and parked tickets; each fires once across workers."""
        now = self.clock()
        fired = 0
        async with self.store.transaction() as tx:
            live = await tx.tickets(states=["open", "claimed", "waiting_on_user"])
            resolved = await tx.tickets(states=["resolved"])
            for ticket in live:
                if ticket.first_response_at is not None:
                    continue
                due = self.sla_due(ticket)
                if now >= due and await tx.mark_sla_warned(ticket.id, 2):
                    effects = Effects(f"sla:{ticket.id}:2")
                    self.desk.post(effects, ticket.id, "system", t(
                        "desk.sla_breach", "en", ticket_id=ticket.id, priority=ticket.priority.value))
                    await self.desk.refresh(tx, effects, ticket)
                elif self.sla_due(ticket, 0.8) <= now < due and await tx.mark_sla_warned(ticket.id, 1):
                    effects = Effects(f"sla:{ticket.id}:1")
                    self.desk.post(effects, ticket.id, "system", t(
                        "desk.sla_warning", "en", ticket_id=ticket.id, priority=ticket.priority.value,
                        at=datetime.fromtimestamp(due, timezone.utc).strftime("%H:%M UTC")))
                else:
                    continue
                fired += await effects.flush(tx, now)
            window = self.settings.reopen_window_hours * 3600
            for ticket in resolved:
                if ticket.resolved_at and now - ticket.resolved_at > window:
                    effects = Effects(f"autoclose:{ticket.id}")
                    await self.desk.transition(tx, ticket, "close", "system", "auto-close", now, effects)
                    fired += await effects.flush(tx, now)
        async with self.store.transaction() as tx:
            fired += await self.parking.tick(tx, now)  # waiting on the user: the nudge, auto-resolve; snoozes
        if fired:
            self.wake()
        return fired
