"""Phrases split over several messages: a short in-memory window per user and chat.

A user who sends a phrase as two messages of six words (or twelve of one)
passes a per-message scan.  :class:`PhraseWindow` keeps, per (user, chat),
the recent messages that consist only of word-list words (English words or
their four-letter plate prefixes, list characters), scans them joined, and on
a find tells the caller which earlier messages held parts of it so they can
be deleted from the chat and scrubbed from the store.

It lives in one process's memory: right where one process receives a chat's
messages (Telegram polling, the Discord gateway).  Several web processes
sharing the traffic keep the window in the store instead, sealed and expiring
(:mod:`core.conversation.shared_window`, built on :meth:`parts`/:meth:`restore`).
The window holds no global state: the use-case layer owns one instance and
passes it in (``core.shield.gate.guard(..., recent=RecentParts(...))``).  The
clock is injected, entries expire after ``seconds``, and at most
``max_chats`` conversations are remembered (the least recently active go first).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from core.shield.findings import MARKERS
from core.shield.normalize import normalise
from core.shield.phrases import scan
from core.shield.words import _EN, _EN_PREFIX4, _WORDS, _ZH_LANGS, _tokenize

__all__ = ["PhraseWindow", "RecentParts", "SplitVerdict", "could_be_part"]

_JOIN = "\n"


@dataclass(frozen=True, slots=True)
class SplitVerdict:
    """What the window found.  ``redacted`` is this message's text with its
    part of the phrase replaced; ``earlier_ids`` are the message ids of the
    earlier parts (oldest first), to delete and scrub, ``earlier_texts`` their texts."""

    leak: bool
    kinds: tuple[str, ...] = ()
    redacted: str = ""
    earlier_ids: tuple[str, ...] = ()
    #: the earlier parts' texts, as they were stored (to scrub their copies)
    earlier_texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecentParts:
    """Where a message came from, for :func:`core.shield.gate.guard`."""

    window: "PhraseWindow"
    user_key: str
    chat_key: str
    message_id: str


@dataclass(frozen=True, slots=True)
class _Part:
    message_id: str
    text: str
    at: float


def _is_fragment(text: str) -> bool:
    """Nothing but word-list words (or plate prefixes, list characters), digits and punctuation."""
    toks = _tokenize(normalise(text).text)
    if not toks or len(toks) > 24:
        return False
    en = _WORDS[_EN]
    for tok in toks:
        if tok.cjk:
            if not any(tok.text in _WORDS[lang] for lang in _ZH_LANGS):
                return False
        else:
            low = tok.text.lower()
            if low not in en and not (len(low) == 4 and low in _EN_PREFIX4):
                return False
    return True


def could_be_part(text: str) -> bool:
    """Whether the window would keep ``text`` as a part of a phrase; a message that
    could not only ends the conversation's sequence (:meth:`PhraseWindow.observe`)."""
    return _is_fragment(text)


class PhraseWindow:
    """Recent word-list-only messages per (user, chat), to catch a phrase sent in parts."""

    __slots__ = ("_clock", "_max_chats", "_max_parts", "_parts", "_seconds")

    def __init__(self, *, seconds: float = 180.0, max_parts: int = 24, max_chats: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if seconds <= 0 or max_parts < 2 or max_chats < 1:
            raise ValueError("the window needs seconds > 0, max_parts >= 2 and max_chats >= 1")
        self._seconds = seconds
        self._max_parts = max_parts
        self._max_chats = max_chats
        self._clock = clock
        self._parts: OrderedDict[tuple[str, str], list[_Part]] = OrderedDict()

    def __len__(self) -> int:
        """How many conversations hold parts right now."""
        return len(self._parts)

    def observe(self, user_key: str, chat_key: str, message_id: str, text: str) -> SplitVerdict:
        """Add a message (one that is clean on its own) and scan it with the parts before it.

        A message that is not made only of list words ends the sequence: the
        parts before it are dropped.  On a find the conversation's parts are
        dropped too (the caller deletes them)."""
        key = (user_key, chat_key)
        now = self._clock()
        parts = [p for p in self._parts.pop(key, []) if now - p.at <= self._seconds]
        if not _is_fragment(text):
            return SplitVerdict(False, redacted=text)
        parts = [*parts[-(self._max_parts - 1):], _Part(message_id, text, now)]
        if len(parts) >= 2:
            verdict = self._scan(parts)
            if verdict.leak:
                return verdict
        self._parts[key] = parts
        while len(self._parts) > self._max_chats:
            self._parts.popitem(last=False)
        return SplitVerdict(False, redacted=text)

    def close(self, user_key: str, chat_key: str, message_id: str, text: str) -> SplitVerdict:
        """A message that leaked on its own: the earlier parts that belong to the
        same phrase (a 24-word phrase sent as 3 + 21 words), in ``earlier_ids`` and
        ``earlier_texts``; the conversation's parts are dropped."""
        now = self._clock()
        parts = [p for p in self._parts.pop((user_key, chat_key), []) if now - p.at <= self._seconds]
        if not parts:
            return SplitVerdict(True)
        verdict = self._scan([*parts, _Part(message_id, text, now)])
        if verdict.leak:
            return verdict
        # Joined, the scan may judge differently (13 list words on lines read as a
        # list); word-list-only messages just before a leak are taken as its parts.
        return SplitVerdict(True, earlier_ids=tuple(p.message_id for p in parts),
                            earlier_texts=tuple(p.text for p in parts))

    def parts(self, user_key: str, chat_key: str) -> list[tuple[str, str, float]]:
        """What is kept for this conversation, oldest first: ``(message id, text, at)``
        (to keep it in the store between processes: core/conversation/shared_window.py)."""
        return [(p.message_id, p.text, p.at) for p in self._parts.get((user_key, chat_key), [])]

    def restore(self, user_key: str, chat_key: str, parts: list[tuple[str, str, float]]) -> None:
        """Put back what :meth:`parts` gave (another process's observations)."""
        if parts:
            self._parts[(user_key, chat_key)] = [_Part(m, t, float(at)) for m, t, at in parts][-self._max_parts:]

    def forget(self, user_key: str, chat_key: str) -> None:
        """Drop what is kept for this conversation (its message leaked on its own, say)."""
        self._parts.pop((user_key, chat_key), None)

    @staticmethod
    def _scan(parts: list[_Part]) -> SplitVerdict:
        joined = _JOIN.join(p.text for p in parts)
        found = scan(joined)
        if not found.leak:
            return SplitVerdict(False, redacted=parts[-1].text)
        bounds, pos = [], 0
        for p in parts:
            bounds.append((pos, pos + len(p.text)))
            pos += len(p.text) + len(_JOIN)
        hit = [any(f.start < hi and f.end > lo for f in found.findings) for lo, hi in bounds]
        if not hit[-1]:
            return SplitVerdict(False, redacted=parts[-1].text)
        lo, hi = bounds[-1]
        out, cursor = [], lo
        for f in found.findings:
            a, b = max(f.start, lo), min(f.end, hi)
            if a < b:
                out += [joined[cursor:a], MARKERS[f.kind]]
                cursor = b
        out.append(joined[cursor:hi])
        earlier = [p for p, h in zip(parts[:-1], hit[:-1]) if h]
        return SplitVerdict(True, found.kinds, "".join(out), tuple(p.message_id for p in earlier),
                            tuple(p.text for p in earlier))
