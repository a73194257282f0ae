"""Store queries of tickets (``tickets``): create, read (locked or not), update, the queue
and a person's history. A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

from collections.abc import Sequence

from core.models import ChatRef, Priority, Ticket, TicketState, UserRef
from core.storage.connection import Connection, Row

__all__ = ["TicketRows", "row_to_ticket"]

# advisory lock namespaces (first key of pg_advisory_xact_lock(int, int)): one person opens one ticket at a time
_PERSON_LOCK = 0x7764

_TICKET_UPDATABLE = frozenset(
    {
        "state", "priority", "category", "lang", "subject", "assignee", "verified_at", "verified_method",
        "updated_at", "first_response_at", "resolved_at", "closed_at", "desk_ref", "csat", "csat_comment",
        "sla_warned",
    }
)


def row_to_ticket(row: Row) -> Ticket:
    return Ticket(
        id=int(row["id"]),
        user=UserRef.parse(row["user_key"]),
        origin=ChatRef(row["origin_platform"], row["origin_chat"], row["origin_thread"], bool(row["origin_private"])),
        origin_message_id=row["origin_message_id"],
        state=TicketState(row["state"]),
        priority=Priority(row["priority"]),
        category=row["category"],
        lang=row["lang"],
        subject=row["subject"],
        assignee=row["assignee"],
        verified_at=row["verified_at"],
        verified_method=row["verified_method"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        desk_ref=row["desk_ref"],
        csat=row["csat"],
        csat_comment=row["csat_comment"],
    )


class TicketRows:
    """Needs ``_c`` and ``_skip_locked`` (PostgreSQL row and advisory locks)."""

    __slots__ = ()
    _c: Connection
    _skip_locked: bool

    async def create_ticket(
        self, *, user: UserRef, origin: ChatRef, origin_message_id: str | None, priority: Priority,
        category: str | None, lang: str, subject: str, now: float,
    ) -> Ticket:
        row = await self._c.fetchone(
            "INSERT INTO tickets(user_key, origin_platform, origin_chat, origin_thread, origin_private,"
            " origin_message_id, state, priority, category, lang, subject, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                user.key, origin.platform, origin.chat_id, origin.thread_id, int(origin.is_private),
                origin_message_id, TicketState.OPEN.value, priority.value, category, lang, subject, now, now,
            ),
        )
        assert row is not None
        return row_to_ticket(row)

    async def get_ticket(self, ticket_id: int, *, lock: bool = True) -> Ticket | None:
        """The ticket, locked for the rest of this transaction (PostgreSQL ``FOR UPDATE``;
        SQLite transactions already hold the one write lock): a concurrent state change
        waits here and then reads the state this one committed. ``lock=False`` for a
        read that changes nothing (no wait behind a staff action)."""
        tail = " FOR UPDATE" if lock and self._skip_locked else ""
        row = await self._c.fetchone("SELECT * FROM tickets WHERE id = ?" + tail, (ticket_id,))
        return row_to_ticket(row) if row else None

    async def update_ticket(self, ticket_id: int, **fields: object) -> None:
        unknown = set(fields) - _TICKET_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        cols = ", ".join(f"{name} = ?" for name in fields)
        await self._c.execute(f"UPDATE tickets SET {cols} WHERE id = ?", (*fields.values(), ticket_id))

    async def ticket_by_desk_ref(self, desk_ref: str) -> Ticket | None:
        row = await self._c.fetchone("SELECT * FROM tickets WHERE desk_ref = ?", (desk_ref,))
        return row_to_ticket(row) if row else None

    async def active_ticket_for(self, user_keys: Sequence[str]) -> Ticket | None:
        """The person's open ticket. On PostgreSQL this first takes a transaction-scoped
        advisory lock on the person, so two processes opening a ticket for one user
        run one after the other and the second finds the first's ticket."""
        if self._skip_locked and user_keys:
            await self._c.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (_PERSON_LOCK, min(user_keys)))
        marks = ", ".join("?" for _ in user_keys)
        row = await self._c.fetchone(
            f"SELECT * FROM tickets WHERE user_key IN ({marks}) AND state NOT IN ('resolved', 'closed')"
            " ORDER BY id DESC LIMIT 1",
            tuple(user_keys),
        )
        return row_to_ticket(row) if row else None

    async def list_tickets(self, states: Sequence[str], *, priority: str | None = None,
                           assignee: str | None = None, unassigned: bool = False, unanswered: bool = False,
                           limit: int | None = None) -> list[Ticket]:
        """Tickets in ``states``, most urgent first and oldest first within a priority
        (the queue's order); ``unanswered``: no staff reply yet."""
        where = [f"state IN ({', '.join('?' for _ in states)})"]
        args: list[object] = list(states)
        if priority is not None:
            where.append("priority = ?")
            args.append(priority)
        if assignee is not None:
            where.append("assignee = ?")
            args.append(assignee)
        if unassigned:
            where.append("assignee IS NULL")
        if unanswered:
            where.append("first_response_at IS NULL")
        sql = (f"SELECT * FROM tickets WHERE {' AND '.join(where)} ORDER BY CASE priority WHEN 'urgent' THEN 0"
               " WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, created_at, id")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [row_to_ticket(r) for r in await self._c.fetchall(sql, tuple(args))]

    async def tickets_of(self, user_keys: Sequence[str], *, before: int, limit: int = 5) -> list[Ticket]:
        """The person's tickets older than ticket ``before``, newest first (the desk's history)."""
        if not user_keys:
            return []
        marks = ", ".join("?" for _ in user_keys)
        rows = await self._c.fetchall(
            f"SELECT * FROM tickets WHERE user_key IN ({marks}) AND id < ? ORDER BY id DESC LIMIT ?",
            (*user_keys, before, limit),
        )
        return [row_to_ticket(r) for r in rows]

    async def last_resolved_ticket_for(self, user_keys: Sequence[str]) -> Ticket | None:
        marks = ", ".join("?" for _ in user_keys)
        row = await self._c.fetchone(
            f"SELECT * FROM tickets WHERE user_key IN ({marks}) AND state = 'resolved' ORDER BY id DESC LIMIT 1",
            tuple(user_keys),
        )
        return row_to_ticket(row) if row else None

    async def tickets(self, *, states: Sequence[str] | None = None, user_keys: Sequence[str] | None = None,
                      since: float | None = None) -> list[Ticket]:
        where, params = ["1 = 1"], []
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        if user_keys:
            where.append(f"user_key IN ({', '.join('?' for _ in user_keys)})")
            params.extend(user_keys)
        if since is not None:
            where.append("created_at >= ?")
            params.append(since)
        rows = await self._c.fetchall(f"SELECT * FROM tickets WHERE {' AND '.join(where)} ORDER BY id", params)
        return [row_to_ticket(r) for r in rows]

    async def mark_sla_warned(self, ticket_id: int, level: int) -> bool:
        """Raise the ticket's warning level; True only for the one caller that did."""
        n = await self._c.execute(
            "UPDATE tickets SET sla_warned = ? WHERE id = ? AND sla_warned < ?", (level, ticket_id, level)
        )
        return n == 1

    async def ticket_counts(self) -> dict[str, int]:
        """Tickets per state (for the metrics gauge)."""
        rows = await self._c.fetchall("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state")
        return {str(r["state"]): int(r["n"]) for r in rows}
