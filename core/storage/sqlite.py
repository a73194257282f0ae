"""SQLite store (aiosqlite, WAL). One connection; transactions serialised by a lock
and taken with BEGIN IMMEDIATE so a second process waits instead of failing."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from core.errors import StoreError
from core.storage.base import SqlTx
from core.storage.migrations import MIGRATIONS, render

__all__ = ["SQLiteStore"]

_LOGGER = logging.getLogger(__name__)


class _SQLiteConnection:
    __slots__ = ("_db",)

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        cur = await self._db.execute(sql, tuple(params))
        try:
            return cur.rowcount
        finally:
            await cur.close()

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        async with self._db.execute(sql, tuple(params)) as cur:
            return [dict(r) for r in await cur.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> dict[str, Any] | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


class SQLiteStore:
    """Args:
    path: the database file (parent directories are created), or ``:memory:``.
    """

    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        if self._db is not None:
            return
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from None
        self._db.row_factory = sqlite3.Row
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA busy_timeout=10000")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._migrate()

    async def _migrate(self) -> None:
        assert self._db is not None
        await self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                async with self._db.execute("SELECT MAX(version) FROM schema_version") as cur:
                    row = await cur.fetchone()
                current = row[0] or 0
                for version, steps in enumerate(MIGRATIONS, start=1):
                    if version <= current:
                        continue
                    for step in steps:
                        await self._db.execute(render(self.dialect, step))
                    await self._db.execute("INSERT INTO schema_version(version) VALUES (?)", (version,))
                    _LOGGER.info("sqlite schema migrated to version %d", version)
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def ping(self) -> bool:
        if self._db is None:
            return False
        try:
            await self._db.execute("SELECT 1")
            return True
        except sqlite3.Error:
            return False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        if self._db is None:
            raise StoreError("store is not open")
        async with self._lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"database busy: {exc}") from None
            try:
                yield SqlTx(_SQLiteConnection(self._db))
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")
