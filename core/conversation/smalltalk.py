"""Replies to dialogue acts: greetings, thanks, ok, help, "are you a bot?", yes or
no with nothing to answer, goodbyes. Never an FAQ answer, never the "not sure"
offer. With a ticket open the message still reaches the ticket."""

from __future__ import annotations

from core.conversation.acts import Act
from core.conversation.services import Services, open_ticket, topic_before_handoff
from core.conversation.turn import Turn
from core.i18n import t

__all__ = ["AskForHuman", "SmallTalk"]

_REPLIES = {
    Act.GREETING: ("dialogue.greeting", "dialogue.greeting_ticket"),
    Act.THANKS: ("dialogue.thanks", "dialogue.thanks"),
    Act.ACKNOWLEDGEMENT: ("dialogue.ack", "dialogue.ack_ticket"),
    Act.YES: ("dialogue.ack", "dialogue.ack_ticket"),
    Act.NO: ("dialogue.no_offer", "dialogue.ack_ticket"),
    Act.HELP: ("help", "help"),
    Act.ASK_IF_BOT: ("dialogue.ask_if_bot", "dialogue.ask_if_bot_ticket"),
    Act.GOODBYE: ("dialogue.goodbye", "dialogue.goodbye"),
}


class SmallTalk:
    def match(self, turn: Turn) -> bool:
        if not turn.speaks_to_bot:
            return False
        return turn.act in _REPLIES or (turn.act is Act.STILL_WAITING and turn.ticket is None)

    async def handle(self, turn: Turn, services: Services) -> bool:
        if turn.act is Act.STILL_WAITING:
            turn.reply(t("dialogue.no_ticket_waiting", turn.lang))
            return True
        plain, with_ticket = _REPLIES[turn.act]
        if turn.ticket is not None:
            await services.desk.relay_user_message(turn.tx, turn.ticket, turn.msg, turn.text, turn.now, turn.effects)
            turn.outcome.ticket_id = turn.ticket.id
            turn.reply(t(with_ticket, turn.lang, ticket_id=turn.ticket.id))
        else:
            turn.reply(t(plain, turn.lang))
        return True


class AskForHuman:
    """An explicit request for a human: a ticket at once, on the topic talked about before."""

    def match(self, turn: Turn) -> bool:
        return turn.act is Act.HUMAN_REQUEST and turn.speaks_to_bot

    async def handle(self, turn: Turn, services: Services) -> bool:
        question, topic = topic_before_handoff(turn)
        await open_ticket(turn, services, question or turn.text, topic)
        return True
