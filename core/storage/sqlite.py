"""SQLite stores (WAL): one connection, transactions serialised by a lock and
taken with BEGIN IMMEDIATE so that a second process waits instead of failing.

* :class:`SQLiteStore` (``sqlite:///path``, the default) runs statements on the
  event-loop thread with the stdlib driver. In WAL mode with
  ``synchronous=NORMAL`` a statement takes microseconds, less than one hand-off
  to a driver thread, and a message is at most 6 statements: this store carries
  several times the messages per second of the threaded one. What could block
  the loop is kept off it: the write lock is taken with ``busy_timeout=0`` and
  retried with ``asyncio.sleep`` while another process holds it, and WAL
  checkpoints (the only fsyncs) run in a worker thread on a second connection.
* :class:`AiosqliteStore` (``sqlite+aiosqlite:///path``) sends every statement
  to aiosqlite's thread: nothing ever runs on the loop thread, at ~50 µs per
  statement.

Both raise :class:`StoreError` for every failure that says the database is not
working (locked past the wait, disk full, I/O error, a damaged or read-only
file), never the driver's ``sqlite3.OperationalError``: adapters tell a store
outage apart from a bug by that one type, and ask their platform to redeliver.
Constraint violations and SQL mistakes stay the driver's: they are bugs, and a
redelivery would only repeat them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from core.errors import StoreError
from core.storage.base import SqlTx

__all__ = ["AiosqliteStore", "SQLiteStore"]

T = TypeVar("T")

_BUSY_RETRY_SECONDS = 100.0
_CHECKPOINT_SECONDS = 1.0

_LOGGER = logging.getLogger(__name__)


def _is_outage(exc: sqlite3.Error) -> bool:
    """The database is not working, as opposed to a statement that is wrong
    (IntegrityError, ProgrammingError...): OperationalError, or the bare
    DatabaseError SQLite raises for a damaged file."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        if not _is_outage(exc):
            raise
        raise StoreError(f"{what}: {exc}") from None


class _SQLiteConnection:
    """One hop to aiosqlite's thread per statement: a hop costs more than a WAL
    statement, so hops are what a message's store time is made of."""

    __slots__ = ("_db",)

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        # not closed explicitly (another hop): a finished DML statement holds no
        # lock, and CPython frees the cursor as soon as it is dropped here
        with _translated("SQLite statement failed"):
            return (await self._db.execute(sql, tuple(params))).rowcount

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        with _translated("SQLite statement failed"):
            return [dict(r) for r in await self._db.execute_fetchall(sql, tuple(params))]

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> dict[str, Any] | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


class _SQLiteFile:
    """What both SQLite stores share: the file, the lock, the migrations.

    Args:
        path: the database file (parent directories are created), or ``:memory:``.
    """

    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = asyncio.Lock()

    def _make_parent(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def transaction(self) -> AbstractAsyncContextManager[SqlTx]:
        raise NotImplementedError

    schema_versions: tuple[int, int] = (0, 0)  # (before, after) the migration run by open()

    async def _migrate(self) -> None:
        async with self.transaction() as tx:
            before = await tx.schema_version()
            for version in await tx.apply_migrations(self.dialect):
                _LOGGER.info("sqlite schema migrated to version %d", version)
            self.schema_versions = (before, await tx.schema_version())


class AiosqliteStore(_SQLiteFile):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        if self._db is not None:
            return
        self._make_parent()
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
                await self._rollback()
                raise
            else:
                try:
                    with _translated("commit failed"):
                        await self._db.execute("COMMIT")
                except StoreError:
                    await self._rollback()
                    raise

    async def _rollback(self) -> None:
        """ROLLBACK, unless SQLite already rolled back by itself (it does after an
        I/O error or a full disk): the error that got us here is the one to raise."""
        assert self._db is not None
        if self._db.in_transaction:
            try:
                await self._db.execute("ROLLBACK")
            except sqlite3.Error as exc:
                _LOGGER.warning("sqlite: rollback failed: %s", exc)


class _LoopConnection:
    """Statements on the calling (event-loop) thread."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        with _translated("SQLite statement failed"):
            return self._db.execute(sql, tuple(params)).rowcount

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        with _translated("SQLite statement failed"):
            return [dict(r) for r in self._db.execute(sql, tuple(params)).fetchall()]

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> dict[str, Any] | None:
        with _translated("SQLite statement failed"):
            row = self._db.execute(sql, tuple(params)).fetchone()
        return dict(row) if row is not None else None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


class SQLiteStore(_SQLiteFile):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._db: sqlite3.Connection | None = None
        self._commits = 0
        self._checkpointer: asyncio.Task[None] | None = None

    async def open(self) -> None:
        if self._db is not None:
            return
        self._make_parent()
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=0")  # never wait on the loop thread: _begin retries
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in a thread instead
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from None
        self._db = db
        await self._migrate()
        if self.path != ":memory:":
            self._checkpointer = asyncio.create_task(self._checkpoints(), name="sqlite-checkpoint")

    async def _begin(self) -> None:
        """BEGIN IMMEDIATE, yielding to the loop while another process writes."""
        assert self._db is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _BUSY_RETRY_SECONDS
        delay = 0.001
        while True:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise StoreError(f"cannot start a transaction: {exc}") from None
                if loop.time() > deadline:
                    raise StoreError(f"database busy for {_BUSY_RETRY_SECONDS:.0f}s: {exc}") from None
            await asyncio.sleep(delay)
            delay = min(0.05, delay * 2)

    async def _checkpoints(self) -> None:
        """Copy the WAL back into the database file now and then, off the loop thread.

        One thread owns the second connection: a cancelled wait must never let
        ``close`` run on it while a checkpoint is still inside SQLite.
        """
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-checkpoint")
        conn: sqlite3.Connection | None = None
        try:
            conn = await _to_the_end(loop.run_in_executor(pool, _connect, self.path))
            seen = 0
            while True:
                await asyncio.sleep(_CHECKPOINT_SECONDS)
                if self._commits != seen:
                    seen = self._commits
                    await loop.run_in_executor(pool, _checkpoint, conn, "PASSIVE")
        finally:
            closing = loop.run_in_executor(pool, _close, conn)  # queued behind a running checkpoint
            pool.shutdown(wait=False)
            await _to_the_end(closing)

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        if self._db is None:
            return
        async with self._lock:  # no transaction may share the connection with the thread
            db, self._db = self._db, None
            try:
                if self.path != ":memory:":
                    await _to_the_end(asyncio.to_thread(_checkpoint, db, "TRUNCATE"))
            finally:
                db.close()

    async def ping(self) -> bool:
        if self._db is None:
            return False
        try:
            self._db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        if self._db is None:
            raise StoreError("store is not open")
        async with self._lock:
            if self._db is None:  # closed while this one waited for the lock
                raise StoreError("store is not open")
            await self._begin()
            db = self._db
            try:
                yield SqlTx(_LoopConnection(db))
            except BaseException:
                _rollback(db)
                raise
            else:
                try:
                    db.execute("COMMIT")
                except sqlite3.Error as exc:
                    _rollback(db)
                    raise StoreError(f"commit failed: {exc}") from None
                self._commits += 1


async def _to_the_end(work: Awaitable[T]) -> T:
    """Await thread work that must finish even if the caller is cancelled (the
    thread cannot be stopped, and what it holds must not be freed under it)."""
    future = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(future)
    finally:
        if not future.done():
            await asyncio.wait([future])


def _rollback(db: sqlite3.Connection) -> None:
    """ROLLBACK, unless SQLite already rolled back by itself (it does after an
    I/O error or a full disk): the error that got us here is the one to raise."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            _LOGGER.warning("sqlite: rollback failed: %s", exc)


def _connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, check_same_thread=False)


def _close(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        conn.close()


def _checkpoint(conn: sqlite3.Connection, mode: str) -> None:
    try:
        conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
    except sqlite3.Error as exc:  # busy readers: the next round catches up
        _LOGGER.debug("sqlite checkpoint (%s) skipped: %s", mode, exc)
