"""Outgoing rate limits (sliding windows), shared by adapters: a platform's
global limit plus per-chat limits, so the bot slows down instead of being banned."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

__all__ = ["SlidingWindow", "ChatRateLimiter"]


class SlidingWindow:
    """At most ``count`` acquisitions in any ``per`` seconds."""

    __slots__ = ("count", "per", "_times", "_lock", "_clock", "_sleep")

    def __init__(self, count: int, per: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.count = count
        self.per = per
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._clock = clock
        self._sleep = sleep

    def delay(self) -> float:
        now = self._clock()
        while self._times and now - self._times[0] >= self.per:
            self._times.popleft()
        if len(self._times) < self.count:
            return 0.0
        return self.per - (now - self._times[0])

    async def acquire(self) -> None:
        async with self._lock:
            while (wait := self.delay()) > 0:
                await self._sleep(wait)
            self._times.append(self._clock())


class ChatRateLimiter:
    """A global window plus one window per chat (groups may have a second, slower one).

    Args:
        overall: (count, seconds) for the whole bot.
        per_chat: (count, seconds) for each chat.
        per_group: (count, seconds) for group chats, on top of ``per_chat``.
        scale: multiplies every window length (tests run the same rules faster).
        clock, sleep: the time source and the wait (tests inject a virtual clock).
    """

    def __init__(self, overall: tuple[int, float], per_chat: tuple[int, float],
                 per_group: tuple[int, float] | None = None, *, scale: float = 1.0, max_chats: int = 10_000,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.scale = scale
        self._time = {"clock": clock, "sleep": sleep}
        self.overall = SlidingWindow(overall[0], overall[1] * scale, **self._time)  # type: ignore[arg-type]
        self.per_chat = per_chat
        self.per_group = per_group
        self._chats: OrderedDict[str, list[SlidingWindow]] = OrderedDict()
        self.max_chats = max_chats

    def _windows(self, chat: str, is_group: bool) -> list[SlidingWindow]:
        windows = self._chats.get(chat)
        if windows is None:
            windows = [SlidingWindow(self.per_chat[0], self.per_chat[1] * self.scale, **self._time)]  # type: ignore[arg-type]
            if is_group and self.per_group:
                windows.append(SlidingWindow(self.per_group[0], self.per_group[1] * self.scale,
                                             **self._time))  # type: ignore[arg-type]
            self._chats[chat] = windows
            if len(self._chats) > self.max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat)
        return windows

    async def acquire(self, chat: str, *, is_group: bool = False) -> None:
        for window in self._windows(chat, is_group):
            await window.acquire()
        await self.overall.acquire()
