"""What every query mixin of :class:`core.storage.base.SqlTx` is written against: the
three primitives a backend's connection provides inside one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["Connection", "Row"]

Row = dict[str, Any]


class Connection(Protocol):
    """The three primitives a backend provides inside a transaction."""

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int: ...
    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...
    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> Row | None: ...
