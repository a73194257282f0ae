"""Store queries for blocked users. A block lives in the store (``blocked_users``)
so every process honours it at once; the one notice a blocked user gets is a
conditional update, so it goes out once across processes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Block", "BlockRows"]


@dataclass(frozen=True, slots=True)
class Block:
    user_key: str
    reason: str
    blocked_by: str
    blocked_at: float
    ticket_id: int | None
    noticed: bool


def _block(row: dict[str, Any]) -> Block:
    return Block(str(row["user_key"]), str(row["reason"]), str(row["blocked_by"]), float(row["blocked_at"]),
                 row["ticket_id"], bool(row["noticed"]))


class BlockRows:
    """Mixin of :class:`core.storage.base.SqlTx` (``self._c`` is its connection)."""

    __slots__ = ()
    _c: Any

    async def block_user(self, user_key: str, *, reason: str, by: str, now: float, ticket_id: int | None,
                         noticed: bool) -> bool:
        """Block ``user_key``; False (and nothing changes) when already blocked."""
        n = await self._c.execute(
            "INSERT INTO blocked_users(user_key, reason, blocked_by, blocked_at, ticket_id, noticed)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_key) DO NOTHING",
            (user_key, reason, by, now, ticket_id, int(noticed)))
        return n == 1

    async def unblock_user(self, user_key: str) -> Block | None:
        row = await self._c.fetchone("DELETE FROM blocked_users WHERE user_key = ? RETURNING *", (user_key,))
        return _block(row) if row else None

    async def block_of(self, user_keys: Sequence[str]) -> Block | None:
        """The block on any of ``user_keys`` (the oldest), or None."""
        if not user_keys:
            return None
        marks = ", ".join("?" for _ in user_keys)
        row = await self._c.fetchone(
            f"SELECT * FROM blocked_users WHERE user_key IN ({marks}) ORDER BY blocked_at, user_key LIMIT 1",
            tuple(user_keys))
        return _block(row) if row else None

    async def blocks(self, *, limit: int = 50) -> list[Block]:
        rows = await self._c.fetchall("SELECT * FROM blocked_users ORDER BY blocked_at DESC, user_key LIMIT ?",
                                      (limit,))
        return [_block(r) for r in rows]

    async def scrub_block(self, user_key: str) -> int:
        """A privacy erasure: the block stays (a request must not lift it), its reason and ticket go."""
        return int(await self._c.execute("UPDATE blocked_users SET reason = '', ticket_id = NULL WHERE user_key = ?",
                                         (user_key,)))

    async def mark_block_noticed(self, user_key: str) -> bool:
        """True for the one caller that gets to send the blocked user their notice."""
        n = await self._c.execute("UPDATE blocked_users SET noticed = 1 WHERE user_key = ? AND noticed = 0",
                                  (user_key,))
        return n == 1
