"""The conversation as an ordered list of handlers (python-telegram-bot's split):
a cheap synchronous ``match`` and an async ``handle``. The first handler that
matches and handles the turn ends it; ``handle`` returning False passes it on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from core.chain import ChainLookup
from core.config import Settings
from core.conversation.acts import Act
from core.conversation.commands import COMMANDS
from core.conversation.intake import GuidedIntake
from core.conversation.services import Services, open_ticket
from core.conversation.smalltalk import AskForHuman, SmallTalk
from core.conversation.ticketchat import AfterResolve, ConfirmReopen, TicketChat
from core.conversation.turn import Turn
from core.conversation.tx_lookup import LookUpTransaction
from core.conversation.urgency import urgent_reason
from core.i18n import t
from core.identity.codes import CODE_DIGITS, CodeCheck, looks_like_code
from core.models import Conversation, ConversationState, Priority

__all__ = ["Handler", "Prefetching", "default_handlers", "open_urgent"]

_NO_REOPEN = frozenset({Act.THANKS, Act.ACKNOWLEDGEMENT, Act.GREETING, Act.GOODBYE, Act.YES})
_INSIST_AFTER = 3  # misses in a row before the bot hands over without being asked
_RATING_RE = re.compile(r"^\s*([1-5])(?:\s*(?:/\s*5|分|星))?(?:[\s,.:;!，。：；！-]+(.*))?$", re.S)
_CODE_LIKE_RE = re.compile(r"[\d\s-]+")

_S = ConversationState


class Handler(Protocol):
    def match(self, turn: Turn) -> bool: ...
    async def handle(self, turn: Turn, services: Services) -> bool: ...


@runtime_checkable
class Prefetching(Protocol):
    """A handler whose answer comes from the network. The dialogue fetches it
    before the store transaction opens (a slow endpoint must never hold the
    store's write lock) and leaves it in ``Turn.fetched[key]``."""

    key: str

    def wants(self, text: str, private: bool) -> bool: ...
    async def prefetch(self, text: str) -> object: ...


class BurnPublicCode:
    """A code typed in public is burnt at once."""

    def match(self, turn: Turn) -> bool:
        return not turn.private and looks_like_code(turn.text) is not None

    async def handle(self, turn: Turn, services: Services) -> bool:
        user = turn.msg.user
        if not await services.identity.has_live_code(turn.tx, user.key):
            return False
        await services.identity.revoke_codes(turn.tx, user.key)
        if turn.msg.message_id:
            turn.effects.delete(turn.msg.chat, turn.msg.message_id)
        turn.effects.dm(user, t("verify.code_in_public", turn.lang), fallback=turn.msg.chat)
        turn.outcome.notes.append("code in public")
        return True


class EnterCode:
    """The user answers the code staff asked for (ordinary chat passes through)."""

    def match(self, turn: Turn) -> bool:
        return turn.private and turn.conversation.state is _S.AWAITING_CODE

    async def handle(self, turn: Turn, services: Services) -> bool:
        result = await services.identity.check_code(turn.tx, turn.msg.user.key, turn.text)
        if result.outcome is CodeCheck.MALFORMED and not _CODE_LIKE_RE.fullmatch(turn.text):
            return False
        turn.outcome.notes.append(f"code {result.outcome.value}")
        turn.outcome.code = result.outcome.value
        if result.outcome is CodeCheck.OK:
            await turn.set_conversation(Conversation())
            if result.ticket_id is not None:
                await services.desk.mark_verified(turn.tx, result.ticket_id, "code", turn.now, turn.effects)
            turn.reply(t("verify.ok", turn.lang))
        elif result.outcome is CodeCheck.WRONG:
            turn.reply(t("verify.wrong", turn.lang, tries_left=result.tries_left))
        elif result.outcome is CodeCheck.MALFORMED:
            turn.reply(t("verify.malformed", turn.lang, digits=CODE_DIGITS))
        else:
            await turn.set_conversation(Conversation())
            turn.reply(t("verify.locked" if result.outcome is CodeCheck.LOCKED else "verify.expired", turn.lang))
        return True


class RateTicket:
    """A 1-5 after a resolve rates the ticket; anything else ends the question."""

    def match(self, turn: Turn) -> bool:
        return turn.conversation.state is _S.AWAITING_CSAT

    async def handle(self, turn: Turn, services: Services) -> bool:
        rating = _RATING_RE.match(turn.text)
        ticket_id = turn.conversation.ticket_id
        if rating is None and turn.act in _NO_REOPEN:
            return False  # "thanks" keeps the question open; small talk answers it
        await turn.set_conversation(Conversation())
        if rating is None or ticket_id is None:
            return False
        await services.desk.rate(turn.tx, ticket_id, int(rating.group(1)), (rating.group(2) or "").strip(),
                                 turn.msg.user.key, turn.now, turn.effects)
        turn.reply(t("csat.thanks", turn.lang))
        return True


class AnswerHumanOffer:
    """Yes or no to "would you like a human?"."""

    def match(self, turn: Turn) -> bool:
        return turn.conversation.state is _S.OFFER_HUMAN

    async def handle(self, turn: Turn, services: Services) -> bool:
        await turn.set_conversation(Conversation())
        if turn.act in (Act.YES, Act.HUMAN_REQUEST):
            await open_ticket(turn, services, turn.conversation.question or turn.text, turn.conversation.category)
            return True
        if turn.act is Act.NO:
            turn.memo.pop("misses", None)
            turn.reply(t("human.declined", turn.lang))
            return True
        return False


class RunCommand:
    def match(self, turn: Turn) -> bool:
        return turn.command is not None and turn.command[0] in COMMANDS

    async def handle(self, turn: Turn, services: Services) -> bool:
        assert turn.command is not None
        name, arg = turn.command
        return await COMMANDS[name](turn, services, arg)


class UrgentCase:
    """Stolen funds, a drained wallet, transactions the user did not make, a leaked
    phrase: an urgent ticket at once, with the safety steps."""

    def match(self, turn: Turn) -> bool:
        return turn.speaks_to_bot and urgent_reason(turn.text) is not None

    async def handle(self, turn: Turn, services: Services) -> bool:
        await open_urgent(turn, services, urgent_reason(turn.text) or "")
        return True


async def open_urgent(turn: Turn, services: Services, reason: str) -> None:
    desk, ticket = services.desk, turn.ticket
    if ticket is not None:
        await desk.relay_user_message(turn.tx, ticket, turn.msg, turn.text, turn.now, turn.effects)
        if ticket.priority is not Priority.URGENT:
            await desk.transition(turn.tx, ticket, "set_priority", "system", "urgent", turn.now, turn.effects,
                                  priority="urgent")
        desk.post(turn.effects, ticket.id, "system", t("urgent.desk", "en", reason=reason))
        turn.outcome.ticket_id = ticket.id
        turn.reply(t("urgent.raised", turn.lang, ticket_id=ticket.id))
        return
    opened = await open_ticket(turn, services, turn.text or reason, "unauthorized-transaction")
    desk.post(turn.effects, opened.id, "system", t("urgent.desk", "en", reason=reason))
    turn.reply(t("urgent.opened", turn.lang, ticket_id=opened.id))


class AnswerFromFaq:
    """The FAQ answers, or the bot offers a human. In groups only when spoken to
    (or when the operator turned group auto-answer on)."""

    def __init__(self, auto_answer_groups: bool) -> None:
        self.auto_answer_groups = auto_answer_groups

    def match(self, turn: Turn) -> bool:
        return turn.speaks_to_bot or self.auto_answer_groups

    async def handle(self, turn: Turn, services: Services) -> bool:
        match = services.answers.ask(turn.text, turn.lang)
        turn.outcome.faq = match
        await turn.tx.record_faq_event(platform=turn.msg.chat.platform, lang=match.lang, entry_id=match.id,
                                       confidence=match.confidence, answered=match.answered, now=turn.now)
        if match.answered and match.answer:
            body = services.desk.hours.render(match.answer, match.lang, turn.now)
            if match.escalate:
                body += "\n\n" + t("faq.escalate_hint", match.lang)
            turn.reply(body)
            turn.memo.pop("misses", None)
            if match.id not in ("contact-human", "support-hours"):
                turn.memo.update(topic=match.id, question=turn.text)
            if match.escalate and turn.private:
                await turn.set_conversation(Conversation(question=turn.text, category=match.id))
        elif turn.private:
            await self._missed(turn, services)
        elif turn.msg.addressed:
            turn.reply(t("faq.group_offer_human", turn.lang))
        return True

    @staticmethod
    async def _missed(turn: Turn, services: Services) -> None:
        """The first miss offers a human, the second rewords the offer, the third hands over."""
        misses = int(turn.memo.get("misses", 0) or 0) + 1  # type: ignore[call-overload]
        turn.memo["misses"] = misses
        if misses >= _INSIST_AFTER:
            turn.reply(t("dialogue.insist", turn.lang))
            topic = turn.memo.get("topic")
            await open_ticket(turn, services, turn.text, topic if isinstance(topic, str) else None)
            return
        turn.memo["question"] = turn.text
        again = turn.conversation.state is _S.OFFER_HUMAN
        await turn.set_conversation(Conversation(_S.OFFER_HUMAN, question=turn.text))
        turn.reply(t("dialogue.offer_again" if again else "faq.offer_human", turn.lang))


def default_handlers(settings: Settings, chain: ChainLookup | None = None) -> Sequence[Handler]:
    """In order: what a pending question expects first, urgent cases, commands,
    dialogue acts, then the open ticket, the reopen question, then the FAQ."""
    return (BurnPublicCode(), EnterCode(), UrgentCase(), RateTicket(), ConfirmReopen(), AnswerHumanOffer(),
            RunCommand(), AskForHuman(), GuidedIntake(), SmallTalk(), LookUpTransaction(settings, chain), TicketChat(),
            AfterResolve(),
            AnswerFromFaq(settings.group_auto_answer))

