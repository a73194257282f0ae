"""The store with personal text encrypted at rest (see :mod:`core.storage.sealing`).

:class:`SealedStore` wraps any store (SQLite, PostgreSQL). Its transactions are
:class:`SealedTx`, a :class:`SqlTx` whose connection opens every sealed value a
query returns (:class:`SealingConnection`) and whose writing methods seal before
they write. Callers keep getting plain values; nothing above the store changes.

Sealed columns: ``users.display_name``, ``conversations.data`` (the FAQ question
and the rest of a conversation's state), ``tickets.subject`` and
``tickets.csat_comment``, ``ticket_events.body``, ``outbox.payload``,
``phrase_parts.parts`` (the shared split-phrase window), ``blocked_users.reason``. The markers
``''`` and ``'{}'`` (no name, a scrubbed payload) stay as they are.

Lookups that compared plain text in SQL:

* users by display name: a keyed blind index (``users.name_index``, HMAC of the
  lower-cased name under every key of the keyring); rows written before sealing
  have no index and are still compared in the clear.
* message parts and mentions to scrub (``scrub_message_parts``,
  ``scrub_outbox_mentions``): decrypt-and-scan. The candidate rows (one ticket's
  events and outbox rows; every outbox row not yet scrubbed) are read, opened and
  matched in Python (case-sensitive substring, as PostgreSQL's LIKE was), and the
  matching rows are scrubbed by id. An index cannot serve a substring match.
* ``scrub_tickets`` and ``purge_transcripts`` select by ticket id and date and
  write NULL or a sealed marker: nothing to compare.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from core.models import Conversation, FileBlob, TicketEvent, UserRef
from core.storage.base import SqlTx, Store
from core.storage.scrub_rows import PostedLine, posted_line
from core.storage.sealing import PREFIX, Sealer
from core.storage.user_rows import UserRecord, user_record

__all__ = ["SEALED", "SealedStore", "SealedTx", "SealingConnection", "seal_value"]

_LOGGER = logging.getLogger(__name__)

Row = dict[str, Any]

# table -> (primary key columns, sealed columns)
SEALED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "users": (("user_key",), ("display_name",)),
    "conversations": (("user_key", "chat_key"), ("data",)),
    "tickets": (("id",), ("subject", "csat_comment")),
    "ticket_events": (("id",), ("body",)),
    "outbox": (("id",), ("payload",)),
    "phrase_parts": (("user_key", "chat_key"), ("parts",)),
    "files": (("id",), ("name", "data")),  # a screenshot is personal content too (issue 19 item 4)
    "blocked_users": (("user_key",), ("reason",)),  # staff's words about the user (core/support/abuse.py)
}
_COLUMNS = tuple(sorted({c for _, cols in SEALED.values() for c in cols}))
_MARKERS = ("", "{}")

_SCRUB_OUTBOX = (
    "payload = '{}', last_error = CASE WHEN status = 'pending' THEN 'scrubbed' ELSE last_error END,"
    " status = CASE WHEN status = 'pending' THEN 'dead' ELSE status END"
)


def seal_value(sealer: Sealer, column: str, value: str | None) -> str | None:
    if value is None or value in _MARKERS:
        return value
    return sealer.seal(column, value)


class SealingConnection:
    """A connection whose fetched rows come back opened: a sealed column's value is
    recognised by its key (``SELECT *`` and plain column names) and its ``wd1:`` prefix.
    A sealed column selected under an alias would come back sealed: no query does
    (tests/core/test_sealed_writers.py fails on one)."""

    __slots__ = ("raw", "_sealer")

    def __init__(self, raw: Any, sealer: Sealer) -> None:
        self.raw = raw
        self._sealer = sealer

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return int(await self.raw.execute(sql, params))

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return [self._open(r) for r in await self.raw.fetchall(sql, params)]

    async def fetchone(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        row = await self.raw.fetchone(sql, params)
        return None if row is None else self._open(row)

    def _open(self, row: Row) -> Row:
        out = None
        for column in _COLUMNS:
            value = row.get(column)
            if type(value) is str and value.startswith(PREFIX):
                if out is None:
                    out = dict(row)
                out[column] = self._sealer.open(column, value)
        return row if out is None else out


class SealedTx(SqlTx):
    """:class:`SqlTx` writing sealed values (reads are opened by the connection)."""

    __slots__ = ("_sealer",)

    def __init__(self, conn: Any, sealer: Sealer, *, skip_locked: bool = False) -> None:
        super().__init__(SealingConnection(conn, sealer), skip_locked=skip_locked)
        self._sealer = sealer

    def _seal(self, column: str, value: str | None) -> str | None:
        return seal_value(self._sealer, column, value)

    # users: the display name is sealed, found by its blind index -------------

    async def upsert_user(self, user: UserRef, display_name: str, lang: str | None, now: float) -> None:
        await self._c.execute(
            "INSERT INTO users(user_key, platform, user_id, display_name, name_index, lang, person_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_key) DO UPDATE SET"
            " display_name = CASE WHEN excluded.display_name = '' THEN users.display_name ELSE excluded.display_name END,"
            " name_index = CASE WHEN excluded.display_name = '' THEN users.name_index ELSE excluded.name_index END,"
            " lang = CASE WHEN ? = 1 THEN excluded.lang ELSE users.lang END",
            (user.key, user.platform, user.user_id, self._seal("display_name", display_name),
             self._sealer.name_index(display_name), lang or "en", user.key, now, int(bool(lang))),
        )

    async def find_users_by_name(self, name: str) -> list[UserRecord]:
        """Blind index: the name's HMAC under each key; legacy (unindexed) rows in the clear."""
        indexes = self._sealer.name_indexes(name)
        marks = ", ".join("?" for _ in indexes) or "NULL"
        rows = await self._c.fetchall(
            f"SELECT * FROM users WHERE name_index IN ({marks})"
            " OR (name_index IS NULL AND lower(display_name) = lower(?))",
            (*indexes, name),
        )
        return [user_record(r) for r in rows]

    # conversations -----------------------------------------------------------

    async def set_conversation(self, user_key: str, chat_key: str, conversation: Conversation, now: float) -> None:
        await self._c.execute(
            "INSERT INTO conversations(user_key, chat_key, state, data, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_key, chat_key) DO UPDATE SET state = excluded.state, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_key, chat_key, conversation.state.value, self._seal("data", json.dumps(conversation.data())), now),
        )

    # files: the bytes (base64) and the name ------------------------------------

    async def save_file(self, *, ticket_id: int, user_key: str, direction: str, blob: FileBlob, now: float) -> int:
        row = await self._c.fetchone(
            "INSERT INTO files(ticket_id, user_key, direction, name, content_type, size, data, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (ticket_id, user_key, direction, self._seal("name", blob.name), blob.content_type, len(blob.data),
             self._seal("data", base64.b64encode(blob.data).decode("ascii")), now))
        assert row is not None
        return int(row["id"])

    # tickets and their events -------------------------------------------------

    async def create_ticket(self, **kwargs: Any) -> Any:
        kwargs["subject"] = self._seal("subject", kwargs["subject"])
        return await super().create_ticket(**kwargs)

    async def update_ticket(self, ticket_id: int, **fields: object) -> None:
        for column in ("subject", "csat_comment"):
            if isinstance(fields.get(column), str):
                fields[column] = self._seal(column, fields[column])  # type: ignore[arg-type]
        await super().update_ticket(ticket_id, **fields)

    async def add_event(self, event: TicketEvent) -> None:
        await super().add_event(dataclasses.replace(event, body=self._seal("body", event.body)))

    async def scrub_tickets(self, ticket_ids: Sequence[int], *, subject: str, user_key: str | None = None) -> int:
        return await super().scrub_tickets(ticket_ids, subject=self._seal("subject", subject) or "", user_key=user_key)

    async def scrub_message_parts(self, ticket_id: int, actor: str, texts: Sequence[str]) -> int:
        """Decrypt-and-scan over the one ticket's rows (the bodies and payloads are sealed)."""
        if not texts:
            return 0
        wanted = set(texts)
        rows = await self._c.fetchall(
            "SELECT id, body FROM ticket_events WHERE ticket_id = ? AND actor = ? AND body IS NOT NULL",
            (ticket_id, actor))
        n = await self._null_bodies([r["id"] for r in rows if r["body"] in wanted])
        needles = [json.dumps(text, ensure_ascii=False)[1:-1] for text in texts]  # as the payload's JSON holds it
        rows = await self._c.fetchall("SELECT id, payload FROM outbox WHERE ticket_id = ? AND payload <> '{}'",
                                      (ticket_id,))
        await self._scrub_outbox_ids([r["id"] for r in rows if any(x in r["payload"] for x in needles)])
        return n

    async def sent_desk_lines_holding(self, ticket_id: int, texts: Sequence[str]) -> list[PostedLine]:
        """Decrypt-and-scan over the one ticket's posted desk lines (payloads are sealed)."""
        needles = [json.dumps(text, ensure_ascii=False)[1:-1] for text in texts]
        rows = await self._c.fetchall(
            "SELECT id, platform, chat_id, external_id, payload FROM outbox WHERE ticket_id = ?"
            " AND action = 'desk_post' AND status = 'sent' AND external_id IS NOT NULL", (ticket_id,))
        return [posted_line(r) for r in rows if any(x in r["payload"] for x in needles)]

    async def set_phrase_parts(self, user_key: str, chat_key: str, parts: str | None, expires_at: float,
                               now: float) -> None:
        await super().set_phrase_parts(user_key, chat_key, self._seal("parts", parts), expires_at, now)

    async def block_user(self, user_key: str, *, reason: str, by: str, now: float, ticket_id: int | None,
                         noticed: bool) -> bool:
        return await super().block_user(user_key, reason=self._seal("reason", reason) or "", by=by, now=now,
                                        ticket_id=ticket_id, noticed=noticed)

    # outbox ---------------------------------------------------------------------

    async def enqueue(
        self, *, platform: str, action: str, chat_id: str, thread_id: str | None, payload: dict[str, object],
        idempotency_key: str, now: float, ticket_id: int | None = None, chat_key: str | None = None,
    ) -> bool:
        n = await self._c.execute(
            "INSERT INTO outbox(idempotency_key, platform, action, chat_key, chat_id, thread_id, ticket_id, payload,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (idempotency_key) DO NOTHING",
            (
                idempotency_key, platform, action, chat_key or f"{platform}:{chat_id}", chat_id, thread_id,
                ticket_id, self._seal("payload", json.dumps(payload, ensure_ascii=False)), now, now,
            ),
        )
        return n == 1

    async def scrub_outbox_mentions(self, needles: Sequence[str]) -> int:
        """Decrypt-and-scan: every outbox row not yet scrubbed is opened and searched."""
        needles = [x for x in needles if x]
        if not needles:
            return 0
        rows = await self._c.fetchall("SELECT id, payload FROM outbox WHERE payload <> '{}'")
        return await self._scrub_outbox_ids([r["id"] for r in rows if any(x in r["payload"] for x in needles)])

    async def _null_bodies(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        return await self._c.execute(f"UPDATE ticket_events SET body = NULL WHERE id IN ({marks})", tuple(ids))

    async def _scrub_outbox_ids(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        return await self._c.execute(f"UPDATE outbox SET {_SCRUB_OUTBOX} WHERE id IN ({marks})", tuple(ids))


class SealedStore:
    """Any store, with :class:`SealedTx` transactions. Everything else (open, close,
    ping, dialect, test helpers) is the wrapped store's."""

    __slots__ = ("inner", "sealer")

    def __init__(self, inner: Store, sealer: Sealer) -> None:
        self.inner = inner
        self.sealer = sealer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def dialect(self) -> str:
        return self.inner.dialect

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def ping(self) -> bool:
        return await self.inner.ping()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SealedTx]:
        async with self.inner.transaction() as tx:
            yield SealedTx(tx._c, self.sealer, skip_locked=tx._skip_locked)  # noqa: SLF001 (same package)
