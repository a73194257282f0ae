"""One chain endpoint: every request to it goes through here, with its rate
limit, retries with backoff on a transport error, 429 or 5xx, and its circuit
breaker. Only the request the chain client builds leaves (a hash, an address,
a contract call): no user text, no header of ours beyond httpx's defaults.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx

from core.chain.guards import CircuitBreaker, RateLimit
from core.errors import WalletdeskError

__all__ = ["ChainUnavailable", "Endpoint", "gather_or_cancel"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


class ChainUnavailable(WalletdeskError):
    """The endpoint could not answer in time: down, 5xx, timeout, its breaker open."""


async def gather_or_cancel(*aws: Awaitable[T]) -> list[T]:
    """``asyncio.gather``, but the first failure cancels the others (no request outlives its lookup)."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class Endpoint:
    """Args:
        name: the chain's configured name (for logs; the URL may hold an API key and is never logged).
        base_url: the endpoint's base URL.
        rate, burst: the rate limit (requests per second, at once).
        retries: further attempts after a failed one, while the deadline allows.
        backoff: the first pause between attempts (doubled each time, with jitter).
        breaker: the circuit breaker (3 failures, 30 s by default).
    """

    __slots__ = ("name", "base_url", "limit", "retries", "backoff", "breaker")

    def __init__(self, name: str, base_url: str, *, rate: float = 10.0, burst: int = 20, retries: int = 2,
                 backoff: float = 0.05, breaker: CircuitBreaker | None = None) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.limit = RateLimit(rate, burst)
        self.retries = retries
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker()

    def url(self, path: str) -> str:
        return self.base_url + path if path else self.base_url

    async def send(self, client: httpx.AsyncClient, method: str, path: str, deadline: float,
                   body: Any = None) -> httpx.Response:
        """One request, answered before ``deadline`` (event-loop time) or :class:`ChainUnavailable`.
        A 4xx other than 429 is an answer (the caller reads it), not a failure."""
        loop = asyncio.get_running_loop()
        if not self.breaker.allow():
            raise ChainUnavailable(f"{self.name}: circuit open")
        attempt = 0
        while True:
            budget = deadline - loop.time()
            if budget <= 0 or not await self.limit.acquire(budget):
                self.breaker.failure()
                raise ChainUnavailable(f"{self.name}: no time left")
            try:
                response = await client.request(method, self.url(path), json=body, timeout=deadline - loop.time())
            except asyncio.CancelledError:
                if loop.time() >= deadline - 0.05:  # the overall deadline ended it: the endpoint was too slow
                    self.breaker.failure()
                raise
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code != 429 and response.status_code < 500:
                    self.breaker.success()
                    return response
                problem = f"HTTP {response.status_code}"
            attempt += 1
            pause = self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random())
            if attempt > self.retries or loop.time() + pause >= deadline:
                self.breaker.failure()
                _LOGGER.info("chain: %s failed after %d attempt(s): %s", self.name, attempt, problem)
                raise ChainUnavailable(f"{self.name}: {problem}")
            await asyncio.sleep(pause)

    async def json(self, client: httpx.AsyncClient, method: str, path: str, deadline: float,
                   body: Any = None) -> Any:
        """The JSON answer of a 2xx; None for a 4xx (the resource is not there)."""
        response = await self.send(client, method, path, deadline, body)
        if response.status_code >= 400:
            return None
        try:
            return response.json()
        except ValueError:
            self.breaker.failure()
            raise ChainUnavailable(f"{self.name}: not JSON") from None
