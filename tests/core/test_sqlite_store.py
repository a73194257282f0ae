"""The default SQLite store runs statements on the loop thread: it must still
never stall the loop while another process holds the write lock, and its WAL
must be checkpointed off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

import core.storage.sqlite as sqlite_module
from core.errors import StoreError
from core.storage import store_for_url
from core.storage.memory import MemoryStore
from core.storage.sqlite import AiosqliteStore, SQLiteStore
from tests.waiting import DEADLINE, wait_until


async def test_waits_for_another_writer_without_blocking_the_loop(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_module, "_BUSY_RETRY_SECONDS", 10 * DEADLINE)  # it waits, however slow we are
    store = SQLiteStore(tmp_path / "w.db")
    await store.open()
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)  # another process, as far as SQLite knows
    other.execute("BEGIN IMMEDIATE")
    writer_tried = asyncio.Event()
    real_begin = store._begin

    async def begin() -> None:
        writer_tried.set()
        await real_begin()

    monkeypatch.setattr(store, "_begin", begin)

    async def write() -> bool:
        async with store.transaction() as tx:
            return await tx.claim_event("e1", 1.0)

    writer = asyncio.create_task(write())
    await asyncio.wait_for(writer_tried.wait(), DEADLINE)
    assert store._db is not None and tuple(store._db.execute("PRAGMA busy_timeout").fetchone()) == (0,)  # no sleeping in SQLite
    # the loop keeps turning while the writer waits for the lock: 50 more turns of ours
    # (a writer blocking the loop would hold them all up until it gave up, done)
    for _ in range(50):
        await asyncio.sleep(0)
        assert not writer.done()
    other.execute("COMMIT")
    assert await asyncio.wait_for(writer, DEADLINE) is True
    other.close()
    await store.close()


async def test_gives_up_with_a_store_error_when_the_lock_never_comes(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_module, "_BUSY_RETRY_SECONDS", 0.2)
    store = SQLiteStore(tmp_path / "b.db")
    await store.open()
    other = sqlite3.connect(tmp_path / "b.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError, match="database busy"):
        async with store.transaction():
            pass
    other.execute("ROLLBACK")
    async with store.transaction() as tx:  # and it works again afterwards
        assert await tx.claim_event("after", 1.0)
    other.close()
    await store.close()


class _CountingLooks(SQLiteStore):
    """Counts how often the commit count is read: once per checkpointer round when
    nothing commits (the checkpointer has no other trace when it finds nothing to do)."""

    commit_looks = 0

    @property  # type: ignore[override]
    def _commits(self) -> int:
        self.commit_looks += 1
        return self.__dict__.get("_commit_count", 0)

    @_commits.setter
    def _commits(self, value: int) -> None:
        self.__dict__["_commit_count"] = value


async def test_wal_is_checkpointed_off_the_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_module, "_CHECKPOINT_SECONDS", 0.05)
    calls: list[tuple[str, bool]] = []
    real = sqlite_module._checkpoint

    def recording(conn: sqlite3.Connection, mode: str) -> None:
        calls.append((mode, threading.current_thread() is threading.main_thread()))
        real(conn, mode)

    monkeypatch.setattr(sqlite_module, "_checkpoint", recording)
    path = tmp_path / "c.db"
    store = _CountingLooks(path)
    await store.open()
    for i in range(200):
        async with store.transaction() as tx:
            await tx.claim_event(f"k{i}", 1.0)
    wal = Path(str(path) + "-wal")
    assert wal.stat().st_size > 0  # no checkpoint on the loop thread's commits
    await wait_until(lambda: calls, what="a checkpoint")
    assert calls[0] == ("PASSIVE", False)
    # the checkpointer looks at the commit count once per round: let it do five more rounds
    looked = store.commit_looks
    await wait_until(lambda: store.commit_looks >= looked + 5, what="five more checkpointer rounds")
    assert len(calls) == 1  # nothing committed since: no more checkpoints
    await store.close()
    assert calls[-1] == ("TRUNCATE", False) and (not wal.exists() or wal.stat().st_size == 0)


async def test_close_waits_for_a_running_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # closing a connection while a checkpoint runs on it crashed the process (CI segfault)
    monkeypatch.setattr(sqlite_module, "_CHECKPOINT_SECONDS", 0.01)
    inside, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    real = sqlite_module._checkpoint

    closing = threading.Event()

    def slow(conn: sqlite3.Connection, mode: str) -> None:
        if mode == "PASSIVE":
            inside.set()
            closing.wait(DEADLINE)  # until close() is called
            try:
                conn.execute("SELECT 1").fetchall()
            except sqlite3.Error as exc:
                errors.append(exc)
            done.set()
        real(conn, mode)

    monkeypatch.setattr(sqlite_module, "_checkpoint", slow)
    store = SQLiteStore(tmp_path / "c.db")
    await store.open()
    async with store.transaction() as tx:
        await tx.claim_event("e1", 1.0)
    assert await asyncio.to_thread(inside.wait, DEADLINE)
    closing.set()  # the checkpoint goes on while close() runs
    await store.close()
    assert done.is_set()  # close() returned only after the checkpoint finished
    assert errors == []
    assert not await store.ping()
    with pytest.raises(StoreError):
        async with store.transaction():
            pass


def test_url_picks_the_driver() -> None:
    assert type(store_for_url("sqlite:///data/x.db")) is SQLiteStore
    assert type(store_for_url("sqlite+aiosqlite:///data/x.db")) is AiosqliteStore
    assert type(store_for_url("memory://")) is MemoryStore


async def test_the_memory_store_writes_no_file_runs_no_thread_and_shares_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``memory://``: no file anywhere (not even one named ``:memory:`` in the working
    directory), no checkpoint task, and a second store is a second, empty database."""
    monkeypatch.chdir(tmp_path)
    one, two = store_for_url("memory://"), store_for_url("memory://")
    await one.open()
    await two.open()
    try:
        async with one.transaction() as tx:
            assert await tx.claim_event("e1", 1.0)
        async with two.transaction() as tx:
            assert await tx.claim_event("e1", 1.0)  # not seen here: its own database
        async with one.transaction() as tx:
            assert not await tx.claim_event("e1", 2.0)
        assert isinstance(one, MemoryStore) and one._checkpointer is None
    finally:
        await one.close()
        await two.close()
    assert list(tmp_path.iterdir()) == []


async def _pragma(store: SQLiteStore | AiosqliteStore, sql: str) -> object:
    """A PRAGMA on the store's own connection (SQLite's limits are per connection)."""
    db = store._db
    assert db is not None
    if isinstance(db, sqlite3.Connection):
        row = db.execute(sql).fetchone()
    else:
        row = await (await db.execute(sql)).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("kind", [SQLiteStore, AiosqliteStore])
async def test_a_full_disk_is_a_store_error_and_the_store_works_again_after(
        tmp_path: Path, kind: type[SQLiteStore] | type[AiosqliteStore]) -> None:
    # adapters ask their platform to redeliver on StoreError alone: a full disk must be one,
    # not the driver's OperationalError (a bug's error type, which is not redelivered)
    store = kind(tmp_path / "full.db")
    await store.open()
    pages = await _pragma(store, "PRAGMA page_count")
    await _pragma(store, f"PRAGMA max_page_count={pages}")  # the disk is full: not one page more
    key = "x" * 500
    with pytest.raises(StoreError, match="full"):
        async with store.transaction() as tx:
            for i in range(1000):  # far more than the pages left
                await tx.claim_event(f"{key}{i}", 1.0)
    await _pragma(store, "PRAGMA max_page_count=1073741823")  # space again
    async with store.transaction() as tx:  # nothing of the failed transaction was kept
        assert await tx.claim_event(f"{key}0", 1.0)
    await store.close()
