"""PostgreSQL store (asyncpg pool). Same SQL as SQLite; ``?`` placeholders are
rewritten to ``$n`` once per statement and cached. Outbox claims use
``FOR UPDATE SKIP LOCKED`` so any number of workers share one queue."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from core.errors import StoreError
from core.storage.base import SqlTx
from core.storage.migrations import MIGRATIONS, render

__all__ = ["PostgresStore"]

_LOGGER = logging.getLogger(__name__)

# errors that mean "the connection is gone" (server restart, network): callers see StoreError and retry
_LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError,
         asyncpg.exceptions.OperatorInterventionError)

_MIGRATION_LOCK = 0x77616C6C  # advisory lock id: one process migrates at a time


@functools.lru_cache(maxsize=512)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _m: f"${next(counter)}", sql)


def _rowcount(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class _PgConnection:
    __slots__ = ("_conn",)

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return _rowcount(await self._conn.execute(_numbered(sql), *params))

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in await self._conn.fetch(_numbered(sql), *params)]

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> dict[str, Any] | None:
        row = await self._conn.fetchrow(_numbered(sql), *params)
        return dict(row) if row is not None else None


class PostgresStore:
    """Args:
    dsn: ``postgresql://...``; a ``schema`` keyword selects a search_path (tests use
    their own schema).
    """

    dialect = "postgres"

    def __init__(self, dsn: str, *, schema: str | None = None, min_size: int = 1, max_size: int = 10) -> None:
        self.dsn = dsn
        self.schema = schema
        self._pool: asyncpg.Pool | None = None
        self._sizes = (min_size, max_size)
        self.schema_versions = (0, 0)  # (before, after) the migration run by open()

    async def open(self) -> None:
        if self._pool is not None:
            return
        settings = {"search_path": self.schema} if self.schema else None
        try:
            if self.schema:
                conn = await asyncpg.connect(self.dsn)
                try:  # concurrent CREATE SCHEMA IF NOT EXISTS can still collide: take turns
                    async with conn.transaction():
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                finally:
                    await conn.close()
            self._pool = await asyncpg.create_pool(
                self.dsn, min_size=self._sizes[0], max_size=self._sizes[1], server_settings=settings
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise StoreError(f"cannot reach PostgreSQL: {exc}") from None
        await self._migrate()

    async def _migrate(self) -> None:
        """Every process runs this on open; the advisory lock makes them take turns, so
        exactly one applies the steps and the others find the schema current."""
        assert self._pool is not None
        async with self.transaction() as tx:
            await tx.advisory_lock(_MIGRATION_LOCK)
            before = await tx.schema_version()
            for version in await tx.apply_migrations(self.dialect):
                _LOGGER.info("postgres schema migrated to version %d", version)
            self.schema_versions = (before, await tx.schema_version())

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self) -> bool:
        if self._pool is None:
            return False
        try:
            async with self._pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            return True
        except (OSError, asyncpg.PostgresError):
            return False

    async def drop_schema(self) -> None:
        """Test helper: remove this store's schema and everything in it."""
        if self.schema and self._pool is not None:
            async with self._pool.acquire() as conn:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        if self._pool is None:
            raise StoreError("store is not open")
        try:
            conn = await self._pool.acquire()
        except (*_LOST, asyncpg.PostgresError) as exc:
            raise StoreError(f"PostgreSQL unavailable: {exc}") from None
        try:
            async with conn.transaction():
                yield SqlTx(_PgConnection(conn), skip_locked=True)
        except _LOST as exc:
            raise StoreError(f"PostgreSQL connection lost: {exc}") from None
        finally:
            try:
                await self._pool.release(conn)
            except Exception as exc:  # a broken connection: the pool already dropped it
                _LOGGER.info("postgres: releasing a broken connection failed: %s", type(exc).__name__)
