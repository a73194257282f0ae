"""Store queries of privacy requests: removing the text of tickets, message parts that
turned out to be a secret, and outbox payloads addressed to or mentioning a user.
A mixin of :class:`core.storage.base.SqlTx` (:class:`core.storage.sealed_rows.SealedTx`
replaces the text matches with decrypt-and-scan)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from core.storage.connection import Connection, Row

__all__ = ["PostedLine", "ScrubRows"]


@dataclass(frozen=True, slots=True)
class PostedLine:
    """A desk line already posted: its outbox row and the platform's id of the message."""

    id: int
    platform: str
    chat_id: str
    external_id: str


def posted_line(r: Row) -> PostedLine:
    return PostedLine(int(r["id"]), str(r["platform"]), str(r["chat_id"]), str(r["external_id"]))


def _contains(needle: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') that matches text containing ``needle`` literally."""
    return "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Empties an outbox row's text; a row not yet delivered is dead-lettered rather than sent empty.
_SCRUB_OUTBOX = (
    "payload = '{}', last_error = CASE WHEN status = 'pending' THEN 'scrubbed' ELSE last_error END,"
    " status = CASE WHEN status = 'pending' THEN 'dead' ELSE status END"
)


class ScrubRows:
    """Needs ``_c``."""

    __slots__ = ()
    _c: Connection

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

    async def sent_desk_lines_holding(self, ticket_id: int, texts: Sequence[str]) -> list[PostedLine]:
        """Desk lines of one ticket already posted whose text holds one of ``texts``, so they
        can be taken back."""
        found: list[Row] = []
        for text in texts:
            needle = json.dumps(text, ensure_ascii=False)[1:-1]  # as the payload's JSON holds it
            found += await self._c.fetchall(
                "SELECT id, platform, chat_id, external_id FROM outbox WHERE ticket_id = ? AND action = 'desk_post'"
                " AND status = 'sent' AND external_id IS NOT NULL AND payload LIKE ? ESCAPE '\\'",
                (ticket_id, _contains(needle)))
        return [posted_line(r) for r in {r["id"]: r for r in found}.values()]

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
