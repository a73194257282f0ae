"""The users the bot has met: their language and (shielded) display name."""

from __future__ import annotations

from typing import Any

from core.models import InboundMessage
from core.storage import SqlTx
from core.storage.turn_rows import KnownUser

__all__ = ["remember_user"]

_UNREAD: Any = object()


async def remember_user(tx: SqlTx, msg: InboundMessage, guess: str | None, now: float, *,
                        known: KnownUser | None = _UNREAD) -> str:
    """Record the user (``msg`` has passed :func:`core.shield.gate.guard_sender`) and return the language to answer in: the message's own,
    else the one they used before, else their platform locale, else English.

    ``known``: the user's row as this transaction already read it (``TurnStart.user``; None:
    no row): not read again, and not written when nothing in it would change."""
    row = await tx.get_user(msg.user.key) if known is _UNREAD else known
    locale_lang = msg.locale.replace("_", "-").split("-")[0].lower() if msg.locale else None
    lang = guess or (row.lang if row else None) or (locale_lang if locale_lang in ("en", "zh") else None) or "en"
    if known is _UNREAD or tx.user_write_needed(row, msg.display_name, lang):
        await tx.upsert_user(msg.user, msg.display_name, lang, now)
    return lang
