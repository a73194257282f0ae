"""Store queries of the FAQ's own data: staff-added phrasings (``faq_phrasings``) and the
append-only lookup log (``faq_events``, no user, no text). A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.storage.connection import Connection, Row

__all__ = ["FaqEventCount", "Phrasing", "PhrasingRows"]


@dataclass(frozen=True, slots=True)
class Phrasing:
    """A staff-added example question of one FAQ entry; ``ticket_id``: the ticket it was taken from."""

    id: int
    entry_id: str
    lang: str
    text: str
    added_by: str
    ticket_id: int | None
    created_at: float


@dataclass(frozen=True, slots=True)
class FaqEventCount:
    """How many FAQ lookups of one kind there were (``entry_id`` None: nothing matched)."""

    platform: str
    lang: str
    entry_id: str | None
    answered: bool
    n: int


_PHRASING = "id, entry_id, lang, text, added_by, ticket_id, created_at"


def _phrasing(r: Row) -> Phrasing:
    return Phrasing(int(r["id"]), str(r["entry_id"]), str(r["lang"]), str(r["text"]), str(r["added_by"]),
                    r["ticket_id"], float(r["created_at"]))


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

    async def faq_event_counts(self, since: float, until: float) -> list[FaqEventCount]:
        """FAQ lookups in ``[since, until)``, counted per platform, language, entry and answer."""
        rows = await self._c.fetchall(
            "SELECT platform, lang, entry_id, answered, COUNT(*) AS n FROM faq_events WHERE at >= ? AND at < ?"
            " GROUP BY platform, lang, entry_id, answered ORDER BY platform, lang, entry_id, answered",
            (since, until),
        )
        return [FaqEventCount(str(r["platform"]), str(r["lang"]), r["entry_id"], bool(r["answered"]), int(r["n"]))
                for r in rows]

    async def add_faq_phrasing(self, *, entry_id: str, lang: str, text: str, added_by: str, ticket_id: int | None,
                               now: float) -> bool:
        """A staff-added example question; False when that entry already has it."""
        n = await self._c.execute(
            "INSERT INTO faq_phrasings(entry_id, lang, text, added_by, ticket_id, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (entry_id, lang, text) DO NOTHING",
            (entry_id, lang, text, added_by, ticket_id, now),
        )
        return n == 1

    async def faq_phrasings(self, *, newest: int | None = None) -> list[Phrasing]:
        """Staff-added phrasings: every one oldest first, or the ``newest`` few, newest first."""
        columns = f"SELECT {_PHRASING} FROM faq_phrasings"
        if newest is None:
            rows = await self._c.fetchall(columns + " ORDER BY id")
        else:
            rows = await self._c.fetchall(columns + " ORDER BY id DESC LIMIT ?", (newest,))
        return [_phrasing(r) for r in rows]

    async def faq_phrasings_version(self) -> tuple[int, int]:
        """``(count, highest id)``: changes whenever a phrasing is added or removed."""
        row = await self._c.fetchone("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS top FROM faq_phrasings")
        return (int(row["n"]), int(row["top"])) if row else (0, 0)

    async def delete_faq_phrasing(self, phrasing_id: int) -> Phrasing | None:
        """Remove one phrasing; the one it was, or None when there is none."""
        row = await self._c.fetchone(f"DELETE FROM faq_phrasings WHERE id = ? RETURNING {_PHRASING}", (phrasing_id,))
        return _phrasing(row) if row else None

    async def delete_faq_phrasings_of_tickets(self, ticket_ids: Sequence[int]) -> int:
        if not ticket_ids:
            return 0
        marks = ", ".join("?" for _ in ticket_ids)
        return await self._c.execute(f"DELETE FROM faq_phrasings WHERE ticket_id IN ({marks})", tuple(ticket_ids))
