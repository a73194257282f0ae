"""The store port: one async interface, SQL written once for SQLite and PostgreSQL.

Callers open a unit of work with ``async with store.transaction() as tx`` and
call typed methods on ``tx``; a state change and the outbox rows it causes
commit together or not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from core.models import ChatRef, Conversation, Delivery, Priority, Ticket, TicketEvent, TicketState, UserRef
from core.storage.block_rows import BlockRows
from core.storage.digest_rows import DigestRows
from core.storage.file_rows import FileRows
from core.storage.desk_rows import DeskRows
from core.storage.migrations import MIGRATIONS, split_step
from core.storage.window_rows import PhrasePartRows
from core.storage.turn_rows import TurnRows
from core.storage.parking_rows import ParkingRows

__all__ = ["Connection", "SqlTx", "Store", "row_to_ticket"]

_LOGGER = logging.getLogger(__name__)

Row = dict[str, Any]


class Connection(Protocol):
    """The three primitives a backend provides inside a transaction."""

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int: ...
    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...
    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> Row | None: ...


class Store(Protocol):
    dialect: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def transaction(self) -> AbstractAsyncContextManager["SqlTx"]: ...
    async def ping(self) -> bool: ...


# advisory lock namespaces (first key of pg_advisory_xact_lock(int, int)): one person opens one ticket at a time
_PERSON_LOCK = 0x7764

_TICKET_UPDATABLE = frozenset(
    {
        "state", "priority", "category", "lang", "subject", "assignee", "verified_at", "verified_method",
        "updated_at", "first_response_at", "resolved_at", "closed_at", "desk_ref", "csat", "csat_comment",
        "sla_warned",
    }
)


# Empties an outbox row's text; a row not yet delivered is dead-lettered rather than sent empty.
def _contains(needle: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') that matches text containing ``needle`` literally."""
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_SCRUB_OUTBOX = (
    "payload = '{}', last_error = CASE WHEN status = 'pending' THEN 'scrubbed' ELSE last_error END,"
    " status = CASE WHEN status = 'pending' THEN 'dead' ELSE status END"
)


def _event(r: Row) -> TicketEvent:
    return TicketEvent(r["ticket_id"], r["kind"], r["actor"], r["body"], r["at"], bool(r["internal"]))


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


class SqlTx(PhrasePartRows, ParkingRows, BlockRows, DigestRows, FileRows, DeskRows, TurnRows):
    """Typed queries over one transaction. Backends differ only in ``Connection``
    and in ``skip_locked`` (PostgreSQL row locks for concurrent workers)."""

    __slots__ = ("_c", "_skip_locked")

    def __init__(self, conn: Connection, *, skip_locked: bool = False) -> None:
        self._c = conn
        self._skip_locked = skip_locked

    # schema -------------------------------------------------------------------

    async def schema_version(self) -> int:
        """The schema version this database is at (0: empty)."""
        await self._c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = await self._c.fetchone("SELECT MAX(version) AS v FROM schema_version")
        return int((row or {}).get("v") or 0)

    async def advisory_lock(self, key: int) -> None:
        """PostgreSQL: hold ``key`` until this transaction ends (SQLite's write lock already does)."""
        if self._skip_locked:
            await self._c.execute("SELECT pg_advisory_xact_lock(?)", (key,))

    async def apply_migrations(self, dialect: str) -> list[int]:
        """Bring the schema up to date inside this transaction; the versions applied."""
        await self._c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = await self._c.fetchone("SELECT MAX(version) AS v FROM schema_version")
        current = int((row or {}).get("v") or 0)
        applied: list[int] = []
        for version, steps in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            for step in steps:
                await self._c.execute(*split_step(dialect, step))
            await self._c.execute("INSERT INTO schema_version(version) VALUES (?)", (version,))
            applied.append(version)
        return applied

    # inbound idempotency -----------------------------------------------------

    async def claim_event(self, event_key: str, now: float) -> bool:
        """True the first time ``event_key`` is seen, False on every redelivery."""
        n = await self._c.execute(
            "INSERT INTO processed_events(event_key, at) VALUES (?, ?) ON CONFLICT (event_key) DO NOTHING",
            (event_key, now),
        )
        return n == 1

    # users --------------------------------------------------------------------

    async def upsert_user(self, user: UserRef, display_name: str, lang: str | None, now: float) -> None:
        """Create or refresh an account; an empty name or a None ``lang`` keeps what is stored."""
        await self._c.execute(
            "INSERT INTO users(user_key, platform, user_id, display_name, lang, person_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_key) DO UPDATE SET"
            " display_name = CASE WHEN excluded.display_name = '' THEN users.display_name ELSE excluded.display_name END,"
            " lang = CASE WHEN ? = 1 THEN excluded.lang ELSE users.lang END",
            (user.key, user.platform, user.user_id, display_name, lang or "en", user.key, now, int(bool(lang))),
        )

    async def get_user(self, user_key: str) -> Row | None:
        return await self._c.fetchone("SELECT * FROM users WHERE user_key = ?", (user_key,))

    async def find_users_by_name(self, name: str) -> list[Row]:
        return await self._c.fetchall("SELECT * FROM users WHERE lower(display_name) = lower(?)", (name,))

    async def link_users(self, a: str, b: str, *, confirmed_at: float | None = None) -> None:
        """Put ``b`` (and everyone linked to it) into ``a``'s person; ``confirmed_at``: both
        accounts agreed to it (one redeemed the other's code, the other confirmed)."""
        row_a = await self.get_user(a)
        row_b = await self.get_user(b)
        if row_a is None or row_b is None:
            return
        await self._c.execute("UPDATE users SET person_id = ? WHERE person_id = ?", (row_a["person_id"], row_b["person_id"]))
        if confirmed_at is not None:
            await self._c.execute("UPDATE users SET link_confirmed_at = ? WHERE user_key IN (?, ?)", (confirmed_at, a, b))

    async def person_accounts(self, user_key: str) -> list[Row]:
        """Every account of ``user_key``'s person (itself included): ``user_key, platform, user_id,
        display_name, link_confirmed_at``, in key order."""
        return await self._c.fetchall(
            "SELECT u.user_key, u.platform, u.user_id, u.display_name, u.link_confirmed_at FROM users u"
            " JOIN users me ON me.person_id = u.person_id WHERE me.user_key = ? ORDER BY u.user_key",
            (user_key,),
        )

    async def confirmed_user_keys(self, user_key: str) -> list[str]:
        """The accounts a privacy request for ``user_key`` covers: itself, and the accounts of its
        person whose link was confirmed when its own was; only itself when its link never was."""
        rows = await self.person_accounts(user_key)
        mine = next((r for r in rows if r["user_key"] == user_key), None)
        if mine is None or mine["link_confirmed_at"] is None:
            return [user_key]
        return [r["user_key"] for r in rows if r["link_confirmed_at"] is not None]

    async def lock_name(self, namespace: int, name: str) -> None:
        """PostgreSQL: hold a lock on ``(namespace, name)`` until this transaction ends, so
        read-then-write checks on one name run one at a time (SQLite's write lock already does)."""
        if self._skip_locked:
            await self._c.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (namespace, name))

    async def linked_user_keys(self, user_key: str) -> list[str]:
        """The accounts that share ``user_key``'s tickets: the same as a privacy request covers,
        so a link made before confirmation was required (perhaps with a guessed code) shares nothing."""
        return await self.confirmed_user_keys(user_key)

    async def delete_user(self, user_key: str) -> None:
        await self._c.execute("DELETE FROM conversations WHERE user_key = ?", (user_key,))
        await self._c.execute("DELETE FROM otp_codes WHERE user_key = ?", (user_key,))
        # link requests this account made wait under the other account's key and name this one
        # in their data (written by json.dumps, so the fragment is exact)
        fragment = json.dumps({"to": user_key})[1:-1]
        pattern = "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        await self._c.execute("DELETE FROM otp_codes WHERE purpose = 'link_confirm' AND data LIKE ? ESCAPE '\\'",
                              (pattern,))
        await self._c.execute("DELETE FROM users WHERE user_key = ?", (user_key,))

    # conversations ------------------------------------------------------------

    async def get_conversation(self, user_key: str, chat_key: str) -> Conversation:
        row = await self._c.fetchone(
            "SELECT state, data FROM conversations WHERE user_key = ? AND chat_key = ?", (user_key, chat_key)
        )
        if row is None:
            return Conversation()
        return Conversation.from_row(row["state"], json.loads(row["data"]))

    async def set_conversation(self, user_key: str, chat_key: str, conversation: Conversation, now: float) -> None:
        await self._c.execute(
            "INSERT INTO conversations(user_key, chat_key, state, data, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_key, chat_key) DO UPDATE SET state = excluded.state, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_key, chat_key, conversation.state.value, json.dumps(conversation.data()), now),
        )

    # tickets ------------------------------------------------------------------

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

    # reporting and privacy ---------------------------------------------------

    async def inbound_event_keys(self, since: float, until: float) -> list[str]:
        """Keys of the inbound events claimed in ``[since, until)`` (the report counts them by platform prefix)."""
        rows = await self._c.fetchall(
            "SELECT event_key FROM processed_events WHERE at >= ? AND at < ?", (since, until)
        )
        return [r["event_key"] for r in rows]

    async def sent_counts(self, since: float, until: float) -> list[Row]:
        """Delivered outbox rows in ``[since, until)``: ``platform, action, n``."""
        return await self._c.fetchall(
            "SELECT platform, action, COUNT(*) AS n FROM outbox WHERE status = 'sent' AND sent_at >= ? AND sent_at < ?"
            " GROUP BY platform, action ORDER BY platform, action",
            (since, until),
        )

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

    async def ticket_counts(self) -> dict[str, int]:
        """Tickets per state (for the metrics gauge)."""
        rows = await self._c.fetchall("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state")
        return {str(r["state"]): int(r["n"]) for r in rows}

    async def conversations_of(self, user_key: str) -> list[Row]:
        return await self._c.fetchall(
            "SELECT chat_key, state, data, updated_at FROM conversations WHERE user_key = ? ORDER BY chat_key",
            (user_key,),
        )

    async def known_chat_keys(self) -> list[str]:
        """Every chat a conversation was held in or a ticket came from (``platform:chat[:thread]``),
        for ``walletdesk doctor``."""
        rows = await self._c.fetchall(
            "SELECT chat_key AS k FROM conversations UNION"
            " SELECT origin_platform || ':' || origin_chat AS k FROM tickets WHERE origin_private = 0 ORDER BY k")
        return [str(r["k"]) for r in rows]

    async def scrub_tickets(self, ticket_ids: Sequence[int], *, subject: str, user_key: str | None = None) -> int:
        """Remove the text of whole tickets (subject, CSAT comment, event bodies, outbox payloads).
        With ``user_key`` the tickets are also re-owned by that pseudonym, and the private
        origin chat and message id are dropped; counts, times, category, priority and CSAT stay."""
        if not ticket_ids:
            return 0
        marks = ", ".join("?" for _ in ticket_ids)
        ids = tuple(ticket_ids)
        await self._c.execute(
            f"UPDATE tickets SET subject = ?, csat_comment = NULL WHERE id IN ({marks})", (subject, *ids)
        )
        if user_key is not None:
            await self._c.execute(
                "UPDATE tickets SET origin_chat = CASE WHEN origin_private = 1 THEN 'forgotten' ELSE origin_chat END,"
                f" origin_message_id = NULL, user_key = ? WHERE id IN ({marks})",
                (user_key, *ids),
            )
        n = await self._c.execute(
            f"UPDATE ticket_events SET body = NULL WHERE body IS NOT NULL AND ticket_id IN ({marks})", ids
        )
        await self._c.execute(f"UPDATE outbox SET {_SCRUB_OUTBOX} WHERE ticket_id IN ({marks})", ids)
        return n

    async def scrub_message_parts(self, ticket_id: int, actor: str, texts: Sequence[str]) -> int:
        """Remove earlier messages that turned out to be parts of a secret (a phrase sent
        in pieces) from one ticket: their event bodies, and outbox rows of the ticket
        whose payload holds one (still pending ones are not sent)."""
        if not texts:
            return 0
        marks = ", ".join("?" for _ in texts)
        n = await self._c.execute(
            f"UPDATE ticket_events SET body = NULL WHERE ticket_id = ? AND actor = ? AND body IN ({marks})",
            (ticket_id, actor, *texts))
        for text in texts:
            needle = json.dumps(text, ensure_ascii=False)[1:-1]  # as the payload's JSON holds it
            await self._c.execute(
                f"UPDATE outbox SET {_SCRUB_OUTBOX} WHERE ticket_id = ? AND payload LIKE ? ESCAPE '\\'",
                (ticket_id, _contains(needle)))
        return n

    async def sent_desk_lines_holding(self, ticket_id: int, texts: Sequence[str]) -> list[Row]:
        """Desk lines of one ticket already posted whose text holds one of ``texts``:
        ``platform, chat_id, external_id`` (the posted message), so they can be taken back."""
        found: list[Row] = []
        for text in texts:
            needle = json.dumps(text, ensure_ascii=False)[1:-1]  # as the payload's JSON holds it
            found += await self._c.fetchall(
                "SELECT id, platform, chat_id, external_id FROM outbox WHERE ticket_id = ? AND action = 'desk_post'"
                " AND status = 'sent' AND external_id IS NOT NULL AND payload LIKE ? ESCAPE '\\'",
                (ticket_id, _contains(needle)))
        return list({r["id"]: r for r in found}.values())

    async def rename_event_actor(self, old: str, new: str) -> int:
        return await self._c.execute("UPDATE ticket_events SET actor = ? WHERE actor = ?", (new, old))

    async def scrub_outbox_chats(self, chat_keys: Sequence[str]) -> int:
        """Empty the payloads of every outbox row addressed to these chats (a user's private chats)."""
        if not chat_keys:
            return 0
        marks = ", ".join("?" for _ in chat_keys)
        return await self._c.execute(
            f"UPDATE outbox SET {_SCRUB_OUTBOX}, chat_id = 'forgotten', chat_key = 'forgotten'"
            f" WHERE chat_key IN ({marks})",
            tuple(chat_keys),
        )

    async def scrub_outbox_mentions(self, needles: Sequence[str]) -> int:
        """Empty the payloads of outbox rows whose text contains any of ``needles`` (names, user keys)."""
        n = 0
        for needle in needles:
            n += await self._c.execute(
                f"UPDATE outbox SET {_SCRUB_OUTBOX} WHERE payload <> '{{}}' AND payload LIKE ? ESCAPE '\\'",
                (_contains(needle),))
        return n

    async def forget_event_keys(self, prefix: str) -> int:
        """Delete processed-event keys that start with ``prefix`` (keys that embed a user key)."""
        return await self._c.execute(
            "DELETE FROM processed_events WHERE substr(event_key, 1, ?) = ?", (len(prefix), prefix)
        )

    # outbox -------------------------------------------------------------------

    async def enqueue(
        self, *, platform: str, action: str, chat_id: str, thread_id: str | None, payload: dict[str, object],
        idempotency_key: str, now: float, ticket_id: int | None = None, chat_key: str | None = None,
    ) -> bool:
        """Add a delivery; False when the idempotency key was already queued."""
        n = await self._c.execute(
            "INSERT INTO outbox(idempotency_key, platform, action, chat_key, chat_id, thread_id, ticket_id, payload,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            (
                idempotency_key, platform, action, chat_key or f"{platform}:{chat_id}", chat_id, thread_id,
                ticket_id, json.dumps(payload, ensure_ascii=False), now, now,
            ),
        )
        return n == 1

    async def claim_deliveries(self, owner: str, now: float, lease_seconds: float, limit: int,
                               platforms: Sequence[str] | None = None) -> list[Delivery]:
        """Lease the head row of up to ``limit`` chats. Only a chat's oldest pending
        row is eligible, so a chat's messages go out in order even across workers.
        ``platforms``: only rows this worker can send (others wait for a worker that can)."""
        lock = " FOR UPDATE SKIP LOCKED" if self._skip_locked else ""
        only = ""
        if platforms is not None:
            if not platforms:
                return []
            only = f" AND o.platform IN ({', '.join('?' for _ in platforms)})"
        rows = await self._c.fetchall(
            "SELECT o.id FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?"
            " AND (o.lease_until IS NULL OR o.lease_until < ?)" + only +
            " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chat_key = o.chat_key AND p.status = 'pending'"
            " AND p.id < o.id) ORDER BY o.id LIMIT ?" + lock,
            (now, now, *(platforms or ()), limit),
        )
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" for _ in ids)
        claimed = await self._c.fetchall(
            f"UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ({marks})"
            " AND status = 'pending' RETURNING *",
            (owner, now + lease_seconds, *ids),
        )
        claimed.sort(key=lambda r: r["id"])
        return [
            Delivery(
                id=r["id"], platform=r["platform"], action=r["action"], chat_id=r["chat_id"],
                thread_id=r["thread_id"], payload=json.loads(r["payload"]), attempts=r["attempts"],
                ticket_id=r["ticket_id"],
            )
            for r in claimed
        ]

    async def renew_lease(self, delivery_id: int, owner: str, until: float) -> bool:
        """Extend a lease this worker still holds on a row it is delivering; False when it lost it."""
        n = await self._c.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND status = 'pending' AND lease_owner = ?",
            (until, delivery_id, owner),
        )
        return n == 1

    async def mark_sent(self, delivery_id: int, owner: str, external_id: str | None, now: float) -> bool:
        n = await self._c.execute(
            "UPDATE outbox SET status = 'sent', external_id = ?, sent_at = ?, lease_owner = NULL, lease_until = NULL,"
            " attempts = attempts + 1 WHERE id = ? AND status = 'pending' AND lease_owner = ?",
            (external_id, now, delivery_id, owner),
        )
        return n == 1

    async def mark_failed(self, delivery_id: int, owner: str, error: str, retry_at: float | None) -> None:
        """Schedule a retry at ``retry_at``, or dead-letter the row when it is None."""
        status = "pending" if retry_at is not None else "dead"
        await self._c.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            " lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
            (status, error[:500], retry_at if retry_at is not None else 0.0, delivery_id, owner),
        )

    async def get_delivery(self, delivery_id: int) -> Row | None:
        return await self._c.fetchone("SELECT * FROM outbox WHERE id = ?", (delivery_id,))

    async def deliveries(self, *, status: str | None = None, ticket_id: int | None = None) -> list[Row]:
        where, params = ["1 = 1"], []
        if status:
            where.append("status = ?")
            params.append(status)
        if ticket_id is not None:
            where.append("ticket_id = ?")
            params.append(ticket_id)
        return await self._c.fetchall(f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY id", params)

    async def outbox_stats(self, now: float) -> dict[str, float]:
        row = await self._c.fetchone(
            "SELECT SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,"
            " SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead,"
            " MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest FROM outbox"
        )
        row = row or {}
        oldest = row.get("oldest")
        return {
            "pending": float(row.get("pending") or 0),
            "dead": float(row.get("dead") or 0),
            "oldest_age_seconds": float(now - oldest) if oldest else 0.0,
        }

    # one-time secrets (codes, link codes, wallet nonces) ---------------------

    async def insert_secret(
        self, *, user_key: str, ticket_id: int | None, purpose: str, secret_hash: str, data: dict[str, Any],
        now: float, expires_at: float,
    ) -> int:
        row = await self._c.fetchone(
            "INSERT INTO otp_codes(user_key, ticket_id, purpose, secret_hash, data, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (user_key, ticket_id, purpose, secret_hash, json.dumps(data), now, expires_at),
        )
        assert row is not None
        return int(row["id"])

    async def revoke_secrets(self, user_key: str, purpose: str) -> int:
        return await self._c.execute(
            "UPDATE otp_codes SET revoked = 1 WHERE user_key = ? AND purpose = ? AND used_at IS NULL AND revoked = 0",
            (user_key, purpose),
        )

    async def _live_secret_where(self, column: str, value: str, purpose: str, now: float) -> Row | None:
        row = await self._c.fetchone(
            f"SELECT * FROM otp_codes WHERE {column} = ? AND purpose = ? AND used_at IS NULL AND revoked = 0"
            " AND expires_at > ? ORDER BY id DESC LIMIT 1",
            (value, purpose, now),
        )
        if row is not None:
            row = dict(row)
            row["data"] = json.loads(row["data"])
        return row

    async def live_secret(self, user_key: str, purpose: str, now: float) -> Row | None:
        return await self._live_secret_where("user_key", user_key, purpose, now)

    async def count_secrets_since(self, user_key: str, purpose: str, since: float) -> int:
        row = await self._c.fetchone(
            "SELECT COUNT(*) AS n FROM otp_codes WHERE user_key = ? AND purpose = ? AND created_at >= ?",
            (user_key, purpose, since),
        )
        return int(row["n"]) if row else 0

    async def bump_secret_attempts(self, secret_id: int, max_attempts: int) -> int:
        """Count a wrong try; revokes the secret at ``max_attempts``. Returns the new count."""
        row = await self._c.fetchone(
            "UPDATE otp_codes SET attempts = attempts + 1,"
            " revoked = CASE WHEN attempts + 1 >= ? THEN 1 ELSE revoked END WHERE id = ? RETURNING attempts",
            (max_attempts, secret_id),
        )
        return int(row["attempts"]) if row else max_attempts

    async def use_secret(self, secret_id: int, now: float) -> bool:
        n = await self._c.execute(
            "UPDATE otp_codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked = 0", (now, secret_id)
        )
        return n == 1

    async def delete_unused_secret(self, user_key: str, purpose: str, secret_hash: str) -> bool:
        """Remove a secret that was never used (one that never reached its user)."""
        n = await self._c.execute(
            "DELETE FROM otp_codes WHERE user_key = ? AND purpose = ? AND secret_hash = ? AND used_at IS NULL",
            (user_key, purpose, secret_hash),
        )
        return n == 1

    async def live_secret_by_hash(self, purpose: str, secret_hash: str, now: float) -> Row | None:
        return await self._live_secret_where("secret_hash", secret_hash, purpose, now)
