"""The one gate text passes on its way into the core.

Every text that enters (a user's message or edit, a moderator's note, staff
text, a display name, an imported FAQ phrasing) goes through :func:`guard`
before anything stores, logs or relays it; what comes out is safe to keep.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from core.models import InboundMessage

from core.shield.normalize import safe_text
from core.shield.phrases import scan
from core.shield.window import PhraseWindow, RecentParts

__all__ = ["Guarded", "PhraseWindow", "RecentParts", "TextSource", "guard", "guard_sender"]


class TextSource(enum.StrEnum):
    MESSAGE = "message"
    MODERATOR_NOTE = "moderator_note"
    STAFF_TEXT = "staff_text"
    DISPLAY_NAME = "display_name"
    PHRASING = "phrasing"


@dataclass(frozen=True, slots=True)
class Guarded:
    """``text`` is what may be stored and relayed: the input with every secret redacted."""

    text: str
    leak: bool
    kinds: tuple[str, ...]
    source: TextSource
    #: ids of earlier messages that held other parts of a phrase split over
    #: messages (delete them from the chat, scrub them from the store)
    earlier_parts: tuple[str, ...] = ()
    #: those messages' texts, as they were let through (to find their stored copies)
    earlier_texts: tuple[str, ...] = ()


def guard(text: str, source: TextSource, *, expect_tx_hash: bool = False,
          recent: RecentParts | None = None) -> Guarded:
    """Scan ``text`` and redact whatever secret it holds.

    Lone surrogates become U+FFFD first (they cannot be encoded: the FAQ
    engine, a JSON encoder or a platform library would raise on them), so
    what comes out is also safe to hand on.  ``expect_tx_hash``: the bot or
    staff have just asked this user for a transaction hash, so a 0x-prefixed
    64-hex string is one unless the message names a key (see
    :mod:`core.shield.keys`).  ``recent``: where the message came from, to
    catch a phrase split over several messages (:class:`PhraseWindow`); on a
    find ``earlier_parts`` names the earlier messages that held the rest."""
    text = safe_text(text).strip()
    if not text:
        return Guarded("", False, (), source)
    found = scan(text, expect_tx_hash=expect_tx_hash)
    if recent is not None:
        if found.leak:
            earlier = recent.window.close(recent.user_key, recent.chat_key, recent.message_id, text)
            return Guarded(found.redacted, True, tuple(found.kinds), source, earlier.earlier_ids,
                           earlier.earlier_texts)
        split = recent.window.observe(recent.user_key, recent.chat_key, recent.message_id, text)
        if split.leak:
            return Guarded(split.redacted, True, split.kinds, source, split.earlier_ids, split.earlier_texts)
    return Guarded(found.redacted if found.leak else text, found.leak, tuple(found.kinds), source)


def guard_sender(msg: InboundMessage) -> InboundMessage:
    """``msg`` with its sender's display name through the gate (names are shown
    on the desk and in public notices). The text is guarded on its own."""
    name = guard(msg.display_name, TextSource.DISPLAY_NAME)
    return dataclasses.replace(msg, display_name=name.text) if name.leak else msg
