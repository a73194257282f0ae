"""Whether the bot can post in ``SLACK_STAFF_CHANNEL``, checked once it is connected.

Slack refuses a post to a channel the bot is not in (``not_in_channel``; a private
one answers ``channel_not_found``), unless the channel is public and the token has
``chat:write.public``. Every ticket root would then be a dead letter, so the
operator is told at start-up, in one warning line that says what to do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import api_error_code

__all__ = ["desk_channel_problem"]

_LOGGER = logging.getLogger(__name__)


def _scopes(headers: Mapping[str, Any] | None) -> set[str]:
    for name, value in (headers or {}).items():
        if str(name).lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else str(value)
            return {s.strip() for s in text.split(",") if s.strip()}
    return set()


async def desk_channel_problem(client: AsyncWebClient, staff_channel: str | None) -> str | None:
    """The reason the bot cannot post in the staff channel (logged as a warning), or None."""
    if not staff_channel:
        return None
    try:
        resp = await client.conversations_info(channel=staff_channel)
    except SlackApiError as exc:
        problem = (f"SLACK_STAFF_CHANNEL {staff_channel}: {api_error_code(exc)} (a private channel the bot is "
                   "not in answers the same): /invite the bot there or fix the id, or no ticket reaches the desk")
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
        return None  # unreachable now: the outbox retries, and the doctor checks it
    else:
        channel = resp.get("channel") or {}
        if channel.get("is_member") or (not channel.get("is_private") and "chat:write.public" in _scopes(resp.headers)):
            return None
        problem = (f"the bot is not in SLACK_STAFF_CHANNEL {staff_channel}: /invite it there, or no ticket "
                   "reaches the desk (Slack answers not_in_channel)")
    _LOGGER.warning("slack: %s", problem)
    return problem
