"""Store queries of the FAQ's own data: staff-added phrasings (``faq_phrasings``) and the
append-only lookup log (``faq_events``, no user, no text). A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

from collections.abc import Sequence

from core.storage.connection import Connection, Row

__all__ = ["PhrasingRows"]


class PhrasingRows:
    """Needs ``_c``."""

    __slots__ = ()
    _c: Connection

    async def record_faq_event(self, *, platform: str, lang: str, entry_id: str | None, confidence: float,
                               answered: bool, now: float) -> None:
        """One FAQ lookup (append-only; no user, no text)."""
        await self._c.execute(
            "INSERT INTO faq_events(at, platform, lang, entry_id, confidence, answered) VALUES (?, ?, ?, ?, ?, ?)",
            (now, platform, lang, entry_id, float(confidence), int(answered)),
        )

    async def faq_event_counts(self, since: float, until: float) -> list[Row]:
        """FAQ lookups in ``[since, until)``: ``platform, lang, entry_id, answered, n``."""
        return await self._c.fetchall(
            "SELECT platform, lang, entry_id, answered, COUNT(*) AS n FROM faq_events WHERE at >= ? AND at < ?"
            " GROUP BY platform, lang, entry_id, answered ORDER BY platform, lang, entry_id, answered",
            (since, until),
        )

    async def add_faq_phrasing(self, *, entry_id: str, lang: str, text: str, added_by: str, ticket_id: int | None,
                               now: float) -> bool:
        """A staff-added example question; False when that entry already has it."""
        n = await self._c.execute(
            "INSERT INTO faq_phrasings(entry_id, lang, text, added_by, ticket_id, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (entry_id, lang, text) DO NOTHING",
            (entry_id, lang, text, added_by, ticket_id, now),
        )
        return n == 1

    async def faq_phrasings(self, *, newest: int | None = None) -> list[Row]:
        """Staff-added phrasings: ``id, entry_id, lang, text, added_by, ticket_id, created_at``;
        every one oldest first, or the ``newest`` few, newest first."""
        columns = "SELECT id, entry_id, lang, text, added_by, ticket_id, created_at FROM faq_phrasings"
        if newest is None:
            return await self._c.fetchall(columns + " ORDER BY id")
        return await self._c.fetchall(columns + " ORDER BY id DESC LIMIT ?", (newest,))

    async def faq_phrasings_version(self) -> tuple[int, int]:
        """``(count, highest id)``: changes whenever a phrasing is added or removed."""
        row = await self._c.fetchone("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS top FROM faq_phrasings")
        return (int(row["n"]), int(row["top"])) if row else (0, 0)

    async def delete_faq_phrasing(self, phrasing_id: int) -> Row | None:
        """Remove one phrasing; the row it was, or None when there is none."""
        return await self._c.fetchone(
            "DELETE FROM faq_phrasings WHERE id = ? RETURNING id, entry_id, lang, text", (phrasing_id,))

    async def delete_faq_phrasings_of_tickets(self, ticket_ids: Sequence[int]) -> int:
        if not ticket_ids:
            return 0
        marks = ", ".join("?" for _ in ticket_ids)
        return await self._c.execute(f"DELETE FROM faq_phrasings WHERE ticket_id IN ({marks})", tuple(ticket_ids))
