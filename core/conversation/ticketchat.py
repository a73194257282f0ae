"""A user with an open ticket is never left in silence, and a resolved ticket is
reopened only when the user says so.

While a ticket is open every message reaches it; the user sees a short
acknowledgement the first time (again only after ``WALLETDESK_TICKET_ACK_MINUTES``
staffed minutes without a staff reply), off-hours the time a human is back, an
automatic FAQ answer when the FAQ is confident (the desk is told), and on "still
waiting?" the state and when a reply is expected.
"""

from __future__ import annotations

import re

from core.conversation.acts import Act
from core.conversation.services import Services, raise_priority
from core.conversation.turn import Turn
from core.conversation.urgency import mood
from core.faq.models import FaqMatch
from core.i18n import t
from core.models import Conversation, ConversationState, Priority, Ticket, TicketState

__all__ = ["AfterResolve", "ConfirmReopen", "TicketChat", "expected_reply"]

_QUESTION_RE = re.compile(r"[?？]\s*$|^(how|what|why|where|when|which|who|is|are|can|could|do|does|should|will)\b|"
                          r"吗|怎么|如何|什么|为什么|为啥|能不能|可以.*吗|是否", re.I)
_AUTO_CONFIDENCE = 0.9  # an automatic answer beside a ticket needs more than the usual threshold


def expected_reply(services: Services, ticket: Ticket, lang: str, now: float) -> str:
    """Where the ticket stands and when a reply is expected, in ``lang``."""
    hours = services.desk.hours
    state = t(f"state.{ticket.state.value}", lang)
    if not hours.is_staffed(now) and ticket.priority is not Priority.URGENT:
        return t("ticket.status", lang, ticket_id=ticket.id, state=state) + " " + t(
            "ticketchat.off_hours", lang, ticket_id=ticket.id, at=hours.next_staffed_text(lang, now))
    if ticket.first_response_at is not None:
        return t("ticketchat.expected_soon", lang, ticket_id=ticket.id, state=state)
    window = services.settings.sla_first_response[ticket.priority.value]
    due = ticket.created_at + window if ticket.priority is Priority.URGENT else hours.due(ticket.created_at, window)
    if due <= now:
        return t("ticketchat.expected_soon", lang, ticket_id=ticket.id, state=state)
    return t("ticketchat.expected", lang, ticket_id=ticket.id, state=state,
             at=f"{hours.format_local(due)} ({hours.timezone})")


class TicketChat:
    def match(self, turn: Turn) -> bool:
        return turn.private and turn.ticket is not None

    async def handle(self, turn: Turn, services: Services) -> bool:
        ticket = turn.ticket
        assert ticket is not None
        desk = services.desk
        # its events wait for the turn's end (Turn.later), to be written with the bot's reply
        await desk.relay_user_message(turn.tx, ticket, turn.msg, turn.text, turn.now, turn.effects,
                                      parked=turn.parked, later=turn.later)
        turn.outcome.ticket_id = ticket.id
        upset = mood(turn.text)
        if upset:
            ticket = await raise_priority(turn, services, ticket, upset, later=turn.later)
        if turn.act is Act.STILL_WAITING:
            turn.reply(expected_reply(services, ticket, turn.lang, turn.now))
            self._acked(turn, ticket)
            return True
        match = services.answers.ask(turn.text, turn.lang)
        if self._auto_answers(turn, ticket, match):
            turn.outcome.faq = match
            turn.memo["auto"] = [*self._auto_given(turn, ticket), match.id]
            turn.memo["auto_ticket"] = ticket.id
            answer = desk.hours.render(match.answer, match.lang, turn.now)
            turn.reply(t("ticketchat.auto_answer", turn.lang, ticket_id=ticket.id, answer=answer))
            desk.post(turn.effects, ticket.id, "system",
                      t("ticketchat.desk_auto", "en", entry=match.id, confidence=match.confidence))
            return True
        if self._needs_ack(turn, services, ticket):
            body = t("ticketchat.ack", turn.lang, ticket_id=ticket.id)
            if not desk.hours.is_staffed(turn.now):
                body += "\n" + t("ticketchat.off_hours", turn.lang, ticket_id=ticket.id,
                                 at=desk.hours.next_staffed_text(turn.lang, turn.now))
            turn.reply(body)
            self._acked(turn, ticket)
        return True

    @staticmethod
    def _auto_given(turn: Turn, ticket: Ticket) -> list[str]:
        given = turn.memo.get("auto") if turn.memo.get("auto_ticket") == ticket.id else None
        return [str(x) for x in given] if isinstance(given, list) else []

    def _auto_answers(self, turn: Turn, ticket: Ticket, match: FaqMatch) -> bool:
        """A confident answer to a real question, on another topic than the ticket's, once per ticket."""
        return (match.answered and bool(match.answer) and not match.escalate and match.confidence >= _AUTO_CONFIDENCE
                and match.id != ticket.category and _QUESTION_RE.search(turn.text.strip()) is not None
                and match.id not in self._auto_given(turn, ticket))

    @staticmethod
    def _acked(turn: Turn, ticket: Ticket) -> None:
        turn.memo["acked"] = ticket.id
        turn.memo["acked_at"] = turn.now

    @staticmethod
    def _needs_ack(turn: Turn, services: Services, ticket: Ticket) -> bool:
        acked_at = turn.memo.get("acked_at")
        if turn.memo.get("acked") != ticket.id or not isinstance(acked_at, (int, float)):
            return True
        if ticket.state is TicketState.WAITING_ON_USER or (ticket.first_response_at or 0) > acked_at:
            return False  # staff replied since: they are talking with the user
        staffed = services.desk.hours.staffed_between(float(acked_at), turn.now)
        return staffed >= services.settings.ticket_ack_minutes * 60


class AfterResolve:
    """A substantive message soon after resolve: reopen ticket #N, or a new question?"""

    def match(self, turn: Turn) -> bool:
        return turn.private and turn.resolved is not None and turn.act is Act.OTHER

    async def handle(self, turn: Turn, services: Services) -> bool:
        assert turn.resolved is not None
        await turn.set_conversation(Conversation(ConversationState.CONFIRM_REOPEN, question=turn.text,
                                                 ticket_id=turn.resolved.id))
        turn.reply(t("ticketchat.reopen_ask", turn.lang, ticket_id=turn.resolved.id))
        return True


class ConfirmReopen:
    """Yes reopens the ticket with the question; no lets the FAQ answer it as a new one."""

    def match(self, turn: Turn) -> bool:
        return turn.conversation.state is ConversationState.CONFIRM_REOPEN

    async def handle(self, turn: Turn, services: Services) -> bool:
        await turn.set_conversation(Conversation())
        pending, ticket_id = turn.conversation.question, turn.conversation.ticket_id
        yes = turn.act in (Act.YES, Act.ACKNOWLEDGEMENT) or turn.words in ("yes", "reopen", "是", "重新打开")
        no = turn.act is Act.NO or turn.words in ("new", "new question", "新问题")
        ticket = await turn.tx.get_ticket(ticket_id) if ticket_id is not None else None
        if yes and ticket is not None and ticket.state in (TicketState.RESOLVED, TicketState.CLOSED):
            ticket = await services.desk.transition(turn.tx, ticket, "reopen", turn.msg.user.key, None, turn.now,
                                                    turn.effects)
            turn.reply(t("ticket.reopened", turn.lang, ticket_id=ticket.id))
            await services.desk.relay_user_message(turn.tx, ticket, turn.msg, pending or turn.text, turn.now,
                                                   turn.effects)
            turn.outcome.ticket_id = ticket.id
            return True
        if no and pending:
            turn.text, turn.act, turn.resolved = pending, Act.OTHER, None
            return False  # the FAQ takes the pending question as a new one
        return False
