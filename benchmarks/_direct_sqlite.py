"""An experiment for the throughput report, not used by the service: the SQLite
store with statements run directly on the event-loop thread (stdlib sqlite3)
instead of one aiosqlite thread hop per call (execute, fetch and cursor close
are each a hop). WAL + synchronous=NORMAL makes a statement a few microseconds,
cheaper than the hop. SQLITE_BUSY (another process holds the write lock) is
retried with an asyncio sleep rather than blocking the loop.

Selected in benchmarks with ``--store direct`` to measure the proposed change.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from core.errors import StoreError
from core.storage.base import SqlTx
from core.storage.migrations import MIGRATIONS, render


class _Direct:
    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._db.execute(sql, tuple(params)).rowcount

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, tuple(params)).fetchall()]

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> dict[str, Any] | None:
        row = self._db.execute(sql, tuple(params)).fetchone()
        return dict(row) if row is not None else None


class DirectSQLiteStore:
    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        if self._db is not None:
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=0")
        db.execute("PRAGMA foreign_keys=ON")
        self._db = db
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        async with self._lock:
            await self._begin()
            try:
                current = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
                for version, steps in enumerate(MIGRATIONS, start=1):
                    if version > current:
                        for step in steps:
                            db.execute(render(self.dialect, step))
                        db.execute("INSERT INTO schema_version(version) VALUES (?)", (version,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    async def _begin(self) -> None:
        assert self._db is not None
        delay = 0.001
        for _ in range(2000):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                await asyncio.sleep(delay)
                delay = min(0.05, delay * 2)
        raise StoreError("database busy")

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    async def ping(self) -> bool:
        return self._db is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        if self._db is None:
            raise StoreError("store is not open")
        async with self._lock:
            await self._begin()
            try:
                yield SqlTx(_Direct(self._db))  # type: ignore[arg-type]
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
