"""A statement log around any store: every ``execute``/``fetchone``/``fetchall`` a
transaction runs, with its SQL and the time it took.

For tests that hold a use case to a statement budget (a count, not a timing: see
tests/core/test_statement_budget.py) and for the benchmark's breakdown of where a
message's time goes. BEGIN and COMMIT are not statements here: the backends run them
outside :class:`core.storage.base.Connection`, so they never reach the log.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from core.storage.base import SqlTx, Store

__all__ = ["CountingConnection", "CountingStore", "Statement", "StatementLog"]

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Statement:
    call: str  # execute | fetchone | fetchall
    sql: str
    seconds: float


@dataclass(slots=True)
class StatementLog:
    statements: list[Statement] = field(default_factory=list)
    transactions: int = 0  # transactions opened (each a BEGIN and a COMMIT or ROLLBACK on top)
    transaction_seconds: float = 0.0  # inside ``async with store.transaction()``, statements included
    begin_seconds: float = 0.0  # of which getting the transaction (lock or pool connection, BEGIN)
    end_seconds: float = 0.0  # ... and ending it (COMMIT or ROLLBACK, giving the connection back)

    def clear(self) -> None:
        self.statements.clear()
        self.transactions = 0
        self.transaction_seconds = self.begin_seconds = self.end_seconds = 0.0

    def __len__(self) -> int:
        return len(self.statements)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.statements)

    def listing(self) -> str:
        """One numbered line per statement, for a failing test's message."""
        return "\n".join(f"{n:>3}. {s.call}: {' '.join(s.sql.split())}" for n, s in enumerate(self.statements, 1))


class CountingConnection:
    """A :class:`core.storage.base.Connection` that logs each call to the one it wraps."""

    __slots__ = ("inner", "log")

    def __init__(self, inner: Any, log: StatementLog) -> None:
        self.inner = inner
        self.log = log

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        t0 = time.perf_counter()
        try:
            return int(await self.inner.execute(sql, params))
        finally:
            self.log.statements.append(Statement("execute", sql, time.perf_counter() - t0))

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        t0 = time.perf_counter()
        try:
            return list(await self.inner.fetchall(sql, params))
        finally:
            self.log.statements.append(Statement("fetchall", sql, time.perf_counter() - t0))

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        t0 = time.perf_counter()
        try:
            row: Row | None = await self.inner.fetchone(sql, params)
            return row
        finally:
            self.log.statements.append(Statement("fetchone", sql, time.perf_counter() - t0))


class CountingStore:
    """Any store (SQLite, PostgreSQL, sealed) whose transactions log their statements
    into ``log``. Everything else is the wrapped store's."""

    __slots__ = ("inner", "log")

    def __init__(self, inner: Store, log: StatementLog | None = None) -> None:
        self.inner = inner
        self.log = log if log is not None else StatementLog()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def dialect(self) -> str:
        return self.inner.dialect

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def ping(self) -> bool:
        return await self.inner.ping()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        log = self.log
        t0 = time.perf_counter()
        log.transactions += 1
        t_body: float | None = None
        try:
            async with self.inner.transaction() as tx:
                tx._c = CountingConnection(tx._c, log)  # noqa: SLF001 (same package)
                t_body = time.perf_counter()
                log.begin_seconds += t_body - t0
                try:
                    yield tx
                finally:
                    t_body = time.perf_counter()
        finally:
            t1 = time.perf_counter()
            log.transaction_seconds += t1 - t0
            if t_body is not None:
                log.end_seconds += t1 - t_body
