"""Unicode normalisation before scanning (and for the staff roster's skeleton).

What an attacker or a Chinese input method sends is folded to what the word
lists and key patterns are written in, one character at a time:

* lone surrogates (``\\ud800``) become U+FFFD: they cannot be encoded, and a
  library further down (the FAQ engine, a JSON encoder) would raise on them;
* format characters (category Cf: soft hyphen, zero-width space, ZWJ/ZWNJ,
  word joiner, BOM, bidi marks) and combining marks are dropped, so
  ``wal\\u00adlet`` and ``wa\\u200dllet`` read ``wallet`` and ``é`` reads ``e``;
* NFKC: full-width Latin (``ａｂａｎｄｏｎ``, what Chinese input methods
  produce), mathematical alphanumerics (``𝐀𝐥𝐢𝐜𝐞``), ligatures, circled and
  full-width digits and punctuation;
* look-alike letters of other scripts (Cyrillic ``а``, Greek ``ο``, ``ı``) fold
  to the ASCII letter they are confusable with, from the Unicode confusables
  table (UTS #39) shipped in the maintained ``confusable-homoglyphs`` package;
  Latin small capitals (``ᴀʟɪᴄᴇ``) fold by their Unicode character name.

ASCII is never changed (a key or a number stays what it is) and CJK
ideographs only go through NFKC (compatibility ideographs become the unified
ones; no ideograph is folded to a Latin letter).  :func:`normalise` keeps, for
every output character, the index of the input character it came from, so a
finding in the folded text redacts the right span of the original.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Normalised", "fold_char", "normalise", "safe_text"]

_CJK_RANGES = ((0x2E80, 0x9FFF), (0xF900, 0xFAFF), (0xAC00, 0xD7AF), (0x20000, 0x3FFFF))
_SMALL_CAPITAL = "LATIN LETTER SMALL CAPITAL "
_REPLACEMENT = "\ufffd"
_MARKS = "\u200e\u200f"  # the confusables table wraps right-to-left glyphs in these


@lru_cache(maxsize=1)
def _confusable_ascii() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter or digit it is confusable with (letters preferred)."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    table: dict[str, list[dict[str, str]]] = json.loads(raw)
    out: dict[str, str] = {}
    for char, glyphs in table.items():
        if char.isascii() or len(char) != 1:
            continue
        ascii_ = [g["c"].strip(_MARKS) for g in glyphs]
        ascii_ = [g for g in ascii_ if len(g) == 1 and g.isascii() and g.isalnum()]
        if ascii_:
            letters = [g for g in ascii_ if g.isalpha()]
            out[char] = (letters or ascii_)[0]
    return out


def _is_cjk(code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


@lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """What one non-ASCII character reads as (see the module docstring); '' drops it."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return _REPLACEMENT
    category = unicodedata.category(char)
    if category == "Cf" or category.startswith("M"):
        return ""
    compat = unicodedata.normalize("NFKC", char)
    if _is_cjk(code) or compat.isascii():
        return compat
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and base.isascii():
        return base
    folded = _confusable_ascii().get(char) or _confusable_ascii().get(compat)
    if folded:
        return folded
    name = unicodedata.name(char, "")
    if name.startswith(_SMALL_CAPITAL) and len(name) == len(_SMALL_CAPITAL) + 1:
        return name[-1].lower()
    return compat


@dataclass(frozen=True, slots=True)
class Normalised:
    """``text`` folded; ``origin[i]`` is the index in the input of ``text[i]`` (None: unchanged)."""

    text: str
    origin: tuple[int, ...] | None
    source_len: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The input span that the folded span ``[start, end)`` came from."""
        if self.origin is None:
            return start, end
        if start >= len(self.origin):
            return self.source_len, self.source_len
        last = self.origin[end - 1] if end > start else self.origin[start]
        # dropped characters right after the span (a ZWJ, a mark) go with it
        stop = self.origin[end] if end < len(self.origin) else self.source_len
        return self.origin[start], max(stop, last + 1)


def normalise(text: str) -> Normalised:
    """Fold ``text`` for scanning; ASCII text comes back as it is."""
    if text.isascii():
        return Normalised(text, None, len(text))
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = char if char.isascii() else fold_char(char)
        out.append(folded)
        origin.extend([i] * len(folded))
    return Normalised("".join(out), tuple(origin), len(text))


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (nothing else changes)."""
    if text.isascii():
        return text
    return "".join(_REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
