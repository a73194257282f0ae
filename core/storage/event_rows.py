"""Store queries of a ticket's transcript (``ticket_events``). A mixin of
:class:`core.storage.base.SqlTx`."""

from __future__ import annotations

from core.models import TicketEvent
from core.storage.connection import Connection, Row

__all__ = ["TicketEventRows"]


def _event(r: Row) -> TicketEvent:
    return TicketEvent(r["ticket_id"], r["kind"], r["actor"], r["body"], r["at"], bool(r["internal"]))


class TicketEventRows:
    """Needs ``_c``."""

    __slots__ = ()
    _c: Connection

    async def add_event(self, event: TicketEvent) -> None:
        await self._c.execute(
            "INSERT INTO ticket_events(ticket_id, kind, actor, body, internal, at) VALUES (?, ?, ?, ?, ?, ?)",
            (event.ticket_id, event.kind, event.actor, event.body, int(event.internal), event.at),
        )

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        rows = await self._c.fetchall("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket_id,))
        return [_event(r) for r in rows]

    async def last_event(self, ticket_id: int, kind: str) -> TicketEvent | None:
        """The ticket's latest event of ``kind`` (one row, not the transcript)."""
        row = await self._c.fetchone(
            "SELECT * FROM ticket_events WHERE ticket_id = ? AND kind = ? ORDER BY id DESC LIMIT 1", (ticket_id, kind))
        return _event(row) if row else None

    async def purge_transcripts(self, closed_before: float) -> int:
        return await self._c.execute(
            "UPDATE ticket_events SET body = NULL WHERE body IS NOT NULL AND ticket_id IN"
            " (SELECT id FROM tickets WHERE state = 'closed' AND closed_at < ?)",
            (closed_before,),
        )

    async def rename_event_actor(self, old: str, new: str) -> int:
        return await self._c.execute("UPDATE ticket_events SET actor = ? WHERE actor = ?", (new, old))
