"""The pure converters: URLs, locales, mentions, and discord.py errors -> core errors."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import aiohttp
import discord
import pytest

from adapters.discord.translate import (
    api_base_url,
    delivery_error,
    lang_of,
    mentioned_user_id,
    strip_bot_mention,
)
from core.errors import DeliveryError, RetryLater


def _http_error(cls: type[discord.HTTPException], status: int, code: int = 0,
                headers: dict[str, str] | None = None) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="x", headers=headers or {})
    return cls(response, {"message": "refused", "code": code})  # type: ignore[arg-type]


@pytest.mark.parametrize(("given", "expected"), [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v10"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v10"),
    ("http://127.0.0.1:8080/api/v10/", "http://127.0.0.1:8080/api/v10"),
    ("https://discord.com/api/v9", "https://discord.com/api/v9"),
])
def test_api_base_url(given: str, expected: str) -> None:
    assert api_base_url(given) == expected


@pytest.mark.parametrize(("locale", "lang"), [
    (discord.Locale.chinese, "zh"), (discord.Locale.taiwan_chinese, "zh"), ("zh-CN", "zh"),
    (discord.Locale.american_english, "en"), (discord.Locale.japanese, "en"), (None, "en"),
])
def test_lang_of(locale: discord.Locale | str | None, lang: str) -> None:
    assert lang_of(locale) == lang


def test_strip_bot_mention_and_mentioned_user() -> None:
    assert strip_bot_mention("<@123456789012345678> how do I pay gas?", 123456789012345678) == "how do I pay gas?"
    assert strip_bot_mention("hey <@!123456789012345678>  there", 123456789012345678) == "hey there"
    assert strip_bot_mention("<@999999999999999999> hi", 123456789012345678) == "<@999999999999999999> hi"
    assert mentioned_user_id(" <@!123456789012345678> ") == 123456789012345678
    assert mentioned_user_id("Alice <@123456789012345678>") is None
    assert mentioned_user_id("Alice") is None


def test_errors_map_to_retry_later_or_refusal() -> None:
    limited = delivery_error(_http_error(discord.HTTPException, 429, headers={"Retry-After": "7"}))
    assert isinstance(limited, RetryLater) and limited.retry_after == 7.0
    rate = delivery_error(discord.RateLimited(42.0))
    assert isinstance(rate, RetryLater) and rate.retry_after == 42.0
    for status in (500, 502, 503):
        assert isinstance(delivery_error(_http_error(discord.DiscordServerError, status)), RetryLater)
    for error in (_http_error(discord.Forbidden, 403, 50007), _http_error(discord.NotFound, 404, 10003),
                  _http_error(discord.HTTPException, 400, 50035)):
        mapped = delivery_error(error)
        assert isinstance(mapped, DeliveryError) and not isinstance(mapped, RetryLater)
    for transient in (aiohttp.ClientConnectionError(), asyncio.TimeoutError(), discord.GatewayNotFound(),
                      ConnectionResetError()):
        assert isinstance(delivery_error(transient), RetryLater)
    assert delivery_error(ZeroDivisionError()) is None  # a bug, not a platform failure
