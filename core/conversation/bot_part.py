"""The bot's part of a ticket's conversation.

What the bot tells a user in their private chat while they have an open ticket,
or one resolved inside the reopen window (FAQ answers, small talk, intake
questions, acknowledgements, notices), becomes a ticket event of kind
``bot_reply``, so a transcript reads as the conversation the user had. These
events stay off the desk thread: staff already see the system lines that
matter there (an automatic answer, a raised priority), and a line per bot reply
would bury what the user and staff write. Each text passes the shield like
everything stored. A turn about a one-time code (or a link code) keeps nothing:
codes are never stored in the clear.
"""

from __future__ import annotations

from core.conversation.turn import Turn
from core.identity.codes import looks_like_code
from core.models import ConversationState, TicketEvent
from core.shield.gate import TextSource, guard

__all__ = ["BOT_ACTOR", "BOT_REPLY", "record_bot_part"]

BOT_REPLY = "bot_reply"
BOT_ACTOR = "bot"
_CODE_COMMANDS = frozenset({"link", "verify"})  # their answers may carry a code


def _texts_to_user(turn: Turn) -> list[str]:
    """Every text this turn queued for the user's own private chat (replies, notices)."""
    chat, user = turn.msg.chat, turn.msg.user
    out: list[str] = []
    for row in turn.effects.rows:
        to_chat = row.action == "send" and row.platform == chat.platform and row.chat_id == chat.chat_id
        to_dm = row.action == "dm" and row.platform == user.platform and row.payload.get("user_id") == user.user_id
        text = row.payload.get("text")
        if (to_chat or to_dm) and isinstance(text, str) and text.strip():
            out.append(text)
    return out


def _about_a_code(turn: Turn) -> bool:
    return (turn.conversation.state is ConversationState.AWAITING_CODE or turn.outcome.code is not None
            or looks_like_code(turn.text) is not None
            or (turn.command is not None and turn.command[0] in _CODE_COMMANDS))


async def record_bot_part(turn: Turn) -> int:
    """Record this turn's bot texts on the user's ticket (with the turn's other events
    kept for later: :meth:`Turn.save` writes them in one statement); returns how many."""
    if not turn.private or _about_a_code(turn):
        return 0
    ticket = turn.ticket or turn.resolved
    # a handler that opened (or reopened) a ticket in this turn names it in the outcome
    ticket_id = turn.outcome.ticket_id or (ticket.id if ticket is not None else None)
    if ticket_id is None:
        return 0
    texts = _texts_to_user(turn)
    for text in texts:
        clean = guard(text, TextSource.STAFF_TEXT).text
        turn.later.append(TicketEvent(ticket_id, BOT_REPLY, BOT_ACTOR, clean, turn.now))
    return len(texts)
