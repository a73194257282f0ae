"""One inbound message on its way through the handlers, inside its transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.models import ChatRef, Conversation, InboundMessage
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

    @property
    def private(self) -> bool:
        return self.msg.chat.is_private

    @property
    def speaks_to_bot(self) -> bool:
        return self.msg.chat.is_private or self.msg.addressed

    def reply(self, body: str) -> None:
        """Answer where the message was written (threaded to it in groups)."""
        self.effects.send(self.msg.chat, body, reply_to=None if self.private else self.msg.message_id)

    async def set_conversation(self, conversation: Conversation) -> None:
        await self.tx.set_conversation(self.msg.user.key, self.chat.key, conversation, self.now)
