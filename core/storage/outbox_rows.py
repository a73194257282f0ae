"""Store queries of the outbox (``outbox``): enqueue with an idempotency key, claim the head
row of each chat under a lease, renew, mark sent or failed, and the counts the metrics and
the report read. A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.models import Delivery
from core.storage.connection import Connection, Row

__all__ = ["OutboxRecord", "OutboxRows", "SentCount", "outbox_record"]


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One outbox row as stored, for inspection (privacy scans, tests); the
    worker sends :class:`core.models.Delivery` instead. ``payload`` is the JSON text as
    stored (``'{}'`` once scrubbed), the text privacy scans search; :attr:`data` decodes it."""

    id: int
    idempotency_key: str
    platform: str
    action: str
    chat_key: str
    chat_id: str
    thread_id: str | None
    ticket_id: int | None
    payload: str
    status: str
    attempts: int
    next_attempt_at: float
    lease_owner: str | None
    lease_until: float | None
    last_error: str | None
    external_id: str | None
    created_at: float
    sent_at: float | None

    @property
    def data(self) -> dict[str, Any]:
        """The payload, decoded."""
        decoded: dict[str, Any] = json.loads(self.payload or "{}")
        return decoded


def outbox_record(r: Row) -> OutboxRecord:
    return OutboxRecord(
        int(r["id"]), str(r["idempotency_key"]), str(r["platform"]), str(r["action"]), str(r["chat_key"]),
        str(r["chat_id"]), r["thread_id"], r["ticket_id"], str(r["payload"]), str(r["status"]), int(r["attempts"]),
        float(r["next_attempt_at"]), r["lease_owner"], r["lease_until"], r["last_error"], r["external_id"],
        float(r["created_at"]), r["sent_at"],
    )


@dataclass(frozen=True, slots=True)
class SentCount:
    """How many outbox rows of one platform and action were delivered."""

    platform: str
    action: str
    n: int


class OutboxRows:
    """Needs ``_c`` and ``_skip_locked`` (PostgreSQL ``SKIP LOCKED`` claims)."""

    __slots__ = ()
    _c: Connection
    _skip_locked: bool

    async def enqueue(
        self, *, platform: str, action: str, chat_id: str, thread_id: str | None, payload: dict[str, object],
        idempotency_key: str, now: float, ticket_id: int | None = None, chat_key: str | None = None,
    ) -> bool:
        """Add a delivery; False when the idempotency key was already queued."""
        n = await self._c.execute(
            "INSERT INTO outbox(idempotency_key, platform, action, chat_key, chat_id, thread_id, ticket_id, payload,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            (
                idempotency_key, platform, action, chat_key or f"{platform}:{chat_id}", chat_id, thread_id,
                ticket_id, json.dumps(payload, ensure_ascii=False), now, now,
            ),
        )
        return n == 1

    async def claim_deliveries(self, owner: str, now: float, lease_seconds: float, limit: int,
                               platforms: Sequence[str] | None = None) -> list[Delivery]:
        """Lease the head row of up to ``limit`` chats. Only a chat's oldest pending
        row is eligible, so a chat's messages go out in order even across workers.
        ``platforms``: only rows this worker can send (others wait for a worker that can)."""
        lock = " FOR UPDATE SKIP LOCKED" if self._skip_locked else ""
        only = ""
        if platforms is not None:
            if not platforms:
                return []
            only = f" AND o.platform IN ({', '.join('?' for _ in platforms)})"
        rows = await self._c.fetchall(
            "SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?"
            " AND (o.lease_until IS NULL OR o.lease_until < ?)" + only +
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chat_key = o.chat_key AND p.status = 'pending'"
            " AND p.id < o.id) ORDER BY o.id LIMIT ?" + lock,
            (now, now, *(platforms or ()), limit),
        )
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" for _ in ids)
        claimed = await self._c.fetchall(
            f"UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ({marks})"
            " AND status = 'pending' RETURNING *",
            (owner, now + lease_seconds, *ids),
        )
        claimed.sort(key=lambda r: r["id"])
        return [
            Delivery(
                id=r["id"], platform=r["platform"], action=r["action"], chat_id=r["chat_id"],
                thread_id=r["thread_id"], payload=json.loads(r["payload"]), attempts=r["attempts"],
                ticket_id=r["ticket_id"],
            )
            for r in claimed
        ]

    async def renew_lease(self, delivery_id: int, owner: str, until: float) -> bool:
        """Extend a lease this worker still holds on a row it is delivering; False when it lost it."""
        n = await self._c.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND status = 'pending' AND lease_owner = ?",
            (until, delivery_id, owner),
        )
        return n == 1

    async def mark_sent(self, delivery_id: int, owner: str, external_id: str | None, now: float) -> bool:
        n = await self._c.execute(
            "UPDATE outbox SET status = 'sent', external_id = ?, sent_at = ?, lease_owner = NULL, lease_until = NULL,"
            " attempts = attempts + 1 WHERE id = ? AND status = 'pending' AND lease_owner = ?",
            (external_id, now, delivery_id, owner),
        )
        return n == 1

    async def mark_failed(self, delivery_id: int, owner: str, error: str, retry_at: float | None) -> None:
        """Schedule a retry at ``retry_at``, or dead-letter the row when it is None."""
        status = "pending" if retry_at is not None else "dead"
        await self._c.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            " lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
            (status, error[:500], retry_at if retry_at is not None else 0.0, delivery_id, owner),
        )

    async def get_delivery(self, delivery_id: int) -> OutboxRecord | None:
        row = await self._c.fetchone("SELECT * FROM outbox WHERE id = ?", (delivery_id,))
        return outbox_record(row) if row else None

    async def deliveries(self, *, status: str | None = None, ticket_id: int | None = None) -> list[OutboxRecord]:
        where, params = ["1 = 1"], []
        if status:
            where.append("status = ?")
            params.append(status)
        if ticket_id is not None:
            where.append("ticket_id = ?")
            params.append(ticket_id)
        rows = await self._c.fetchall(f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY id", params)
        return [outbox_record(r) for r in rows]

    async def outbox_stats(self, now: float) -> dict[str, float]:
        row = await self._c.fetchone(
            "SELECT SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,"
            " SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead,"
            " MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest FROM outbox"
        )
        row = row or {}
        oldest = row.get("oldest")
        return {
            "pending": float(row.get("pending") or 0),
            "dead": float(row.get("dead") or 0),
            "oldest_age_seconds": float(now - oldest) if oldest else 0.0,
        }

    async def sent_counts(self, since: float, until: float) -> list[SentCount]:
        """Delivered outbox rows in ``[since, until)``, per platform and action."""
        rows = await self._c.fetchall(
            "SELECT platform, action, COUNT(*) AS n FROM outbox WHERE status = 'sent' AND sent_at >= ? AND sent_at < ?"
            " GROUP BY platform, action ORDER BY platform, action",
            (since, until),
        )
        return [SentCount(str(r["platform"]), str(r["action"]), int(r["n"])) for r in rows]
