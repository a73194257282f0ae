"""Store queries of conversations: the dialogue state per user and chat
(``conversations``). A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.models import Conversation
from core.storage.connection import Connection

__all__ = ["ConversationRecord", "ConversationRows"]


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """One stored conversation of a user, as a privacy export lists it (``data`` decoded)."""

    chat_key: str
    state: str
    updated_at: float
    data: dict[str, Any] = field(default_factory=dict)


class ConversationRows:
    """Needs ``_c``."""

    __slots__ = ()
    _c: Connection

    async def get_conversation(self, user_key: str, chat_key: str) -> Conversation:
        row = await self._c.fetchone(
            "SELECT state, data FROM conversations WHERE user_key = ? AND chat_key = ?", (user_key, chat_key)
        )
        if row is None:
            return Conversation()
        return Conversation.from_row(row["state"], json.loads(row["data"]))

    async def set_conversation(self, user_key: str, chat_key: str, conversation: Conversation, now: float) -> None:
        await self._c.execute(
            "INSERT INTO conversations(user_key, chat_key, state, data, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_key, chat_key) DO UPDATE SET state = excluded.state, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_key, chat_key, conversation.state.value, json.dumps(conversation.data()), now),
        )

    async def conversations_of(self, user_key: str) -> list[ConversationRecord]:
        rows = await self._c.fetchall(
            "SELECT chat_key, state, data, updated_at FROM conversations WHERE user_key = ? ORDER BY chat_key",
            (user_key,),
        )
        return [ConversationRecord(str(r["chat_key"]), str(r["state"]), float(r["updated_at"]),
                                   json.loads(r["data"] or "{}")) for r in rows]

    async def known_chat_keys(self) -> list[str]:
        """Every chat a conversation was held in or a ticket came from (``platform:chat[:thread]``),
        for ``walletdesk doctor``."""
        rows = await self._c.fetchall(
            "SELECT chat_key AS k FROM conversations UNION"
            " SELECT origin_platform || ':' || origin_chat AS k FROM tickets WHERE origin_private = 0 ORDER BY k")
        return [str(r["k"]) for r in rows]
