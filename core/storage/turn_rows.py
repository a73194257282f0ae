"""Store queries for one inbound message's turn, in as few round trips as the SQL allows.

A message answered by the FAQ or relayed into an open ticket holds itself to six
statements (tests/core/test_statement_budget.py); on PostgreSQL each one is a round
trip. So the turn reads everything it decides on in one statement
(:meth:`TurnRows.turn_start`: the user, the conversation, a block, the person's open or
just resolved ticket and its parking, a kept split-phrase window), skips writes that
change nothing, and writes a turn's outbox rows and ticket events as one multi-row
INSERT each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from core.models import Conversation, Ticket, TicketEvent
from core.storage.ticket_rows import _TICKET_UPDATABLE, row_to_ticket

__all__ = ["KnownUser", "Queued", "TurnRows", "TurnStart"]

_PERSON_LOCK = 0x7764  # as core.storage.base's: one person opens one ticket at a time
_CHUNK = 500  # rows per multi-row INSERT (10 parameters a row; both dialects take 32,766)

# the accounts whose tickets and blocks are the user's: the confirmed accounts of the person when
# the user's own link was confirmed, else the user alone (SqlTx.confirmed_user_keys, in SQL)
_KEYS = ("SELECT o.user_key FROM users o JOIN users me ON me.person_id = o.person_id"
         " WHERE me.user_key = ? AND me.link_confirmed_at IS NOT NULL AND o.link_confirmed_at IS NOT NULL"
         " UNION SELECT ?")
# the person's newest ticket still open, else their newest resolved one (active_ticket_for,
# then last_resolved_ticket_for)
_PICK = ("SELECT id FROM tickets WHERE user_key IN (" + _KEYS + ") AND state <> 'closed'"
         " ORDER BY CASE WHEN state = 'resolved' THEN 1 ELSE 0 END, id DESC LIMIT 1")


class Queued(NamedTuple):
    """One outbox row to add (the arguments of ``SqlTx.enqueue``); ``payload`` is a dict,
    or its JSON already sealed (SealedTx)."""

    platform: str
    action: str
    chat_id: str
    thread_id: str | None
    payload: dict[str, object] | str
    idempotency_key: str
    ticket_id: int | None
    chat_key: str | None


@dataclass(frozen=True, slots=True)
class KnownUser:
    """What the turn needs of the user's row (``name_index``: the sealed store's blind index)."""

    lang: str
    display_name: str
    name_index: str | None


@dataclass(frozen=True, slots=True)
class TurnStart:
    """What a message's turn found, read in one statement after its event was claimed."""

    user: KnownUser | None  # None: never seen
    conversation: Conversation
    blocked: bool  # the user or a confirmed account of their person is blocked
    ticket: Ticket | None  # private chats: the person's open ticket
    resolved: Ticket | None  # ... else their newest resolved one (the caller judges the reopen window)
    parked: bool  # the open ticket has a parking row (waiting on the user, a snooze)
    window_kept: bool  # a split-phrase window row was kept for this user and chat (now dropped)


class TurnRows:
    """Mixin of :class:`core.storage.base.SqlTx` (``self._c`` is its connection,
    ``self._skip_locked`` says PostgreSQL)."""

    __slots__ = ()
    _c: Any
    _skip_locked: bool

    async def turn_start(self, *, event_key: str, now: float, user_key: str, chat_key: str, private: bool,
                         window_ended_in: str | None = None) -> TurnStart | None:
        """Claim ``event_key`` (None: seen before, nothing read) and read the turn's rows.
        ``window_ended_in``: the message ended the user's split-phrase sequence in this chat
        without the window being read (core/conversation/shared_window.py: guard_alone): a
        window row kept there is dropped (a statement only when there is one).

        On PostgreSQL a private chat's claim first takes the person's advisory lock (as
        ``active_ticket_for`` does), in the same statement: two processes handling one
        person's messages run one after the other, and the read that follows, a statement
        of its own, sees what the first committed."""
        if self._skip_locked and private:
            n = await self._c.execute(
                "WITH lk AS (SELECT pg_advisory_xact_lock(?, hashtext(COALESCE((SELECT MIN(o.user_key) FROM users o"
                " JOIN users me ON me.person_id = o.person_id WHERE me.user_key = ? AND me.link_confirmed_at IS NOT NULL"
                " AND o.link_confirmed_at IS NOT NULL), ?))))"
                " INSERT INTO processed_events(event_key, at) SELECT CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION)"
                " FROM lk ON CONFLICT (event_key) DO NOTHING",
                (_PERSON_LOCK, user_key, user_key, event_key, now))
        else:
            n = await self._c.execute(
                "INSERT INTO processed_events(event_key, at) VALUES (?, ?) ON CONFLICT (event_key) DO NOTHING",
                (event_key, now))
        if n != 1:
            return None
        columns = ["u.lang AS user_lang", "u.display_name", "u.name_index", "c.state AS conv_state", "c.data",
                   f"EXISTS (SELECT 1 FROM blocked_users b WHERE b.user_key IN ({_KEYS})) AS blocked"]
        params: list[object] = [user_key, user_key]
        joins = ""
        if window_ended_in is not None:
            columns.append("EXISTS (SELECT 1 FROM phrase_parts w WHERE w.user_key = ? AND w.chat_key = ?) AS window_kept")
            params += [user_key, window_ended_in]
        if private:
            columns += ["t.*", "EXISTS (SELECT 1 FROM ticket_parking p WHERE p.ticket_id = t.id) AS parked"]
            joins = f" LEFT JOIN tickets t ON t.id = ({_PICK})"
        params += [user_key, chat_key]  # the FROM and the conversation's join, then the ticket's
        if private:
            params += [user_key, user_key]
        row = await self._c.fetchone(
            f"SELECT {', '.join(columns)} FROM (SELECT CAST(? AS TEXT) AS me) k"
            " LEFT JOIN users u ON u.user_key = k.me"
            " LEFT JOIN conversations c ON c.user_key = k.me AND c.chat_key = ?" + joins, params)
        assert row is not None  # one row always: the join starts from the user key
        start = _turn_start(row)
        if start.window_kept and window_ended_in is not None:  # what guard_shared would have dropped
            await self.set_phrase_parts(user_key, window_ended_in, None, now, now)  # type: ignore[attr-defined]
        return start

    def user_write_needed(self, known: KnownUser | None, display_name: str, lang: str) -> bool:
        """Whether ``upsert_user`` would change the row ``turn_start`` found."""
        if known is None or known.lang != lang:
            return True
        return bool(display_name) and display_name != known.display_name

    async def enqueue_many(self, rows: Sequence[Queued], now: float) -> int:
        """``enqueue`` for several rows in one statement (per 500); how many were new."""
        added = 0
        for at in range(0, len(rows), _CHUNK):
            chunk = rows[at:at + _CHUNK]
            params: list[object] = []
            for r in chunk:
                payload = r.payload if isinstance(r.payload, str) else json.dumps(r.payload, ensure_ascii=False)
                params += [r.idempotency_key, r.platform, r.action, r.chat_key or f"{r.platform}:{r.chat_id}",
                           r.chat_id, r.thread_id, r.ticket_id, payload, now, now]
            added += await self._c.execute(
                "INSERT INTO outbox(idempotency_key, platform, action, chat_key, chat_id, thread_id, ticket_id, payload,"
                " next_attempt_at, created_at) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk)) +
                " ON CONFLICT (idempotency_key) DO NOTHING", params)
        return added

    async def add_events(self, events: Sequence[TicketEvent]) -> None:
        """``add_event`` for several events in one statement (per 500), in order."""
        for at in range(0, len(events), _CHUNK):
            chunk = events[at:at + _CHUNK]
            params: list[object] = []
            for e in chunk:
                params += [e.ticket_id, e.kind, e.actor, e.body, int(e.internal), e.at]
            await self._c.execute(
                "INSERT INTO ticket_events(ticket_id, kind, actor, body, internal, at) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(chunk)), params)

    async def update_ticket_returning(self, ticket_id: int, **fields: object) -> Ticket | None:
        """``update_ticket``, returning the row as it now is (no second read; on PostgreSQL the
        UPDATE holds the row lock ``get_ticket`` would take)."""
        unknown = set(fields) - _TICKET_UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        cols = ", ".join(f"{name} = ?" for name in fields)
        row = await self._c.fetchone(f"UPDATE tickets SET {cols} WHERE id = ? RETURNING *",
                                     (*fields.values(), ticket_id))
        return row_to_ticket(row) if row else None


def _turn_start(row: dict[str, Any]) -> TurnStart:
    user = None if row["user_lang"] is None else KnownUser(
        str(row["user_lang"]), str(row["display_name"] or ""), row["name_index"])
    conversation = (Conversation() if row["conv_state"] is None
                    else Conversation.from_row(row["conv_state"], json.loads(row["data"])))
    ticket = row_to_ticket(row) if row.get("id") is not None else None
    open_ticket = ticket if ticket is not None and ticket.state.value != "resolved" else None
    resolved = ticket if ticket is not None and open_ticket is None else None
    return TurnStart(user, conversation, bool(row["blocked"]), open_ticket, resolved,
                     bool(row.get("parked")) and open_ticket is not None, bool(row.get("window_kept")))
