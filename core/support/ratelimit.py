"""Rate limits as sliding windows. Outgoing: a platform's global limit plus per-chat
limits, shared by adapters, so the bot slows down instead of being banned. Inbound:
:class:`InboundFlood`, so one person (or one group) cannot bury the desk."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

__all__ = ["ChatRateLimiter", "FloodVerdict", "InboundFlood", "SlidingWindow"]


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

    def try_acquire(self) -> bool:
        """Take a place in the window if one is free, without waiting."""
        if self.delay() > 0:
            return False
        self._times.append(self._clock())
        return True

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


FloodVerdict = tuple[str, bool]  # ("user" | "group", whether this is the first message of the flood)


class InboundFlood:
    """More than N messages in M seconds from one user, or in one group chat.

    Counted in this process only (a deliberate trade: no store write per message).
    With several workers a flooder gets up to N per window from each; the limit is
    there to keep one person from burying the desk, not to be exact. What must hold
    everywhere (a block) is in the store.

    Args:
        per_user, per_group: (messages, seconds), or None for no limit.
        clock: the time source (the dialogue's, so tests move it by hand).
    """

    NOTICE_QUIET = 10

    def __init__(self, per_user: tuple[int, float] | None, per_group: tuple[int, float] | None, *,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 20_000) -> None:
        self.limits = {"user": per_user, "group": per_group}
        self._clock = clock
        self._windows: OrderedDict[str, SlidingWindow] = OrderedDict()
        self._flooding: dict[str, float] = {}  # limit name -> when a message last broke it
        self.max_keys = max_keys

    def _window(self, kind: str, key: str) -> SlidingWindow | None:
        limit = self.limits[kind]
        if limit is None:
            return None
        name = f"{kind}:{key}"
        window = self._windows.get(name)
        if window is None:
            window = self._windows[name] = SlidingWindow(limit[0], limit[1], clock=self._clock)
            if len(self._windows) > self.max_keys:
                old, _ = self._windows.popitem(last=False)
                self._flooding.pop(old, None)
        else:
            self._windows.move_to_end(name)
        return window

    def hit(self, user_key: str, group_key: str | None) -> FloodVerdict | None:
        """Count one message; None when it may pass, else which limit it broke and
        whether the flood starts with it (the one notice goes then: a flood goes on
        until no message broke the limit for ``NOTICE_QUIET`` windows)."""
        for kind, key in (("user", user_key), ("group", group_key)):
            window = self._window(kind, key) if key is not None else None
            if window is None:
                continue
            name = f"{kind}:{key}"
            if not window.try_acquire():
                now, last = self._clock(), self._flooding.get(name)
                self._flooding[name] = now
                # one notice per flood: again only after a quiet spell of NOTICE_QUIET windows
                return kind, last is None or now - last > window.per * self.NOTICE_QUIET
        return None
