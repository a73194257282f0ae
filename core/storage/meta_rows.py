"""Store queries about the database itself and the transaction: the schema version and
its migrations, advisory locks (PostgreSQL), and the inbound events already processed
(``processed_events``, the store's idempotency check). A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

from core.storage.connection import Connection
from core.storage.migrations import MIGRATIONS, split_step

__all__ = ["MetaRows"]


class MetaRows:
    """Schema, locks and processed events. Needs ``_c`` and ``_skip_locked`` (PostgreSQL)."""

    __slots__ = ()
    _c: Connection
    _skip_locked: bool

    async def schema_version(self) -> int:
        """The schema version this database is at (0: empty)."""
        await self._c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = await self._c.fetchone("SELECT MAX(version) AS v FROM schema_version")
        return int((row or {}).get("v") or 0)

    async def advisory_lock(self, key: int) -> None:
        """PostgreSQL: hold ``key`` until this transaction ends (SQLite's write lock already does)."""
        if self._skip_locked:
            await self._c.execute("SELECT pg_advisory_xact_lock(?)", (key,))

    async def apply_migrations(self, dialect: str) -> list[int]:
        """Bring the schema up to date inside this transaction; the versions applied."""
        await self._c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = await self._c.fetchone("SELECT MAX(version) AS v FROM schema_version")
        current = int((row or {}).get("v") or 0)
        applied: list[int] = []
        for version, steps in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            for step in steps:
                await self._c.execute(*split_step(dialect, step))
            await self._c.execute("INSERT INTO schema_version(version) VALUES (?)", (version,))
            applied.append(version)
        return applied

    async def lock_name(self, namespace: int, name: str) -> None:
        """PostgreSQL: hold a lock on ``(namespace, name)`` until this transaction ends, so
        read-then-write checks on one name run one at a time (SQLite's write lock already does)."""
        if self._skip_locked:
            await self._c.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (namespace, name))

    async def claim_event(self, event_key: str, now: float) -> bool:
        """True the first time ``event_key`` is seen, False on every redelivery."""
        n = await self._c.execute(
            "INSERT INTO processed_events(event_key, at) VALUES (?, ?) ON CONFLICT (event_key) DO NOTHING",
            (event_key, now),
        )
        return n == 1

    async def inbound_event_keys(self, since: float, until: float) -> list[str]:
        """Keys of the inbound events claimed in ``[since, until)`` (the report counts them by platform prefix)."""
        rows = await self._c.fetchall(
            "SELECT event_key FROM processed_events WHERE at >= ? AND at < ?", (since, until)
        )
        return [r["event_key"] for r in rows]

    async def forget_event_keys(self, prefix: str) -> int:
        """Delete processed-event keys that start with ``prefix`` (keys that embed a user key)."""
        return await self._c.execute(
            "DELETE FROM processed_events WHERE substr(event_key, 1, ?) = ?", (len(prefix), prefix)
        )
