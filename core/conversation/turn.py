"""One inbound message on its way through the handlers, inside its transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from core.conversation.acts import Act, ActContext
from core.models import ChatRef, Conversation, InboundMessage, Ticket, TicketEvent
from core.storage import SqlTx
from core.support.outbox import Effects
from core.support.outcome import Outcome

__all__ = ["Turn", "parse_command", "words"]

_COMMAND_RE = re.compile(r"^/(\w+)(?:@\w+)?(?:\s+(.*))?$", re.S)


def words(text: str) -> str:
    """Lower-case words without punctuation, for matching short replies."""
    return re.sub(r"[\s!.,。！，?？]+", " ", text.strip().lower()).strip()


def parse_command(text: str) -> tuple[str, str] | None:
    """``/name@bot arg`` -> (``name``, ``arg``)."""
    found = _COMMAND_RE.match(text)
    return (found.group(1).lower(), (found.group(2) or "").strip()) if found else None


@dataclass(slots=True)
class Turn:
    """``text`` has passed the shield; ``conversation`` is the state the message
    found (handlers that change it write the store, not this field)."""

    msg: InboundMessage
    text: str
    lang: str
    tx: SqlTx
    effects: Effects
    outcome: Outcome
    now: float
    conversation: Conversation
    chat: ChatRef  # the conversation's own chat: the private chat's key for DMs
    command: tuple[str, str] | None
    words: str
    act: Act = Act.OTHER  # judged in ``context``
    context: ActContext = ActContext.NONE
    ticket: Ticket | None = None  # the user's open ticket (private chats)
    resolved: Ticket | None = None  # their ticket resolved inside the reopen window, when none is open
    memo: dict[str, object] = field(default_factory=dict)  # the conversation's memory, saved after the turn
    replies: list[str] = field(default_factory=list)
    written: Conversation | None = None  # the conversation a handler set
    fetched: dict[str, object] = field(default_factory=dict)  # network answers fetched before the transaction
    parked: bool = True  # False: the turn's first read found no parking row for ``ticket``
    # ticket events written when the turn ends, in one statement (core/conversation/bot_part.py);
    # once a handler puts one here, every later event of the turn goes here too, to keep their order
    later: list[TicketEvent] = field(default_factory=list)

    @property
    def private(self) -> bool:
        return self.msg.chat.is_private

    @property
    def speaks_to_bot(self) -> bool:
        return self.msg.chat.is_private or self.msg.addressed

    def reply(self, body: str) -> None:
        """Answer where the message was written (threaded to it in groups)."""
        self.effects.send(self.msg.chat, body, reply_to=None if self.private else self.msg.message_id)
        self.replies.append(body)

    async def set_conversation(self, conversation: Conversation) -> None:
        """Takes effect when the turn ends (with the memo)."""
        self.written = conversation

    async def save(self) -> None:
        """Write the turn's ticket events kept for later, then the conversation a handler
        set (or the one found) with the memo."""
        if self.later:
            await self.tx.add_events(self.later)
            self.later = []
        final = self.written or self.conversation
        if self.written is None and self.memo == self.conversation.memo:
            return
        await self.tx.set_conversation(self.msg.user.key, self.chat.key, replace(final, memo=self.memo), self.now)
