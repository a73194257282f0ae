"""Store queries for the shared split-phrase window (``phrase_parts``): per user and
chat, the recent word-list-only messages as one JSON list, expiring within minutes.
The JSON is sealed at rest by :class:`core.storage.sealed_rows.SealedTx`."""

from __future__ import annotations

from typing import Any

__all__ = ["PhrasePartRows"]


class PhrasePartRows:
    """Mixin of :class:`core.storage.base.SqlTx` (uses its ``_c``)."""

    __slots__ = ()
    _c: Any

    async def phrase_parts(self, user_key: str, chat_key: str, now: float) -> str | None:
        """The kept parts (JSON), or None when there are none or they expired."""
        row = await self._c.fetchone(
            "SELECT parts FROM phrase_parts WHERE user_key = ? AND chat_key = ? AND expires_at > ?",
            (user_key, chat_key, now))
        return None if row is None else str(row["parts"])

    async def set_phrase_parts(self, user_key: str, chat_key: str, parts: str | None, expires_at: float,
                               now: float) -> None:
        """Keep ``parts`` (None: drop them) and remove every conversation's expired parts."""
        await self._c.execute("DELETE FROM phrase_parts WHERE expires_at <= ?", (now,))
        if parts is None:
            await self._c.execute("DELETE FROM phrase_parts WHERE user_key = ? AND chat_key = ?", (user_key, chat_key))
            return
        await self._c.execute(
            "INSERT INTO phrase_parts(user_key, chat_key, parts, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_key, chat_key) DO UPDATE SET parts = excluded.parts, expires_at = excluded.expires_at",
            (user_key, chat_key, parts, expires_at))

    async def forget_phrase_parts(self, user_key: str) -> int:
        return await self._c.execute("DELETE FROM phrase_parts WHERE user_key = ?", (user_key,))
