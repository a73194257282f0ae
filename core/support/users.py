"""The users the bot has met: their language and (shielded) display name."""

from __future__ import annotations

from core.models import InboundMessage
from core.storage import SqlTx

__all__ = ["remember_user"]


async def remember_user(tx: SqlTx, msg: InboundMessage, guess: str | None, now: float) -> str:
    """Record the user (``msg`` has passed :func:`core.shield.gate.guard_sender`) and return the language to answer in: the message's own,
    else the one they used before, else their platform locale, else English."""
    row = await tx.get_user(msg.user.key)
    locale_lang = msg.locale.replace("_", "-").split("-")[0].lower() if msg.locale else None
    lang = guess or (row.lang if row else None) or (locale_lang if locale_lang in ("en", "zh") else None) or "en"
    await tx.upsert_user(msg.user, msg.display_name, lang, now)
    return lang
