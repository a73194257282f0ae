"""The rate limit and the circuit breaker, on a clock the test moves."""

from __future__ import annotations

from core.chain.guards import CircuitBreaker, RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limit_lets_a_burst_through_then_spaces_requests() -> None:
    clock = Clock()
    limit = RateLimit(rate=10.0, burst=3, clock=clock)
    assert [limit.wait_for_token() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert abs(limit.wait_for_token() - 0.1) < 1e-9  # the fourth waits for a token
    clock.now += 1.0
    assert limit.wait_for_token() == 0.0  # refilled (never above the burst)


async def test_a_token_that_would_come_too_late_is_not_taken() -> None:
    clock = Clock()
    limit = RateLimit(rate=1.0, burst=1, clock=clock)
    assert await limit.acquire(0.0)
    assert not await limit.acquire(0.5)  # the next token is 1 s away
    clock.now += 1.0
    assert await limit.acquire(0.0)  # the refused one took nothing


def test_the_breaker_opens_after_failures_in_a_row_and_closes_on_a_success_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown=30.0, clock=clock)
    breaker.failure()
    breaker.failure()
    breaker.success()  # a success in between resets the count
    breaker.failure()
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now += 30.0
    assert breaker.state == "half-open" and breaker.allow()
    breaker.failure()  # the trial failed: open again at once
    assert breaker.state == "open"
    clock.now += 30.0
    breaker.success()
    assert breaker.state == "closed"
