"""Queries of the staff desk's own data: snippets, ticket tags, the round-robin
cursor and staff shifts (a mixin of :class:`core.storage.base.SqlTx`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

__all__ = ["DeskRows", "SnippetRecord"]

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SnippetRecord:
    """One stored canned reply (``body_zh`` None: English only)."""

    name: str
    body_en: str
    body_zh: str | None
    updated_by: str
    updated_at: float


def _snippet(r: Row) -> SnippetRecord:
    return SnippetRecord(str(r["name"]), str(r["body_en"]), r["body_zh"], str(r["updated_by"]), float(r["updated_at"]))

if TYPE_CHECKING:
    from core.storage.base import Connection


class DeskRows:
    """Needs ``self._c`` (the connection) and ``self._skip_locked`` (PostgreSQL)."""

    __slots__ = ()
    _c: "Connection"
    _skip_locked: bool

    # snippets -------------------------------------------------------------------

    async def snippets(self) -> list[SnippetRecord]:
        return [_snippet(r) for r in await self._c.fetchall("SELECT * FROM snippets ORDER BY name")]

    async def get_snippet(self, name: str) -> SnippetRecord | None:
        row = await self._c.fetchone("SELECT * FROM snippets WHERE name = ?", (name,))
        return _snippet(row) if row else None

    async def add_snippet(self, name: str, body_en: str, body_zh: str | None, by: str, now: float) -> bool:
        """False when ``name`` is taken."""
        n = await self._c.execute(
            "INSERT INTO snippets(name, body_en, body_zh, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING", (name, body_en, body_zh, by, now))
        return n == 1

    async def set_snippet_body(self, name: str, lang: str, body: str | None, by: str, now: float) -> bool:
        """Replace one language's text (``body`` None drops the zh text); False when there is no such snippet."""
        column = "body_zh" if lang == "zh" else "body_en"
        n = await self._c.execute(f"UPDATE snippets SET {column} = ?, updated_by = ?, updated_at = ? WHERE name = ?",
                                  (body, by, now, name))
        return n == 1

    async def delete_snippet(self, name: str) -> bool:
        return await self._c.execute("DELETE FROM snippets WHERE name = ?", (name,)) == 1

    # tags ------------------------------------------------------------------------

    async def add_tag(self, ticket_id: int, tag: str, by: str, now: float) -> bool:
        """False when the ticket already has ``tag``."""
        n = await self._c.execute(
            "INSERT INTO ticket_tags(ticket_id, tag, added_by, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (ticket_id, tag) DO NOTHING", (ticket_id, tag, by, now))
        return n == 1

    async def remove_tag(self, ticket_id: int, tag: str) -> bool:
        return await self._c.execute("DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?", (ticket_id, tag)) == 1

    async def ticket_tags(self, ticket_id: int) -> list[str]:
        rows = await self._c.fetchall("SELECT tag FROM ticket_tags WHERE ticket_id = ? ORDER BY tag", (ticket_id,))
        return [str(r["tag"]) for r in rows]

    async def tickets_tagged(self, tag: str) -> set[int]:
        rows = await self._c.fetchall("SELECT ticket_id FROM ticket_tags WHERE tag = ?", (tag,))
        return {int(r["ticket_id"]) for r in rows}

    async def tag_counts(self, ticket_ids: Sequence[int]) -> dict[str, int]:
        """How many of ``ticket_ids`` carry each tag."""
        counts: dict[str, int] = {}
        ids = list(ticket_ids)
        for start in range(0, len(ids), 500):  # bounded parameter lists
            chunk = ids[start:start + 500]
            rows = await self._c.fetchall(
                f"SELECT tag, COUNT(*) AS n FROM ticket_tags WHERE ticket_id IN ({', '.join('?' for _ in chunk)})"
                " GROUP BY tag", tuple(chunk))
            for r in rows:
                counts[str(r["tag"])] = counts.get(str(r["tag"]), 0) + int(r["n"])
        return counts

    # auto-assignment ---------------------------------------------------------------

    async def lock_round_robin(self) -> str:
        """The staff key the last ticket went to ('' for none), its row locked until this
        transaction ends (PostgreSQL ``FOR UPDATE``; SQLite's write lock already serialises)."""
        tail = " FOR UPDATE" if self._skip_locked else ""
        row = await self._c.fetchone(f"SELECT last_staff FROM assign_cursor WHERE name = 'round_robin'{tail}")
        return str((row or {}).get("last_staff") or "")

    async def set_round_robin(self, staff_key: str) -> None:
        await self._c.execute("UPDATE assign_cursor SET last_staff = ? WHERE name = 'round_robin'", (staff_key,))

    async def set_shift(self, staff_key: str, on_shift: bool, now: float) -> None:
        await self._c.execute(
            "INSERT INTO staff_shifts(staff_key, on_shift, at) VALUES (?, ?, ?)"
            " ON CONFLICT (staff_key) DO UPDATE SET on_shift = excluded.on_shift, at = excluded.at",
            (staff_key, int(on_shift), now))

    async def off_shift(self) -> set[str]:
        """Staff who took themselves off shift."""
        return {str(r["staff_key"]) for r in await self._c.fetchall("SELECT staff_key FROM staff_shifts WHERE on_shift = 0")}
