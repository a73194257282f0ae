"""The in-memory store (``memory://``): for fast unit tests and trial runs that keep nothing.

It is SQLite on an in-memory database, run through the same :class:`core.storage.base.SqlTx`
as the file store, not a second implementation over dicts: the store's behaviour is its
SQL (``ON CONFLICT`` idempotency, ``RETURNING``, the outbox's head-of-chat claim, LIKE
scrubs, the sealed store's decrypt-and-scan reading the same rows), and one SQL text
means one behaviour, which the store contract suite (tests/core/test_store.py and the
other tests over the ``store`` fixture) checks on every backend. A dict copy would be a
second thing to keep in step, and it would pass tests the real stores fail.

What it leaves out is what only a file needs: no file is created, no WAL (an in-memory
database has no journal file to write ahead), no checkpoint thread, no second process
(the database lives and dies with this one connection, so it cannot be shared between
processes or two store objects).
"""

from __future__ import annotations

from core.storage.sqlite import SQLiteStore

__all__ = ["MemoryStore"]

_IN_MEMORY = ":memory:"  # sqlite3's name for a private database without a file


class MemoryStore(SQLiteStore):
    """:class:`SQLiteStore` on ``:memory:``: statements on the loop thread, migrations
    applied by :meth:`open`, everything gone at :meth:`close`."""

    def __init__(self) -> None:
        super().__init__(_IN_MEMORY)
