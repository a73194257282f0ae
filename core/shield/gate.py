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


def guard(text: str, source: TextSource) -> Guarded:
    """Scan ``text`` and redact whatever secret it holds."""
    text = text.strip()
    if not text:
        return Guarded("", False, (), source)
    found = scan(text)
    return Guarded(found.redacted if found.leak else text, found.leak, tuple(found.kinds), source)


def guard_sender(msg: InboundMessage) -> InboundMessage:
    """``msg`` with its sender's display name through the gate (names are shown
    on the desk and in public notices). The text is guarded on its own."""
    name = guard(msg.display_name, TextSource.DISPLAY_NAME)
    return dataclasses.replace(msg, display_name=name.text) if name.leak else msg
