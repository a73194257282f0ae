"""Discord's time-based rules for the simulator, on an injected clock.

* :class:`RateBuckets`: per-route buckets keyed by the route and its major
  parameter (channel, guild, webhook), plus the global per-bot limit, answered
  with Discord's ``X-RateLimit-*`` headers and its 429 body
  (https://discord.com/developers/docs/topics/rate-limits).
* :class:`NonceWindow`: ``enforce_nonce`` on message create: the same nonce
  from the same author in a channel within a few minutes returns the first
  message; after that the nonce is free again.

Both take ``clock`` (seconds, monotonic), so tests move time by hand and never wait.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_ROUTE_LIMITS", "GLOBAL_LIMIT", "INTERACTION_TOKEN_TTL", "NONCE_WINDOW",
           "Limited", "NonceWindow", "RateBuckets"]

# Discord publishes no fixed numbers (clients must read the headers); these are the ones its
# API answers for a bot today: 5 message creates / edits per 5 s per channel, 5 deletes per second.
DEFAULT_ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PATCH /channels/{channel_id}/messages/{message_id}": (5, 5.0),
    "DELETE /channels/{channel_id}/messages/{message_id}": (5, 1.0),
    "POST /webhooks/{app_id}/{token}": (5, 2.0),
    "PATCH /webhooks/{app_id}/{token}/messages/@original": (5, 2.0),
}
OTHER_ROUTES: tuple[int, float] = (50, 1.0)
GLOBAL_LIMIT: tuple[int, float] = (50, 1.0)  # requests per second per bot, all routes
# Interaction callbacks are not bound to the global limit (Discord: "Interaction endpoints are not").
UNLIMITED_PREFIXES = ("/interactions/",)
INTERACTION_TOKEN_TTL = 15 * 60.0  # an interaction token is valid for 15 minutes
NONCE_WINDOW = 5 * 60.0  # "checked for uniqueness in the past few minutes"
_MAJOR = ("channel_id", "guild_id", "token")


@dataclass
class _Bucket:
    limit: int
    window: float
    remaining: int
    reset_at: float  # clock time


@dataclass
class Limited:
    """A request over a limit: answer 429 with these headers and body."""

    retry_after: float
    is_global: bool
    headers: dict[str, str]

    def body(self) -> dict[str, Any]:
        return {"message": "You are being rate limited.", "retry_after": round(self.retry_after, 3),
                "global": self.is_global}


class RateBuckets:
    """Args:
        clock: monotonic seconds (``time.monotonic`` unless a test injects one).
        limits: ``"METHOD /route/{template}"`` -> (requests, seconds); others get ``OTHER_ROUTES``.
        global_limit: (requests, seconds) over every rate-limited route.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *,
                 limits: dict[str, tuple[int, float]] | None = None,
                 global_limit: tuple[int, float] = GLOBAL_LIMIT) -> None:
        self.clock = clock
        self.limits = dict(DEFAULT_ROUTE_LIMITS if limits is None else limits)
        self.global_limit = global_limit
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global: _Bucket | None = None
        self.limited: list[tuple[str, bool]] = []  # (route key, global) of every 429 given
        # called with every 429 given: a test moves its clock by the retry_after the client
        # will wait, so the client's retry finds the bucket reset however slow the machine
        self.on_limited: Callable[[Limited], None] | None = None

    def _fresh(self, bucket: _Bucket | None, limit: tuple[int, float], now: float) -> _Bucket:
        if bucket is None or now >= bucket.reset_at:
            return _Bucket(limit[0], limit[1], limit[0], now + limit[1])
        return bucket

    def take(self, method: str, template: str, params: dict[str, str]) -> tuple[Limited | None, dict[str, str]]:
        """Count one request. Returns (a 429 to answer, or None; the headers for a 2xx/4xx answer)."""
        if template.startswith(UNLIMITED_PREFIXES):
            return None, {}
        now = self.clock()
        self._global = self._fresh(self._global, self.global_limit, now)
        if self._global.remaining <= 0:
            retry = self._global.reset_at - now
            self.limited.append((f"{method} {template}", True))
            return self._limited(Limited(retry, True, {
                "Retry-After": str(math.ceil(retry)), "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global",
                "Via": "1.1 google"})), {}
        route = f"{method} {template}"
        limit = self.limits.get(route, OTHER_ROUTES)
        major = "/".join(params.get(k, "") for k in _MAJOR)
        key = (route, major)
        bucket = self._buckets[key] = self._fresh(self._buckets.get(key), limit, now)
        bucket_hash = hashlib.sha1(route.encode()).hexdigest()[:16]
        if bucket.remaining <= 0:
            retry = bucket.reset_at - now
            self.limited.append((route, False))
            headers = self._headers(bucket, bucket_hash, now)
            headers.update({"Retry-After": str(math.ceil(retry)), "X-RateLimit-Scope": "user", "Via": "1.1 google"})
            return self._limited(Limited(retry, False, headers)), {}
        bucket.remaining -= 1
        self._global.remaining -= 1
        return None, self._headers(bucket, bucket_hash, now)

    def _limited(self, limited: Limited) -> Limited:
        if self.on_limited is not None:
            self.on_limited(limited)
        return limited

    @staticmethod
    def _headers(bucket: _Bucket, bucket_hash: str, now: float) -> dict[str, str]:
        after = max(0.0, bucket.reset_at - now)
        return {"X-RateLimit-Limit": str(bucket.limit), "X-RateLimit-Remaining": str(bucket.remaining),
                "X-RateLimit-Reset": f"{time.time() + after:.3f}", "X-RateLimit-Reset-After": f"{after:.3f}",
                "X-RateLimit-Bucket": bucket_hash}


class NonceWindow:
    """Remembers (channel, author, nonce) -> the message created, for ``window`` seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, window: float = NONCE_WINDOW) -> None:
        self.clock = clock
        self.window = window
        self._seen: dict[tuple[int, str, str], tuple[float, dict[str, Any]]] = {}

    def earlier(self, channel_id: int, author_id: str, nonce: Any) -> dict[str, Any] | None:
        now = self.clock()
        for key in [k for k, (at, _) in self._seen.items() if now - at >= self.window]:
            del self._seen[key]
        hit = self._seen.get((channel_id, author_id, str(nonce)))
        return hit[1] if hit else None

    def remember(self, channel_id: int, author_id: str, nonce: Any, message: dict[str, Any]) -> None:
        self._seen[(channel_id, author_id, str(nonce))] = (self.clock(), message)
