"""Slack text conventions, both ways (pure functions).

Slack's wire text escapes ``&``, ``<`` and ``>`` and writes mentions, channels
and links as ``<...>`` entities. :func:`to_plain` turns that into what a person
reads; :func:`escape` goes the other way for every text the bot posts, so user
text can never ping ``@channel`` / ``@here`` or smuggle in a link entity.
"""

from __future__ import annotations

import logging
import re

__all__ = ["escape", "mentions", "strip_mention", "to_plain", "truncate"]

_LOGGER = logging.getLogger(__name__)

_ENTITY_RE = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Slack's three control characters, escaped (``&`` first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _entity(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:].split("^")[0]
    if target.startswith("mailto:"):
        return label or target[7:]
    if label and label != target:
        return f"{label} ({target})"
    return target


def to_plain(text: str) -> str:
    """Slack wire text as a person reads it: ``<@U1>`` -> ``@U1``, ``<url|label>``
    -> ``label (url)``, ``&lt;`` -> ``<``."""
    return _unescape(_ENTITY_RE.sub(_entity, text))


def mentions(text: str, user_id: str) -> bool:
    """Whether wire ``text`` mentions ``user_id``."""
    return bool(user_id) and re.search(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", text) is not None


def strip_mention(text: str, user_id: str) -> str:
    """Wire ``text`` without mentions of ``user_id`` (the bot), whitespace tidied."""
    if not user_id:
        return text.strip()
    stripped = re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>[,:]?", " ", text)
    return re.sub(r"[ \t]{2,}", " ", stripped).strip()


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary near the end with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    # never leave half an escape entity (&amp; &lt; &gt;) at the end
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"
