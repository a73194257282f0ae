"""A real store outage for tests, on a real SQLite file.

Another connection (another process, as far as SQLite knows) takes the write
lock and keeps it; the store gives up waiting for the lock after a fraction of
a second instead of its production 100 s, so every transaction fails with
:class:`~core.errors.StoreError` until :meth:`StoreOutage.end`. Nothing in the
code under test is replaced: the store, its lock wait and its error are real.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import core.storage.sqlite as sqlite_module
from core.ops.metrics import Metrics

__all__ = ["StoreOutage", "messages_in", "store_failures"]


class StoreOutage:
    """Args:
    path: the store's database file.
    monkeypatch: shortens the store's wait for the lock (for this test only).
    """

    def __init__(self, path: str | Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = str(path)
        monkeypatch.setattr(sqlite_module, "_BUSY_RETRY_SECONDS", 0.05)
        self._holder: sqlite3.Connection | None = None

    def begin(self) -> None:
        holder = sqlite3.connect(self.path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        self._holder = holder

    def end(self) -> None:
        holder, self._holder = self._holder, None
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()

    def __enter__(self) -> "StoreOutage":
        self.begin()
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


def store_failures(metrics: Metrics, platform: str) -> float:
    """Inbound messages the store failed to keep so far (``walletdesk_inbound_store_failures_total``)."""
    return metrics.registry.get_sample_value("walletdesk_inbound_store_failures_total", {"platform": platform}) or 0.0


def messages_in(metrics: Metrics, platform: str) -> float:
    """Inbound messages processed (a duplicate is not counted)."""
    return metrics.registry.get_sample_value("walletdesk_messages_in_total", {"platform": platform}) or 0.0
