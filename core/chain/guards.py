"""What keeps one endpoint polite and keeps a dead one from slowing every answer:
a token-bucket rate limit and a circuit breaker. Both read an injected clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["CircuitBreaker", "RateLimit"]


class RateLimit:
    """At most ``rate`` requests a second on average, ``burst`` at once.

    Args:
        rate: tokens added per second.
        burst: the bucket's size.
        clock: monotonic seconds.
    """

    __slots__ = ("rate", "burst", "clock", "_tokens", "_at")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def wait_for_token(self) -> float:
        """Take a token; the seconds to wait before using it (0 when one was there)."""
        self._refill()
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self, budget: float) -> bool:
        """Wait for a token if it comes within ``budget`` seconds; False (nothing taken) if not."""
        wait = self.wait_for_token()
        if wait > budget:
            self._tokens += 1.0
            return False
        if wait > 0:
            await asyncio.sleep(wait)
        return True


class CircuitBreaker:
    """After ``failures`` failed requests in a row the endpoint is not asked for
    ``cooldown`` seconds; then it is tried again (half-open): a success closes the
    breaker, a failure opens it for another cool-down at once.
    """

    __slots__ = ("failures", "cooldown", "clock", "_count", "_opened_at")

    def __init__(self, failures: int = 3, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self.clock = clock
        self._count = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self._opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        """May a request go out now?"""
        return self.state != "open"

    def success(self) -> None:
        self._count = 0
        self._opened_at = None

    def failure(self) -> None:
        self._count += 1
        if self._opened_at is not None or self._count >= self.failures:
            self._opened_at = self.clock()
