"""Schema migrations, versioned in code. One list serves SQLite and PostgreSQL:
``{pk}`` and ``{float}`` expand per dialect. Append, never edit a shipped step.

A step is one SQL statement, or ``(statement, parameters)`` for rows a step seeds
(parameters keep the seeded text out of the SQL: no quoting, no ``?`` or braces in it)."""

from __future__ import annotations

from core.i18n import CATALOG

__all__ = ["MIGRATIONS", "Step", "render", "split_step"]

_DIALECT = {
    "sqlite": {"pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "float": "REAL", "bigint": "INTEGER"},
    "postgres": {"pk": "BIGSERIAL PRIMARY KEY", "float": "DOUBLE PRECISION", "bigint": "BIGINT"},
}

Step = str | tuple[str, tuple[object, ...]]


def _seeded_snippets() -> list[Step]:
    """The three built-in canned replies (i18n ``canned.<name>``) as the first snippets;
    staff edit or remove them like any other once the store has them. The texts are read
    from the catalogue when step 9 runs (once per database): a later edit of a
    ``canned.*`` text reaches new databases only, never overwrites what staff wrote."""
    return [("INSERT INTO snippets(name, body_en, body_zh, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
             (key.removeprefix("canned."), texts["en"], texts.get("zh"), "system", 0.0))
            for key, texts in sorted(CATALOG.items()) if key.startswith("canned.")]


MIGRATIONS: list[list[Step]] = [
    # 1: the support desk
    [
        """CREATE TABLE processed_events (
            event_key TEXT PRIMARY KEY,
            at {float} NOT NULL)""",
        """CREATE TABLE users (
            user_key TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            user_id TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT 'en',
            person_id TEXT NOT NULL,
            created_at {float} NOT NULL)""",
        "CREATE INDEX users_person ON users(person_id)",
        """CREATE TABLE conversations (
            user_key TEXT NOT NULL,
            chat_key TEXT NOT NULL,
            state TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{{}}',
            updated_at {float} NOT NULL,
            PRIMARY KEY (user_key, chat_key))""",
        """CREATE TABLE tickets (
            id {pk},
            user_key TEXT NOT NULL,
            origin_platform TEXT NOT NULL,
            origin_chat TEXT NOT NULL,
            origin_thread TEXT,
            origin_private INTEGER NOT NULL DEFAULT 0,
            origin_message_id TEXT,
            state TEXT NOT NULL,
            priority TEXT NOT NULL,
            category TEXT,
            lang TEXT NOT NULL,
            subject TEXT NOT NULL,
            assignee TEXT,
            verified_at {float},
            verified_method TEXT,
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL,
            first_response_at {float},
            resolved_at {float},
            closed_at {float},
            desk_ref TEXT,
            csat INTEGER,
            csat_comment TEXT,
            sla_warned INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX tickets_user ON tickets(user_key, state)",
        "CREATE INDEX tickets_desk ON tickets(desk_ref)",
        """CREATE TABLE ticket_events (
            id {pk},
            ticket_id {bigint} NOT NULL REFERENCES tickets(id),
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            body TEXT,
            internal INTEGER NOT NULL DEFAULT 0,
            at {float} NOT NULL)""",
        "CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id)",
        """CREATE TABLE outbox (
            id {pk},
            idempotency_key TEXT NOT NULL UNIQUE,
            platform TEXT NOT NULL,
            action TEXT NOT NULL,
            chat_key TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            thread_id TEXT,
            ticket_id {bigint},
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at {float} NOT NULL,
            lease_owner TEXT,
            lease_until {float},
            last_error TEXT,
            external_id TEXT,
            created_at {float} NOT NULL,
            sent_at {float})""",
        "CREATE INDEX outbox_pending ON outbox(status, chat_key, id)",
        """CREATE TABLE otp_codes (
            id {pk},
            user_key TEXT NOT NULL,
            ticket_id {bigint},
            purpose TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{{}}',
            created_at {float} NOT NULL,
            expires_at {float} NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            used_at {float},
            revoked INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX otp_user ON otp_codes(user_key, created_at)",
    ],
    # 2: FAQ lookups for reporting (deflection, abstentions); append-only, no user, no text
    [
        """CREATE TABLE faq_events (
            id {pk},
            at {float} NOT NULL,
            platform TEXT NOT NULL,
            lang TEXT NOT NULL,
            entry_id TEXT,
            confidence {float} NOT NULL,
            answered INTEGER NOT NULL)""",
        "CREATE INDEX faq_events_at ON faq_events(at)",
    ],
    # 3: keep outbox claims fast when a backlog builds up
    ["CREATE INDEX outbox_due ON outbox(status, id)"],
    # 4: phrasings staff add to FAQ entries at run time (shared by every process)
    [
        """CREATE TABLE faq_phrasings (
            id {pk},
            entry_id TEXT NOT NULL,
            lang TEXT NOT NULL,
            text TEXT NOT NULL,
            added_by TEXT NOT NULL,
            ticket_id {bigint},
            created_at {float} NOT NULL,
            UNIQUE (entry_id, lang, text))""",
    ],
    # 5: when an account's link to its person was confirmed from the other account (NULL: a link
    # made before confirmation was required, or none); privacy requests cover confirmed links only
    ["ALTER TABLE users ADD COLUMN link_confirmed_at {float}"],
    # 6: personal text sealed at rest (core/storage/sealed_rows.py): a keyed blind index (HMAC of the
    # lower-cased name) finds users by name without the name in the clear; the recent word-list-only
    # messages per user and chat, shared by processes (a phrase split over messages), sealed, expiring
    [
        "ALTER TABLE users ADD COLUMN name_index TEXT",
        "CREATE INDEX users_name_index ON users(name_index)",
        """CREATE TABLE phrase_parts (
            user_key TEXT NOT NULL,
            chat_key TEXT NOT NULL,
            parts TEXT NOT NULL,
            expires_at {float} NOT NULL,
            PRIMARY KEY (user_key, chat_key))""",
        "CREATE INDEX phrase_parts_expiry ON phrase_parts(expires_at)",
    ],
    # 7: parking (waiting on the user, its one nudge, snoozes) and blocked users; tables of their own,
    # shared by every process: each timer fires once (conditional updates) and a block holds everywhere
    [
        """CREATE TABLE ticket_parking (
            ticket_id {bigint} PRIMARY KEY REFERENCES tickets(id),
            waiting_since {float},
            waiting_by TEXT,
            nudged_at {float},
            snoozed_until {float},
            snoozed_by TEXT)""",
        "CREATE INDEX ticket_parking_snoozed ON ticket_parking(snoozed_until)",
        """CREATE TABLE blocked_users (
            user_key TEXT PRIMARY KEY,
            reason TEXT NOT NULL DEFAULT '',
            blocked_by TEXT NOT NULL,
            blocked_at {float} NOT NULL,
            ticket_id {bigint},
            noticed INTEGER NOT NULL DEFAULT 0)""",
    ],
    # 8: files relayed between a user and the desk (issue 19): the bytes wait here, base64 in one
    # column (one place to encrypt), until delivered; purge and forget remove them with the transcript
    [
        """CREATE TABLE files (
            id {pk},
            ticket_id {bigint} NOT NULL,
            user_key TEXT NOT NULL,
            direction TEXT NOT NULL,
            name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            data TEXT NOT NULL,
            created_at {float} NOT NULL)""",
        "CREATE INDEX files_ticket ON files(ticket_id)",
    ],
    # 9: the staff desk's snippets (canned replies staff edit, en and an optional zh; the built-in
    # ones seeded), tags on tickets, and auto-assignment: the round-robin cursor (one row, locked
    # while a ticket is assigned) and who of the staff took themselves off shift
    [
        """CREATE TABLE snippets (
            name TEXT PRIMARY KEY,
            body_en TEXT NOT NULL,
            body_zh TEXT,
            updated_by TEXT NOT NULL,
            updated_at {float} NOT NULL)""",
        *_seeded_snippets(),
        """CREATE TABLE ticket_tags (
            ticket_id {bigint} NOT NULL REFERENCES tickets(id),
            tag TEXT NOT NULL,
            added_by TEXT NOT NULL,
            at {float} NOT NULL,
            PRIMARY KEY (ticket_id, tag))""",
        "CREATE INDEX ticket_tags_tag ON ticket_tags(tag)",
        """CREATE TABLE assign_cursor (
            name TEXT PRIMARY KEY,
            last_staff TEXT NOT NULL DEFAULT '')""",
        "INSERT INTO assign_cursor(name, last_staff) VALUES ('round_robin', '')",
        """CREATE TABLE staff_shifts (
            staff_key TEXT PRIMARY KEY,
            on_shift INTEGER NOT NULL,
            at {float} NOT NULL)""",
    ],
]


def render(dialect: str, statement: str) -> str:
    return statement.format(**_DIALECT[dialect])


def split_step(dialect: str, step: Step) -> tuple[str, tuple[object, ...]]:
    """A step as (SQL for ``dialect``, parameters)."""
    if isinstance(step, str):
        return render(dialect, step), ()
    return render(dialect, step[0]), step[1]
