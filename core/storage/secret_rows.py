"""Store queries of one-time secrets (``otp_codes``): verification codes, link codes, wallet
nonces, stored as hashes. A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.storage.connection import Connection

__all__ = ["Secret", "SecretRows"]


@dataclass(frozen=True, slots=True)
class Secret:
    """One live one-time secret: only its hash is kept; ``data`` is what its purpose needs
    (a wallet nonce's message and address, a link's other account and chat)."""

    id: int
    user_key: str
    ticket_id: int | None
    purpose: str
    secret_hash: str
    created_at: float
    expires_at: float
    attempts: int
    data: dict[str, Any] = field(default_factory=dict)


class SecretRows:
    """Needs ``_c``."""

    __slots__ = ()
    _c: Connection

    async def insert_secret(
        self, *, user_key: str, ticket_id: int | None, purpose: str, secret_hash: str, data: dict[str, Any],
        now: float, expires_at: float,
    ) -> int:
        row = await self._c.fetchone(
            "INSERT INTO otp_codes(user_key, ticket_id, purpose, secret_hash, data, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (user_key, ticket_id, purpose, secret_hash, json.dumps(data), now, expires_at),
        )
        assert row is not None
        return int(row["id"])

    async def revoke_secrets(self, user_key: str, purpose: str) -> int:
        return await self._c.execute(
            "UPDATE otp_codes SET revoked = 1 WHERE user_key = ? AND purpose = ? AND used_at IS NULL AND revoked = 0",
            (user_key, purpose),
        )

    async def _live_secret_where(self, column: str, value: str, purpose: str, now: float) -> Secret | None:
        row = await self._c.fetchone(
            f"SELECT * FROM otp_codes WHERE {column} = ? AND purpose = ? AND used_at IS NULL AND revoked = 0"
            " AND expires_at > ? ORDER BY id DESC LIMIT 1",
            (value, purpose, now),
        )
        if row is None:
            return None
        return Secret(int(row["id"]), str(row["user_key"]), row["ticket_id"], str(row["purpose"]),
                      str(row["secret_hash"]), float(row["created_at"]), float(row["expires_at"]),
                      int(row["attempts"]), json.loads(row["data"]))

    async def live_secret(self, user_key: str, purpose: str, now: float) -> Secret | None:
        return await self._live_secret_where("user_key", user_key, purpose, now)

    async def count_secrets_since(self, user_key: str, purpose: str, since: float) -> int:
        row = await self._c.fetchone(
            "SELECT COUNT(*) AS n FROM otp_codes WHERE user_key = ? AND purpose = ? AND created_at >= ?",
            (user_key, purpose, since),
        )
        return int(row["n"]) if row else 0

    async def bump_secret_attempts(self, secret_id: int, max_attempts: int) -> int:
        """Count a wrong try; revokes the secret at ``max_attempts``. Returns the new count."""
        row = await self._c.fetchone(
            "UPDATE otp_codes SET attempts = attempts + 1,"
            " revoked = CASE WHEN attempts + 1 >= ? THEN 1 ELSE revoked END WHERE id = ? RETURNING attempts",
            (max_attempts, secret_id),
        )
        return int(row["attempts"]) if row else max_attempts

    async def use_secret(self, secret_id: int, now: float) -> bool:
        n = await self._c.execute(
            "UPDATE otp_codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked = 0", (now, secret_id)
        )
        return n == 1

    async def delete_unused_secret(self, user_key: str, purpose: str, secret_hash: str) -> bool:
        """Remove a secret that was never used (one that never reached its user)."""
        n = await self._c.execute(
            "DELETE FROM otp_codes WHERE user_key = ? AND purpose = ? AND secret_hash = ? AND used_at IS NULL",
            (user_key, purpose, secret_hash),
        )
        return n == 1

    async def live_secret_by_hash(self, purpose: str, secret_hash: str, now: float) -> Secret | None:
        return await self._live_secret_where("secret_hash", secret_hash, purpose, now)
