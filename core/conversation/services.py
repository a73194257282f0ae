"""What the conversation's handlers may use, and the steps several share."""

from __future__ import annotations

from dataclasses import dataclass

from core.chain import ChainLookup
from core.config import Settings
from core.conversation.turn import Turn
from core.conversation.urgency import mood
from core.faq.answers import FaqAnswers
from core.i18n import t
from core.identity.codes import Identity
from core.identity.roster import StaffRoster
from core.models import Priority, Ticket, TicketEvent
from core.support.desk import TicketDesk

__all__ = ["Services", "open_ticket", "raise_priority", "topic_before_handoff"]

_STEPS = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
_NOT_A_TOPIC = frozenset({"contact-human", "support-hours", "complaint"})


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    desk: TicketDesk
    identity: Identity
    answers: FaqAnswers
    roster: StaffRoster
    chain: ChainLookup | None = None  # one lookup service (its client, cache and breakers) for the process


def topic_before_handoff(turn: Turn) -> tuple[str | None, str | None]:
    """(question, FAQ topic) the conversation was about before the user asked for a human."""
    memo = turn.memo
    question = turn.conversation.question or (memo.get("question") if isinstance(memo.get("question"), str) else None)
    topic = turn.conversation.category or (memo.get("topic") if isinstance(memo.get("topic"), str) else None)
    return question, topic  # type: ignore[return-value]


async def open_ticket(turn: Turn, services: Services, question: str, category: str | None) -> Ticket:
    """Open the user's ticket (or find the open one) with the conversation's language,
    the last exchanges on the desk, and the priority one step up when the user is upset."""
    at = turn.memo.get("history_at")
    fresh = isinstance(at, (int, float)) and turn.now - at <= 3600
    history = [str(x) for x in turn.memo.get("history", []) if isinstance(x, str)] if fresh else []  # type: ignore[union-attr]
    ticket, opened = await services.desk.open(turn.tx, turn.msg, question, category, turn.lang, turn.effects, turn.now)
    turn.outcome.ticket_id = ticket.id
    turn.outcome.opened = opened
    if opened:
        if history:
            services.desk.post(turn.effects, ticket.id, "system",
                               t("ticketchat.desk_history", "en", lines="\n".join(history)))
        for key in ("misses", "question", "topic", "history"):  # the desk has them now; keep no copy
            turn.memo.pop(key, None)
        upset = mood(question) or mood(turn.text)
        if upset:
            ticket = await raise_priority(turn, services, ticket, upset)
        if turn.private:
            from core.conversation.intake import start_intake  # intake builds on this module

            start_intake(turn, services, ticket, question)
    return ticket


async def raise_priority(turn: Turn, services: Services, ticket: Ticket, upset: str,
                         later: list[TicketEvent] | None = None) -> Ticket:
    """One step up (once per ticket), flagged on the desk; ``later`` as for ``TicketDesk.transition``."""
    if turn.memo.get("raised") == ticket.id or ticket.priority is Priority.URGENT:
        return ticket
    turn.memo["raised"] = ticket.id
    level = _STEPS[min(_STEPS.index(ticket.priority) + 1, len(_STEPS) - 1)]
    ticket = await services.desk.transition(turn.tx, ticket, "set_priority", "system", level.value, turn.now,
                                            turn.effects, later=later, priority=level.value)
    services.desk.post(turn.effects, ticket.id, "system", t("emotion.desk", "en", mood=upset, priority=level.value))
    return ticket
