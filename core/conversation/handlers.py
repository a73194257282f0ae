"""The conversation as an ordered list of handlers (python-telegram-bot's split):
a cheap synchronous ``match`` and an async ``handle``. The first handler that
matches and handles the turn ends it; ``handle`` returning False passes it on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from core.config import Settings
from core.conversation.commands import COMMANDS
from core.conversation.services import Services, open_ticket
from core.conversation.turn import Turn
from core.conversation.tx_lookup import LookUpTransaction
from core.i18n import t
from core.identity.codes import CODE_DIGITS, CodeCheck, looks_like_code
from core.models import Conversation, ConversationState

__all__ = ["Handler", "default_handlers"]

_YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "please", "是", "是的", "好", "好的", "要", "需要", "可以", "嗯"}
_NO = {"no", "n", "nope", "nah", "no thanks", "否", "不", "不用", "不要", "不需要", "算了"}
_HUMAN_WORDS = {"human", "agent", "person", "staff", "support", "人工", "客服", "人工客服", "真人", "转人工"}
_GREETINGS = {"hi", "hello", "hey", "hi there", "hello there", "gm", "good morning", "good evening", "yo",
              "你好", "您好", "在吗", "在不在", "哈喽", "嗨", "早上好", "晚上好"}
_RATING_RE = re.compile(r"^\s*([1-5])(?:\s*(?:/\s*5|分|星))?(?:[\s,.:;!，。：；！-]+(.*))?$", re.S)
_CODE_LIKE_RE = re.compile(r"[\d\s-]+")

_S = ConversationState


class Handler(Protocol):
    def match(self, turn: Turn) -> bool: ...
    async def handle(self, turn: Turn, services: Services) -> bool: ...


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
        await turn.set_conversation(Conversation())
        rating = _RATING_RE.match(turn.text)
        ticket_id = turn.conversation.ticket_id
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
        if turn.words in _YES:
            await open_ticket(turn, services, turn.conversation.question or turn.text, turn.conversation.category)
            return True
        if turn.words in _NO:
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


class Greet:
    def match(self, turn: Turn) -> bool:
        return turn.words in _GREETINGS and turn.speaks_to_bot

    async def handle(self, turn: Turn, services: Services) -> bool:
        turn.reply(t("help", turn.lang))
        return True


class AskForHuman:
    def match(self, turn: Turn) -> bool:
        return turn.words in _HUMAN_WORDS and turn.speaks_to_bot

    async def handle(self, turn: Turn, services: Services) -> bool:
        await open_ticket(turn, services, turn.conversation.question or turn.text, turn.conversation.category)
        return True


class RelayToTicket:
    """In private, a user with an open (or recently resolved) ticket talks to staff."""

    def match(self, turn: Turn) -> bool:
        return turn.private

    async def handle(self, turn: Turn, services: Services) -> bool:
        tx, desk = turn.tx, services.desk
        keys = await tx.linked_user_keys(turn.msg.user.key)
        ticket = await tx.active_ticket_for(keys)
        if ticket is None:
            last = await tx.last_resolved_ticket_for(keys)
            window = services.settings.reopen_window_hours * 3600
            if last is None or last.resolved_at is None or turn.now - last.resolved_at > window:
                return False
            ticket = await desk.transition(tx, last, "reopen", turn.msg.user.key, None, turn.now, turn.effects)
            turn.reply(t("ticket.reopened", turn.lang, ticket_id=ticket.id))
        await desk.relay_user_message(tx, ticket, turn.msg, turn.text, turn.now, turn.effects)
        turn.outcome.ticket_id = ticket.id
        return True


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
            body = match.answer
            if match.escalate:
                body += "\n\n" + t("faq.escalate_hint", match.lang)
            turn.reply(body)
            if match.escalate and turn.private:
                await turn.set_conversation(Conversation(question=turn.text, category=match.id))
        elif turn.private:
            await turn.set_conversation(Conversation(_S.OFFER_HUMAN, question=turn.text))
            turn.reply(t("faq.offer_human", turn.lang))
        elif turn.msg.addressed:
            turn.reply(t("faq.group_offer_human", turn.lang))
        return True


def default_handlers(settings: Settings) -> Sequence[Handler]:
    """In order: what a pending question expects first, then commands and short
    replies, then the ticket, then the FAQ."""
    return (BurnPublicCode(), EnterCode(), RateTicket(), AnswerHumanOffer(), RunCommand(), Greet(), AskForHuman(),
            LookUpTransaction(settings), RelayToTicket(), AnswerFromFaq(settings.group_auto_answer))

