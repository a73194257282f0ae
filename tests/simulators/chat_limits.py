"""Telegram's and Slack's documented send limits for the simulators, on an injected clock.

Both platforms publish approximate figures, not an algorithm, so each rule here is the
strictest reading of the documentation that still allows the bursts it says are allowed:

Telegram (Bot FAQ, "My bot is hitting limits, how do I avoid this?",
https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this;
mirrored at https://telegra.ph/Hitting-limits-bot-FAQ):

* "When sending messages inside a particular chat, avoid sending more than one message
  per second. We may allow short bursts that go over this limit, but eventually you'll
  begin receiving 429 errors": per chat, a bucket of ``TELEGRAM_CHAT_BURST`` messages
  refilled at 1 per second.
* "your bot will not be able to send more than 20 messages per minute to the same group":
  per group or supergroup, at most 20 in any 60 seconds.
* "the API will not allow more than 30 messages per second or so": at most 30 in any
  second over all chats.

A send over a limit is HTTP 429 ``{"ok": false, "error_code": 429, "description": "Too Many
Requests: retry after N", "parameters": {"retry_after": N}}``, N whole seconds.

Slack (Rate limits, https://docs.slack.dev/apis/web-api/rate-limits, formerly
https://api.slack.com/docs/rate-limits): limits apply "per API method per app per workspace";
Tier 1 "1+ per minute", Tier 2 "20+ per minute", Tier 3 "50+ per minute", Tier 4 "100+ per
minute"; "chat.postMessage generally allows posting one message per second per channel" with
"Short bursts >1 allowed". Here: each tiered method at most its tier's floor in any 60 s, and
chat.postMessage a bucket of ``SLACK_CHANNEL_BURST`` per channel refilled at 1 per second. A call
over a limit is HTTP 429 with ``Retry-After: N`` (seconds) and ``{"ok": false, "error":
"ratelimited"}``. Each method's tier is the one its reference page names
(https://docs.slack.dev/reference/methods/<method>, "Rate limits").

The clock is any ``() -> float`` of seconds (``time.monotonic`` unless a test injects a virtual
one), so a test moves time by hand and never waits; ``on_limited`` is told of every refusal, so a
test can move its clock by the wait the client is about to make.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Refusal", "SlackLimits", "Ticks", "TelegramLimits", "SLACK_CHANNEL_BURST", "SLACK_TIERS", "TELEGRAM_CHAT_BURST",
           "TELEGRAM_SENDS", "scaled_clock"]

Clock = Callable[[], float]

# Neither platform says how long a "short burst" may be; three messages is the strict reading.
TELEGRAM_CHAT_BURST = 3
TELEGRAM_GROUP = (20, 60.0)
TELEGRAM_OVERALL = (30, 1.0)
#: the Bot API methods that send a message (and so count toward the limits)
TELEGRAM_SENDS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendvideo", "sendaudio", "sendvoice",
                            "sendanimation", "sendsticker", "sendmediagroup", "sendlocation", "sendcontact",
                            "sendpoll", "senddice", "copymessage", "forwardmessage"})

SLACK_CHANNEL_BURST = 3
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
#: method -> tier, from each method's reference page; chat.postMessage is "Special" (per channel, above)
SLACK_TIERS: dict[str, int] = {
    "chat.update": 3, "chat.delete": 3, "reactions.add": 3, "reactions.remove": 3,
    "conversations.open": 3, "conversations.info": 3, "conversations.history": 3, "conversations.replies": 3,
    "conversations.join": 3, "users.lookupByEmail": 3,
    "users.info": 4, "conversations.members": 4, "chat.postEphemeral": 4, "views.open": 4, "views.update": 4,
    "views.publish": 4, "files.getUploadURLExternal": 4, "files.completeUploadExternal": 4, "files.info": 4,
    "usergroups.users.list": 2, "usergroups.list": 2, "users.list": 2, "conversations.list": 2,
    "apps.connections.open": 1,
    # "Special" methods documented as generous (auth.test, chat.getPermalink) are not limited here
}


def scaled_clock(scale: float, base: Clock = time.monotonic) -> Clock:
    """A clock whose seconds last ``scale`` real seconds: the platform's windows at the speed of a
    product run with ``WALLETDESK_RATE_LIMIT_SCALE=scale`` (its limiter shrinks the same windows)."""
    return lambda: base() / scale


class Ticks:
    """A clock a second later at every look: each request a second after the last, for tests
    about other rules that send a few messages in a row (the limits never refuse them)."""

    def __init__(self, start: float = 1_000.0, step: float = 1.0) -> None:
        self.now, self.step = start, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@dataclass
class Refusal:
    """A request over a limit: which rule refused it and the whole seconds to wait."""

    rule: str  # "chat", "group", "overall", "channel", "tier<N>"
    key: str
    retry_after: int


class _Bucket:
    """``burst`` requests at once, refilled at ``rate`` per second."""

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst, self.rate, self.tokens, self.at = burst, rate, float(burst), now

    def wait(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1.0 - 1e-9 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


class _Window:
    """At most ``count`` requests in any ``per`` seconds."""

    def __init__(self, count: int, per: float) -> None:
        self.count, self.per, self.times = count, per, deque[float]()

    def wait(self, now: float) -> float:
        while self.times and now - self.times[0] >= self.per - 1e-9:
            self.times.popleft()
        return 0.0 if len(self.times) < self.count else self.per - (now - self.times[0])

    def take(self, now: float) -> None:
        self.times.append(now)


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait - 1e-9))


class _Limits:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.refused: list[Refusal] = []  # every 429 given, in order
        # every counted request: (clock time, chat / channel / method, the refusal or None)
        self.log: list[tuple[float, str, Refusal | None]] = []
        self.on_limited: Callable[[Refusal], None] | None = None

    def _pass(self, key: str, now: float) -> None:
        self.log.append((now, key, None))

    def _refuse(self, rule: str, key: str, wait: float) -> Refusal:
        refusal = Refusal(rule, key, _seconds(wait))
        self.refused.append(refusal)
        self.log.append((self.clock(), key, refusal))
        if self.on_limited is not None:
            self.on_limited(refusal)
        return refusal


def _early(log: list[tuple[float, str, Refusal | None]]) -> list[str]:
    refused_at: dict[str, tuple[float, int]] = {}
    early: list[str] = []
    for at, key, refusal in log:
        last = refused_at.pop(key, None)
        if last is not None and at < last[0] + last[1] - 1e-6:
            early.append(f"{key} at {at:.3f}: {at - last[0]:.3f} s after a 429 saying {last[1]} s")
        if refusal is not None:
            refused_at[key] = (at, refusal.retry_after)
    return early


class TelegramLimits(_Limits):
    """Counts the bot's sends; :meth:`take` answers None (sent) or the :class:`Refusal`."""

    def __init__(self, clock: Clock = time.monotonic, *, chat_burst: int = TELEGRAM_CHAT_BURST,
                 group: tuple[int, float] = TELEGRAM_GROUP, overall: tuple[int, float] = TELEGRAM_OVERALL) -> None:
        super().__init__(clock)
        self.chat_burst, self.group = chat_burst, group
        self.overall = _Window(*overall)
        self._chats: dict[str, _Bucket] = {}
        self._groups: dict[str, _Window] = {}

    def take(self, chat_id: int | str, *, is_group: bool) -> Refusal | None:
        now, key = self.clock(), str(chat_id)
        chat = self._chats.setdefault(key, _Bucket(self.chat_burst, 1.0, now))
        group = self._groups.setdefault(key, _Window(*self.group)) if is_group else None
        for rule, wait in (("chat", chat.wait(now)), ("group", group.wait(now) if group else 0.0),
                           ("overall", self.overall.wait(now))):
            if wait > 0:
                return self._refuse(rule, key, wait)
        chat.take()
        if group is not None:
            group.take(now)
        self.overall.take(now)
        self._pass(key, now)
        return None

    def early_retries(self) -> list[str]:
        """Sends to a chat sooner than the ``retry_after`` of the 429 before them."""
        return _early(self.log)


class SlackLimits(_Limits):
    """Counts Web API calls per method (per channel for chat.postMessage)."""

    def __init__(self, clock: Clock = time.monotonic, *, channel_burst: int = SLACK_CHANNEL_BURST,
                 tiers: dict[str, int] | None = None) -> None:
        super().__init__(clock)
        self.channel_burst = channel_burst
        self.tiers = dict(SLACK_TIERS if tiers is None else tiers)
        self._channels: dict[str, _Bucket] = {}
        self._methods: dict[str, _Window] = {}

    def take(self, method: str, channel: str | None) -> Refusal | None:
        now = self.clock()
        if method == "chat.postMessage":
            key = str(channel or "")
            bucket = self._channels.setdefault(key, _Bucket(self.channel_burst, 1.0, now))
            if (wait := bucket.wait(now)) > 0:
                return self._refuse("channel", key, wait)
            bucket.take()
            self._pass(key, now)
            return None
        tier = self.tiers.get(method)
        if tier is None:
            return None
        window = self._methods.setdefault(method, _Window(TIER_PER_MINUTE[tier], 60.0))
        if (wait := window.wait(now)) > 0:
            return self._refuse(f"tier{tier}", method, wait)
        window.take(now)
        self._pass(method, now)
        return None

    def early_retries(self) -> list[str]:
        """Requests sent again sooner than the ``Retry-After`` of the 429 before them (same key)."""
        return _early(self.log)
