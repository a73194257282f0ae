"""slack-sdk and network errors mapped into the core's tree, in one place.

* HTTP 429 / ``ratelimited`` -> :class:`core.errors.RetryLater` with the
  ``Retry-After`` seconds;
* 5xx, ``aiohttp.ClientError``, timeouts -> :class:`RetryLater`;
* any other API refusal -> :class:`core.errors.DeliveryError` carrying Slack's
  error code (``cant_delete_message``, ``channel_not_found``, ...).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from core.errors import DeliveryError, RateLimited, RetryLater

__all__ = ["api_error_code", "slack_errors"]

_LOGGER = logging.getLogger(__name__)

_TRANSIENT_CODES = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "team_added_to_org"})


def api_error_code(exc: SlackApiError) -> str:
    """Slack's error code (``channel_not_found``), or ``http_<status>``."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, Mapping) and data.get("error"):
        return str(data["error"])
    return f"http_{getattr(exc.response, 'status_code', 0)}"


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    try:
        items = headers.items()
    except AttributeError:
        return None
    for name, value in items:
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError, IndexError):
                return None
    return None


@contextmanager
def slack_errors() -> Iterator[None]:
    """Wrap Web API calls made on behalf of an outbox delivery."""
    try:
        yield
    except SlackApiError as exc:
        status = int(getattr(exc.response, "status_code", 0) or 0)
        code = api_error_code(exc)
        if status == 429 or code == "ratelimited":
            raise RateLimited(f"slack rate limited ({code})",
                             retry_after=_retry_after(getattr(exc.response, "headers", None))) from None
        if status >= 500 or code in _TRANSIENT_CODES:
            raise RetryLater(f"slack unavailable ({code})") from None
        raise DeliveryError(code) from None
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise RetryLater(f"slack unreachable: {type(exc).__name__}") from None
    except SlackClientError as exc:
        raise DeliveryError(f"slack client error: {type(exc).__name__}") from None
