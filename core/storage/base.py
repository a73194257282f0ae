"""The store port: one async interface, SQL written once for SQLite and PostgreSQL.

Callers open a unit of work with ``async with store.transaction() as tx`` and
call typed methods on ``tx``; a state change and the outbox rows it causes
commit together or not at all.

:class:`SqlTx` is only a composition: the queries live in one mixin per kind of
data (``core/storage/<kind>_rows.py``), each written against
:class:`core.storage.connection.Connection`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from core.storage.block_rows import BlockRows
from core.storage.connection import Connection, Row
from core.storage.conversation_rows import ConversationRows
from core.storage.desk_rows import DeskRows
from core.storage.digest_rows import DigestRows
from core.storage.event_rows import TicketEventRows
from core.storage.file_rows import FileRows
from core.storage.meta_rows import MetaRows
from core.storage.outbox_rows import OutboxRows
from core.storage.parking_rows import ParkingRows
from core.storage.phrasing_rows import PhrasingRows
from core.storage.scrub_rows import ScrubRows
from core.storage.secret_rows import SecretRows
from core.storage.ticket_rows import TicketRows, row_to_ticket
from core.storage.user_rows import UserRows
from core.storage.window_rows import PhrasePartRows

__all__ = ["Connection", "Row", "SqlTx", "Store", "row_to_ticket"]


class Store(Protocol):
    dialect: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def transaction(self) -> AbstractAsyncContextManager["SqlTx"]: ...
    async def ping(self) -> bool: ...


class SqlTx(
    MetaRows, UserRows, ConversationRows, TicketRows, TicketEventRows, OutboxRows, SecretRows, PhrasingRows,
    ScrubRows, PhrasePartRows, ParkingRows, BlockRows, DigestRows, FileRows, DeskRows,
):
    """Typed queries over one transaction. Backends differ only in ``Connection``
    and in ``skip_locked`` (PostgreSQL row locks for concurrent workers)."""

    __slots__ = ("_c", "_skip_locked")

    def __init__(self, conn: Connection, *, skip_locked: bool = False) -> None:
        self._c = conn
        self._skip_locked = skip_locked
