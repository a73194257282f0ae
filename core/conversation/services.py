"""What the conversation's handlers may use, and the one step several share."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings
from core.conversation.turn import Turn
from core.faq.answers import FaqAnswers
from core.identity.codes import Identity
from core.identity.roster import StaffRoster
from core.support.desk import TicketDesk

__all__ = ["Services", "open_ticket"]


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    desk: TicketDesk
    identity: Identity
    answers: FaqAnswers
    roster: StaffRoster


async def open_ticket(turn: Turn, services: Services, question: str, category: str | None) -> None:
    ticket, opened = await services.desk.open(turn.tx, turn.msg, question, category, turn.lang, turn.effects, turn.now)
    turn.outcome.ticket_id = ticket.id
    turn.outcome.opened = opened
