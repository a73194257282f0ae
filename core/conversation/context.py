"""What a turn knows before the handlers run: the user's open (or just resolved)
ticket, the context a dialogue act is judged in, the act itself; and what the
conversation remembers afterwards (the last exchanges, the last FAQ topic)."""

from __future__ import annotations

import re
from dataclasses import replace

from core.conversation.acts import ActContext, classify
from core.conversation.turn import Turn
from core.identity.codes import looks_like_code
from core.models import ConversationState, InboundMessage
from core.storage import SqlTx
from core.storage.turn_rows import TurnStart

__all__ = ["HISTORY_LINES", "expects_tx_hash", "prepare", "remember_exchange"]

HISTORY_LINES = 6  # what the desk sees of the conversation before a handoff
HISTORY_SECONDS = 3600.0  # older exchanges are not "the conversation before the handoff"


async def prepare(turn: Turn, reopen_window_hours: float, start: TurnStart | None = None) -> None:
    """``start``: what the turn's first read found (the tickets are not read again)."""
    turn.memo = dict(turn.conversation.memo)
    if turn.private:
        if start is not None:
            turn.ticket, last, turn.parked = start.ticket, start.resolved, start.parked
        else:
            keys = await turn.tx.linked_user_keys(turn.msg.user.key)
            turn.ticket = await turn.tx.active_ticket_for(keys)
            last = await turn.tx.last_resolved_ticket_for(keys) if turn.ticket is None else None
        if turn.ticket is None:
            if last is not None and last.resolved_at is not None and \
                    turn.now - last.resolved_at <= reopen_window_hours * 3600:
                turn.resolved = last
    state = turn.conversation.state
    if state in (ConversationState.OFFER_HUMAN, ConversationState.CONFIRM_REOPEN):  # a yes/no question is pending
        turn.context = ActContext.OFFER
    elif turn.ticket is not None:
        turn.context = ActContext.TICKET
    elif turn.resolved is not None or state is ConversationState.AWAITING_CSAT:
        turn.context = ActContext.RESOLVED
    else:
        turn.context = ActContext.NONE
    turn.act = classify(turn.text, turn.context)
    turn.outcome.act = turn.act.value


def remember_exchange(turn: Turn) -> None:
    """Keep the last few lines between the user and the bot (already shielded)."""
    if not turn.private or turn.conversation.state is ConversationState.AWAITING_CODE or turn.outcome.code \
            or looks_like_code(turn.text) is not None or turn.command is not None:
        return  # one-time codes (and what the bot said about them) are never stored
    at = turn.memo.get("history_at")
    fresh = isinstance(at, (int, float)) and turn.now - at <= HISTORY_SECONDS
    history = [str(x) for x in turn.memo.get("history", []) if isinstance(x, str)] if fresh else []  # type: ignore[union-attr]
    turn.memo["history_at"] = turn.now
    history.append(f"user: {' '.join(turn.text.split())[:200]}")  # one line: the desk shows these as system lines
    history.extend(f"bot: {' '.join(r.split())[:200]}" for r in turn.replies)
    turn.memo["history"] = history[-HISTORY_LINES:]
    turn.memo["lang"] = turn.lang
    if turn.replies:  # judged on the whole reply: the lines above keep only its start
        turn.memo["asked_hash"] = _ASKED_FOR_HASH_RE.search(turn.replies[-1]) is not None


async def forget_lines(turn: Turn, texts: tuple[str, ...]) -> None:
    """Drop the user's lines that turned out to be pieces of a secret from the
    conversation's history, in the store at once (not every turn saves its memo)."""
    gone = {f"user: {' '.join(text.split())[:200]}" for text in texts}
    memo = turn.conversation.memo
    history = memo.get("history")
    if not isinstance(history, list) or not gone.intersection(history):
        return
    cleaned = replace(turn.conversation, memo={**memo, "history": [line for line in history if line not in gone]})
    await turn.tx.set_conversation(turn.msg.user.key, turn.chat.key, cleaned, turn.now)
    turn.conversation = cleaned


_HASH_SHAPE_RE = re.compile(r"0x[0-9a-fA-F]{64}")
_ASKED_FOR_HASH_RE = re.compile(r"\btx ?hash|\btxid\b|\btransaction (hash|id)\b|\bhash\b|交易哈希|哈希|交易\s*id", re.I)


def may_hold_tx_hash(text: str) -> bool:
    """Whether :func:`expects_tx_hash` has anything to look up (no store read otherwise)."""
    return _HASH_SHAPE_RE.search(text) is not None


async def expects_tx_hash(tx: SqlTx, msg: InboundMessage, chat_key: str, now: float) -> bool:
    """True when ``msg`` holds a 0x + 64-hex string and the bot's last reply or the
    last staff reply on the user's open ticket asked for a transaction hash (the
    shield then reads it as a hash unless the message names a key)."""
    if not _HASH_SHAPE_RE.search(msg.text):
        return False
    conversation = await tx.get_conversation(msg.user.key, chat_key)
    at = conversation.memo.get("history_at")
    if conversation.memo.get("asked_hash") is True and isinstance(at, (int, float)) and now - at <= HISTORY_SECONDS:
        return True
    ticket = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key))
    if ticket is None:
        return False
    replies = [e for e in await tx.events(ticket.id) if e.kind in ("staff_reply", "canned") and not e.internal]
    return bool(replies) and _ASKED_FOR_HASH_RE.search(replies[-1].body or "") is not None
