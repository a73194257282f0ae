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

__all__ = ["Guarded", "TextSource", "guard", "guard_sender"]


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


def guard(text: str, source: TextSource, *, expect_tx_hash: bool = False) -> Guarded:
    """Scan ``text`` and redact whatever secret it holds.

    Lone surrogates become U+FFFD first (they cannot be encoded: the FAQ
    engine, a JSON encoder or a platform library would raise on them), so
    what comes out is also safe to hand on.  ``expect_tx_hash``: the bot or
    staff have just asked this user for a transaction hash, so a 0x-prefixed
    64-hex string is one unless the message names a key (see
    :mod:`core.shield.keys`)."""
    text = safe_text(text).strip()
    if not text:
        return Guarded("", False, (), source)
    found = scan(text, expect_tx_hash=expect_tx_hash)
    return Guarded(found.redacted if found.leak else text, found.leak, tuple(found.kinds), source)


def guard_sender(msg: InboundMessage) -> InboundMessage:
    """``msg`` with its sender's display name through the gate (names are shown
    on the desk and in public notices). The text is guarded on its own."""
    name = guard(msg.display_name, TextSource.DISPLAY_NAME)
    return dataclasses.replace(msg, display_name=name.text) if name.leak else msg
