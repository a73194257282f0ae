"""Queries on the ``files`` table: the bytes of files relayed between a user and
the desk, kept until delivered (or until the transcript goes, whichever first).

The bytes are one base64 TEXT column, so encryption at rest can wrap one value.
"""

from __future__ import annotations

import base64
from typing import Any

from core.models import FileBlob

__all__ = ["FileRows"]


class FileRows:
    """A mixin of :class:`core.storage.base.SqlTx` (``self._c`` is its connection)."""

    __slots__ = ()
    _c: Any

    async def save_file(self, *, ticket_id: int, user_key: str, direction: str, blob: FileBlob, now: float) -> int:
        """Keep ``blob`` for ``ticket_id``; its id (an outbox payload refers to it)."""
        row = await self._c.fetchone(
            "INSERT INTO files(ticket_id, user_key, direction, name, content_type, size, data, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (ticket_id, user_key, direction, blob.name, blob.content_type, len(blob.data),
             base64.b64encode(blob.data).decode("ascii"), now))
        assert row is not None
        return int(row["id"])

    async def get_file(self, file_id: int) -> FileBlob | None:
        row = await self._c.fetchone("SELECT name, content_type, data FROM files WHERE id = ?", (file_id,))
        if row is None:
            return None
        return FileBlob(row["name"], row["content_type"], base64.b64decode(row["data"]))

    async def delete_file(self, file_id: int) -> int:
        return await self._c.execute("DELETE FROM files WHERE id = ?", (file_id,))

    async def delete_files_of_tickets(self, ticket_ids: list[int]) -> int:
        """Every kept file of these tickets (purge, forget)."""
        n = 0
        for ticket_id in ticket_ids:
            n += await self._c.execute("DELETE FROM files WHERE ticket_id = ?", (ticket_id,))
        return n

    async def file_ids(self, ticket_id: int | None = None) -> list[int]:
        """Ids of the kept files (of one ticket), oldest first."""
        if ticket_id is None:
            rows = await self._c.fetchall("SELECT id FROM files ORDER BY id", ())
        else:
            rows = await self._c.fetchall("SELECT id FROM files WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [int(r["id"]) for r in rows]
