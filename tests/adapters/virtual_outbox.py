"""Delivering the outbox through a real adapter and a simulator on virtual time, so a burst
held for minutes by the platforms' real rate windows is checked in a second of real time.

One clock drives the simulator's limits, the adapter's rate limiter and the outbox (retry times);
the limiter's waits move it forward (:meth:`JumpClock.sleep`), and :func:`drain` moves it while
nothing is due (a row waiting out a platform's ``retry_after``)."""

from __future__ import annotations

import asyncio

from core.support.outbox import OutboxWorker
from core.support.ratelimit import ChatRateLimiter
from core.storage import Store
from tests.conftest import Clock

__all__ = ["JumpClock", "drain", "on_virtual_time"]


class JumpClock(Clock):
    """A hand-moved clock whose sleep moves it instead of waiting."""

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


def on_virtual_time(limiter: ChatRateLimiter, clock: JumpClock) -> ChatRateLimiter:
    """The adapter's own limiter (its windows, unscaled) on ``clock``."""
    overall = (limiter.overall.count, limiter.overall.per / limiter.scale)
    return ChatRateLimiter(overall, limiter.per_chat, limiter.per_group, scale=limiter.scale, clock=clock,
                           sleep=clock.sleep)


async def drain(worker: OutboxWorker, store: Store, clock: JumpClock, *, step: float = 0.5,
                max_virtual_seconds: float = 3_600.0) -> float:
    """Run ``worker`` until no row is pending; returns the virtual seconds it took."""
    start = clock()
    while True:
        done = await worker.run_once()
        async with store.transaction() as tx:
            pending = int((await tx.outbox_stats(clock()))["pending"])
        if not pending:
            return clock() - start
        if clock() - start > max_virtual_seconds:
            raise TimeoutError(f"{pending} rows still pending after {max_virtual_seconds:.0f} virtual seconds")
        if done == 0:
            clock.advance(step)  # nothing due: a row waits out its retry_after
