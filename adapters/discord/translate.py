"""Pure converters between discord.py objects and core values.

Nothing here does I/O: a Discord message becomes an :class:`InboundMessage`,
an interaction locale becomes ``en`` or ``zh``, a discord.py / aiohttp failure
becomes :class:`RetryLater` or :class:`DeliveryError`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import aiohttp
import discord

from core.errors import DeliveryError, RateLimited, RetryLater
from core.i18n import pick_lang
from core.models import ChatRef, InboundImage, InboundMessage, UserRef

__all__ = [
    "API_VERSION",
    "api_base_url",
    "chat_ref",
    "delivery_error",
    "display_name",
    "images",
    "inbound",
    "is_addressed",
    "lang_of",
    "mentioned_user_id",
    "strip_bot_mention",
    "target_inbound",
]

API_VERSION = 10
_API_SUFFIX = re.compile(r"/api/v\d+$")
_USER_MENTION = re.compile(r"^\s*<@!?(\d{15,21})>\s*$")


def api_base_url(url: str) -> str:
    """``DISCORD_API_BASE_URL`` as discord.py's ``Route.BASE``: no trailing slash,
    ending in ``/api/v10`` (appended when the operator gave only the host)."""
    base = url.strip().rstrip("/")
    return base if _API_SUFFIX.search(base) else f"{base}/api/v{API_VERSION}"


def lang_of(locale: discord.Locale | str | None) -> str:
    """A Discord locale (``zh-CN``, ``zh-TW``, ``en-US`` ...) as ``en`` or ``zh``."""
    value = locale.value if isinstance(locale, discord.Locale) else locale
    return pick_lang(value)


def display_name(user: discord.abc.User) -> str:
    """What people see: server nickname, else global name, else username."""
    return str(getattr(user, "display_name", "") or user.name or "")


def strip_bot_mention(content: str, bot_id: int) -> str:
    """The text without ``<@bot>`` / ``<@!bot>`` mentions."""
    return re.sub(rf"\s*<@!?{bot_id}>\s*", " ", content).strip()


def mentioned_user_id(text: str) -> int | None:
    """The user id when ``text`` is exactly one user mention (``<@123>``), else None."""
    found = _USER_MENTION.match(text)
    return int(found.group(1)) if found else None


def chat_ref(channel: object) -> ChatRef:
    """Where a message lives; a thread is its own channel on Discord."""
    return ChatRef("discord", str(getattr(channel, "id")), is_private=isinstance(channel, discord.DMChannel))


def is_addressed(message: discord.Message, bot_id: int) -> bool:
    """A DM, a message mentioning the bot, or a reply to one of the bot's messages."""
    if isinstance(message.channel, discord.DMChannel):
        return True
    if bot_id in message.raw_mentions or any(u.id == bot_id for u in message.mentions):
        return True
    reference = message.reference
    resolved = reference.resolved if reference is not None else None
    return isinstance(resolved, discord.Message) and resolved.author.id == bot_id


def images(message: discord.Message) -> tuple[InboundImage, ...]:
    """The message's attachments by their CDN URL, with the content type Discord
    sets from the file's bytes: the shield reads the images, and in a private
    chat the core decides what else may go on to the desk."""
    return tuple(InboundImage(a.url, a.content_type or "application/octet-stream", a.size, a.filename)
                 for a in message.attachments)


def inbound(message: discord.Message, *, bot_id: int, is_moderator: bool = False) -> InboundMessage:
    """A user's message for :meth:`UseCases.handle_message` (keyed by message id)."""
    return InboundMessage(
        event_key=f"discord:msg:{message.id}",
        user=UserRef("discord", str(message.author.id)),
        chat=chat_ref(message.channel),
        text=strip_bot_mention(message.content or "", bot_id),
        message_id=str(message.id),
        display_name=display_name(message.author),
        locale=None,  # Discord messages carry no locale; interactions do
        addressed=is_addressed(message, bot_id),
        is_moderator=is_moderator,
        images=images(message),
    )


def target_inbound(message: discord.Message, *, bot_id: int) -> InboundMessage:
    """The message a moderator escalates, as the core sees a user's message (not addressed to the bot)."""
    return replace(inbound(message, bot_id=bot_id), addressed=False, images=())


def _retry_after(exc: discord.HTTPException) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    for name in ("X-RateLimit-Reset-After", "Retry-After"):
        try:
            return float(headers[name])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def delivery_error(exc: BaseException) -> DeliveryError | None:
    """The core error for a discord.py / network failure, or None when ``exc`` is
    not a platform failure (a bug, which the outbox worker logs and retries).

    429 and 5xx, timeouts, connection errors: :class:`RetryLater`; Forbidden,
    NotFound and other 4xx: :class:`DeliveryError`.
    """
    if isinstance(exc, discord.RateLimited):
        return RateLimited("discord 429 (rate limited)", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        status, code = exc.status, exc.code
        if status == 429:
            return RateLimited("discord 429", retry_after=_retry_after(exc))
        if status >= 500:
            return RetryLater(f"discord {status}")
        return DeliveryError(f"discord refused: {status} (code {code}) {exc.text[:120]}".rstrip())
    if isinstance(exc, (discord.GatewayNotFound, discord.ConnectionClosed, aiohttp.ClientError, asyncio.TimeoutError,
                        ConnectionError)):
        return RetryLater(f"discord unavailable: {type(exc).__name__}")
    return None
