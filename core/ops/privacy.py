"""Data-subject requests and retention: export a user, forget a user, purge old transcripts.

What a user *is* here: the given account and every account whose link to it was
confirmed from both sides (one redeemed the other's link code, the other said
yes), so export and forget cover all of them. A link never confirmed (made
before confirmation was required) does not count: someone who redeemed a
victim's code must not export or erase the victim's data.

* :func:`export_user` returns the accounts, the conversation states and every
  ticket with its public events. One-time codes, their hashes, wallet nonces and
  staff-internal notes are never included (only the number of notes).
* :func:`forget_user` deletes the accounts, conversations and codes, and scrubs
  the text of the user's tickets (subject, CSAT comment, event bodies, the
  outbox rows that carried them) and of the messages sent to their private
  chats, and the files of their tickets still kept (``files``). Tickets stay, re-owned by a random pseudonym, so counts, times,
  topics, priorities and CSAT scores still add up in reports.
* :func:`purge_closed_transcripts` empties the text of tickets closed longer
  than the retention period ago (``SqlTx.purge_transcripts`` for the event
  bodies, then subjects, outbox payloads and kept files); the tickets keep their owner.
  The question kept in their owners' conversations (``conversations.data``)
  goes too when the conversation was last touched before the cutoff.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from core.errors import NotFound
from core.models import Conversation, Ticket, UserRef
from core.storage import SqlTx, Store

__all__ = ["FORGOTTEN_SUBJECT", "PURGED_SUBJECT", "ForgetResult", "PurgeResult", "export_user", "forget_user",
           "purge_closed_transcripts"]

_LOGGER = logging.getLogger(__name__)

FORGOTTEN_SUBJECT = "[forgotten]"
PURGED_SUBJECT = "[purged]"
_CONVERSATION_KEYS = ("question", "category", "ticket_id")  # nothing else in conversation data is exported
_TICKET_FIELDS = ("id", "state", "priority", "category", "lang", "subject", "created_at", "updated_at",
                  "first_response_at", "resolved_at", "closed_at", "verified_at", "verified_method", "csat",
                  "csat_comment")


@dataclass(frozen=True, slots=True)
class ForgetResult:
    accounts: list[str]
    tickets: int
    events_scrubbed: int
    deliveries_scrubbed: int


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff: float
    tickets: int
    events: int


async def export_user(store: Store, user_key: str, *, now: float | None = None) -> dict[str, Any]:
    """Everything kept about the person behind ``user_key`` (``platform:id``), JSON-ready.

    Raises:
        ValueError: ``user_key`` is not ``platform:id``.
        NotFound: nothing is kept about it.
    """
    UserRef.parse(user_key)
    async with store.transaction() as tx:
        keys = await tx.confirmed_user_keys(user_key)
        accounts = [row for key in keys if (row := await tx.get_user(key)) is not None]
        tickets = await tx.tickets(user_keys=keys)
        if not accounts and not tickets:
            raise NotFound(f"nothing is kept about {user_key}")
        conversations = [
            {"account": key, "chat": row.chat_key, "state": row.state, "updated_at": row.updated_at,
             "data": {k: v for k, v in row.data.items() if k in _CONVERSATION_KEYS}}
            for key in keys for row in await tx.conversations_of(key)
        ]
        exported_tickets = [await _ticket(tx, ticket, set(keys)) for ticket in tickets]
        blocks = [{"account": b.user_key, "reason": b.reason, "since": b.blocked_at}
                  for key in keys if (b := await tx.block_of([key])) is not None]
    return {
        "user": user_key,
        "exported_at": time.time() if now is None else now,
        "accounts": [
            {"account": r.user_key, "platform": r.platform, "user_id": r.user_id,
             "display_name": r.display_name, "lang": r.lang, "created_at": r.created_at}
            for r in accounts
        ],
        "conversations": conversations,
        "tickets": exported_tickets,
        "blocked": blocks,  # support stopped answering these accounts (core/support/abuse.py)
    }


_BOT = "bot"  # who the bot's replies on a ticket are by (core.conversation.bot_part.BOT_ACTOR)


async def _ticket(tx: SqlTx, ticket: Ticket, own_keys: set[str]) -> dict[str, Any]:
    events = await tx.events(ticket.id)
    out: dict[str, Any] = {name: getattr(ticket, name) for name in _TICKET_FIELDS}
    out["state"] = ticket.state.value
    out["priority"] = ticket.priority.value
    out["account"] = ticket.user.key
    out["platform"] = ticket.origin.platform
    out["events"] = [{"kind": e.kind, "by": "you" if e.actor in own_keys else "bot" if e.actor == _BOT
                      else "support", "text": e.body, "at": e.at} for e in events if not e.internal]
    out["internal_notes"] = sum(e.internal for e in events)
    return out


async def forget_user(store: Store, user_key: str) -> ForgetResult:
    """Erase the person behind ``user_key`` and every account confirmed linked to it (see module doc).

    Raises:
        ValueError: ``user_key`` is not ``platform:id``.
        NotFound: nothing is kept about it.
    """
    UserRef.parse(user_key)
    alias = f"forgotten:{secrets.token_hex(6)}"
    async with store.transaction() as tx:
        keys = await tx.confirmed_user_keys(user_key)
        accounts = {key: row for key in keys if (row := await tx.get_user(key)) is not None}
        tickets = await tx.tickets(user_keys=keys)
        if not accounts and not tickets:
            raise NotFound(f"nothing is kept about {user_key}")
        refs = [UserRef.parse(key) for key in keys]
        chats = {f"{r.platform}:dm:{r.user_id}" for r in refs}
        chats |= {f"{t.origin.platform}:{t.origin.chat_id}" for t in tickets if t.origin.is_private}
        names = {row.display_name for row in accounts.values() if row.display_name}
        events = await tx.scrub_tickets([t.id for t in tickets], subject=FORGOTTEN_SUBJECT, user_key=alias)
        # staff may have taught the FAQ with this person's own words
        await tx.delete_faq_phrasings_of_tickets([t.id for t in tickets])
        await tx.delete_files_of_tickets([t.id for t in tickets])  # files not delivered yet
        deliveries = await tx.scrub_outbox_chats(sorted(chats))
        needles = await _mention_needles(tx, names)
        deliveries += await tx.scrub_outbox_mentions(sorted(needles | set(keys)))
        for key in keys:
            await tx.rename_event_actor(key, alias)
            await tx.forget_event_keys(f"impostor:{key}:")
            await tx.forget_phrase_parts(key)
            await tx.scrub_block(key)  # a block outlives the erasure; its reason does not
            await tx.delete_user(key)
    _LOGGER.info("forgot %d account(s) and %d ticket(s) as %s", len(keys), len(tickets), alias)
    return ForgetResult(keys, len(tickets), events, deliveries)


_SHORT_NAME = 3
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u3040-\u30ff]")


async def _mention_needles(tx: SqlTx, names: set[str]) -> set[str]:
    """What to look for in outbox payloads to find the rows that mention these names.

    A name of three or more characters is its own needle.  A shorter one
    (``Bo``, a two-character Chinese name such as ``李明``) would match inside
    other words of other people's messages (``Bob``, ``About``) and kill their
    pending deliveries, so: a Chinese, Japanese or Korean short name is matched
    as it is (a two-character name is a whole name there), a Latin one only where
    it stands alone, by taking each such occurrence with the character on either
    side (`` Bo:``) as the needle."""
    needles = {n for n in names if len(n) >= _SHORT_NAME or _CJK_RE.search(n)}
    short = sorted(n for n in names - needles if n.strip())
    if not short:
        return needles
    bounded = [re.compile(rf"(?<![^\W_]){re.escape(n)}(?![^\W_])") for n in short]
    for row in await tx.deliveries():
        payload = row.payload or ""
        for pattern in bounded:
            for m in pattern.finditer(payload):
                needles.add(payload[max(0, m.start() - 1) : m.end() + 1])
    return needles


async def _forget_old_questions(tx: SqlTx, user_keys: set[str], cutoff: float) -> int:
    """Drop the question kept in conversations not touched since ``cutoff``."""
    n = 0
    for key in sorted(user_keys):
        for row in await tx.conversations_of(key):
            if row.updated_at >= cutoff or not row.data.get("question"):
                continue
            conversation = Conversation.from_row(row.state, row.data)
            await tx.set_conversation(key, row.chat_key, dataclasses.replace(conversation, question=None),
                                      row.updated_at)
            n += 1
    return n


async def purge_closed_transcripts(store: Store, older_than_days: float, *, now: float | None = None) -> PurgeResult:
    """Empty the text of tickets closed more than ``older_than_days`` days before ``now``.

    Raises:
        ValueError: a negative retention.
    """
    if older_than_days < 0:
        raise ValueError(f"retention must be 0 days or more, got {older_than_days}")
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    async with store.transaction() as tx:
        events = await tx.purge_transcripts(cutoff)
        old = [t.id for t in await tx.tickets(states=["closed"])
               if t.closed_at is not None and t.closed_at < cutoff and t.subject != PURGED_SUBJECT]
        await tx.scrub_tickets(old, subject=PURGED_SUBJECT)
        # a file kept for one of them (never delivered) goes with its transcript
        await tx.delete_files_of_tickets([t.id for t in await tx.tickets(states=["closed"])
                                          if t.closed_at is not None and t.closed_at < cutoff])
        # the question the owners of those tickets were offered a human for
        owners = {t.user.key for t in await tx.tickets(states=["closed"])
                  if t.closed_at is not None and t.closed_at < cutoff}
        await _forget_old_questions(tx, owners, cutoff)
    _LOGGER.info("purged the transcripts of %d closed ticket(s) (%d messages)", len(old), events)
    return PurgeResult(cutoff, len(old), events)
