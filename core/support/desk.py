"""Tickets as the desk sees them: opening one, moving it through its states,
relaying the user's words to it, and the summary the desk shows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from core.config import Settings
from core.faq.answers import FaqAnswers
from core.i18n import t
from core.identity.codes import Identity
from core.models import ChatRef, InboundMessage, Ticket, TicketEvent, TicketState
from core.storage import SqlTx
from core.support.assignment import Assigner
from core.support.chain_desk import last_field
from core.support.hours import SupportHours
from core.support.outbox import Effects
from core.support.parked_fields import parked_fields
from core.support.relay import LinkedAccount, desk_summary
from core.support.tickets import next_state, starting_priority

__all__ = ["OpenedTicket", "TicketDesk"]

OpenedTicket = tuple[Ticket, bool]  # the ticket, and whether this call opened it


class TicketDesk:
    """Args:
        desk: where the staff desk lives; the desk adapter moves it with :meth:`host`.
    """

    def __init__(self, settings: Settings, identity: Identity, answers: FaqAnswers, hours: SupportHours,
                 clock: Callable[[], float], assigner: Assigner | None = None) -> None:
        self.settings = settings
        self.assigner = assigner
        self.identity = identity
        self.answers = answers
        self.hours = hours
        self.clock = clock
        self.chat = ChatRef("console", "desk")

    def host(self, platform: str, channel: str) -> None:
        """Called by the adapter that hosts the staff desk (Slack, or the console)."""
        self.chat = ChatRef(platform, channel)

    def post(self, effects: Effects, ticket_id: int, kind: str, text: str) -> None:
        """One line in the ticket's desk thread."""
        effects.desk(self.chat, "desk_post", ticket_id, {"kind": kind, "text": text})

    async def refresh(self, tx: SqlTx, effects: Effects, ticket: Ticket) -> None:
        effects.desk(self.chat, "desk_upsert", ticket.id, await self.summary(tx, ticket))

    async def open(self, tx: SqlTx, msg: InboundMessage, question: str, category: str | None, lang: str,
                   effects: Effects, now: float, *, origin: ChatRef | None = None) -> OpenedTicket:
        """The user's open ticket, or a new one with ``question`` (already through the shield)."""
        existing = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key))
        if existing is not None:
            effects.send(msg.chat, t("human.already_open", lang, ticket_id=existing.id))
            return existing, False
        if category is None:
            guess = self.answers.ask(question, lang)
            category = guess.id if guess.answered else None
        ticket = await tx.create_ticket(
            user=msg.user, origin=origin or msg.chat, origin_message_id=msg.message_id,
            priority=starting_priority(category), category=category, lang=lang, subject=question[:1000], now=now,
        )
        await tx.add_event(TicketEvent(ticket.id, "opened", msg.user.key, question, now))
        assignee = await self.assigner.pick(tx, now) if self.assigner is not None else None
        if assignee is not None:
            await tx.update_ticket(ticket.id, assignee=assignee)
            await tx.add_event(TicketEvent(ticket.id, "auto_assign", "system", assignee, now, True))
            ticket = dataclasses.replace(ticket, assignee=assignee)
        await self.refresh(tx, effects, ticket)
        self.post(effects, ticket.id, "user", t("desk.user_said", "en", user=msg.display_name or msg.user.key,
                                                text=question))
        if assignee is not None:
            self.post(effects, ticket.id, "system", t("desk.auto_assigned", "en", assignee=assignee))
        body = t("human.opened", lang, ticket_id=ticket.id)
        off = self.hours.off_hours_notice(lang, now)
        if off:
            body += "\n\n" + off
        if (origin or msg.chat).is_private:
            effects.send(msg.chat, body, ticket_id=ticket.id)
        return ticket, True

    async def transition(self, tx: SqlTx, ticket: Ticket, action: str, actor: str, body: str | None, now: float,
                         effects: Effects, *, internal: bool = False, **fields: Any) -> Ticket:
        """Apply ``action`` (checked by the state machine), record it, refresh the desk."""
        new_state = next_state(ticket, action)
        changes: dict[str, Any] = {"updated_at": now, **fields}
        if new_state is not ticket.state:
            changes["state"] = new_state.value
            if new_state is TicketState.RESOLVED:
                changes["resolved_at"] = now
            elif new_state is TicketState.CLOSED:
                changes["closed_at"] = now
            elif action == "reopen":
                changes.update(resolved_at=None, closed_at=None)
        await tx.update_ticket(ticket.id, **changes)
        if ticket.state is TicketState.WAITING_ON_USER and new_state is not TicketState.WAITING_ON_USER:
            await tx.stop_waiting(ticket.id)  # claimed, answered, resolved: no nudge (core/support/parking.py)
        elif action == "staff_reply":
            await tx.restart_waiting(ticket.id, now)  # a wait counts from staff's latest message
        await tx.add_event(TicketEvent(ticket.id, action, actor, body, now, internal))
        updated = await tx.get_ticket(ticket.id)
        assert updated is not None
        if updated.state is not ticket.state or fields:
            await self.refresh(tx, effects, updated)
        return updated

    async def relay_user_message(self, tx: SqlTx, ticket: Ticket, msg: InboundMessage, text: str, now: float,
                                 effects: Effects) -> None:
        parked = await tx.clear_parking(ticket.id)  # the user answered: no nudge, no snooze (core/support/parking.py)
        ticket = await self.transition(tx, ticket, "user_message", msg.user.key, text, now, effects)
        self.post(effects, ticket.id, "user", t("desk.user_said", "en", user=msg.display_name or msg.user.key, text=text))
        if parked is not None and (parked.waiting_since is not None or (parked.snoozed_until or 0) > now):
            self.post(effects, ticket.id, "system", t("parking.desk_user_back", "en"))

    async def mark_verified(self, tx: SqlTx, ticket_id: int, method: str, now: float, effects: Effects) -> None:
        ticket = await tx.get_ticket(ticket_id)
        if ticket is None or ticket.state in (TicketState.RESOLVED, TicketState.CLOSED):
            return
        await self.transition(tx, ticket, "verified", ticket.user.key, f"verified by {method}", now, effects,
                              verified_at=now, verified_method=method)
        self.post(effects, ticket_id, "system", t("desk.verified_by", "en", method=method))

    async def rate(self, tx: SqlTx, ticket_id: int, rating: int, comment: str, user_key: str, now: float,
                   effects: Effects) -> None:
        ticket = await tx.get_ticket(ticket_id)
        if ticket is None or ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED):
            return
        await self.transition(tx, ticket, "rate", user_key, f"{rating} {comment}".strip(), now, effects,
                              csat=rating, csat_comment=comment[:1000] or None)
        self.post(effects, ticket_id, "system", t("desk.csat", "en", rating=rating, comment=comment[:300]))

    async def summary(self, tx: SqlTx, ticket: Ticket) -> dict[str, object]:
        user = await tx.get_user(ticket.user.key)
        pending = await self.identity.has_live_code(tx, ticket.user.key)
        earlier = await tx.tickets_of(await tx.linked_user_keys(ticket.user.key), before=ticket.id)
        confirmed = set(await tx.confirmed_user_keys(ticket.user.key))
        linked = [LinkedAccount(r.platform, r.user_id, r.display_name, r.user_key in confirmed)
                  for r in await tx.person_accounts(ticket.user.key) if r.user_key != ticket.user.key]
        summary = desk_summary(
            ticket, display_name=user.display_name if user else "",
            first_response_targets=self.settings.sla_first_response, verification_pending=pending, now=self.clock(),
            chain=await last_field(tx, ticket.id), earlier=earlier, linked=linked,
            tags=await tx.ticket_tags(ticket.id), snippets=[r.name for r in await tx.snippets()],
        )
        summary.update(await parked_fields(tx, ticket, self.settings, self.clock()))
        return summary

