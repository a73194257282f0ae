"""BIP-39 word lists and the tokens of a message.

The lists are taken from the maintained ``mnemonic`` package, never
hand-copied.  Besides the lists: the BIP-39 checksum of a window of list
positions, the one-edit test for a mistyped English word, the everyday and
function words that the English policy weighs (see
:mod:`core.shield.phrases`), and the tokeniser (Latin words and single CJK
characters, each with the gap of text before it).
"""

from __future__ import annotations

import hashlib
import re

from mnemonic import Mnemonic

# --------------------------------------------------------------------------
# Word lists (from the maintained `mnemonic` package, never hand-copied)
# --------------------------------------------------------------------------

_EN = "english"
_ZH_S = "chinese_simplified"
_ZH_T = "chinese_traditional"
_ZH_LANGS = (_ZH_S, _ZH_T)
_WORDS: dict[str, dict[str, int]] = {
    lang: {w: i for i, w in enumerate(Mnemonic(lang).wordlist)} for lang in (_EN, _ZH_S, _ZH_T)
}
_VALID_LENGTHS = (24, 21, 18, 15, 12)
_MIN_WORDS = 12
_NEAR_WORDS = 11  # a 12-word phrase with one word missing is still recoverable
# The first four letters of every word of five or more letters (unique in the
# English list: what metal backup plates hold) -> the word's position.
_EN_PREFIX4: dict[str, int] = {w[:4]: i for w, i in _WORDS[_EN].items() if len(w) > 4}


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


# Symmetric-delete index: token t is within one edit of a list word when
# t or one of its deletions meets a list word or one of its deletions.
_EN_DEL1: frozenset[str] = frozenset(d for w in _WORDS[_EN] for d in _deletions(w))

# Function words that are not list words: never accepted as a mistyped list
# word (otherwise "and"/"the" would glue chat fragments into one run).
_EN_STOP: frozenset[str] = frozenset(
    """
    the and for are was were not but has had his her its our out how why yes
    him she them their these those than from with into onto over been being
    does did done doing can cant could would should shall may might must will
    won wont don dont isnt arent wasnt didnt doesnt hasnt havent what which
    who whom whose when where there here then that this they you your yours
    mine ours just also very much many more most some any all each every both
    only own same such too get got gets give gave let lets say said see saw
    seen use used one two ten via per etc okay yeah yep nope hey thanks thx pls
    plz please help hello about after again before because while until
    """.split()
) - frozenset(_WORDS[_EN])

# Everyday English words; only those that are BIP-39 words matter, so the
# string is filtered against the list (it is a frequency hint, not a copy).
_EN_COMMON: frozenset[str] = frozenset(
    w
    for w in """
    about above across after again all also always any around ask away back
    because before below best better between both but can come could day
    different each early else enough even ever every few first for found from
    get give good great have hello help here high how into just keep kind know
    last like little long look make many more most much must need never new
    next now number often okay old once one only open other over own people
    place please point right same say second see should show since small some
    sorry soon still such sure take tell than thank that then there they thing
    think this time today too try two under until use very want way well what
    when where which while who why will with work would year yes you your
    account balance wallet coin token fee gas phrase seed private key money send
    receive address""".split()
    if w in _WORDS[_EN]
)


# --------------------------------------------------------------------------
# Checksum and mistyped words
# --------------------------------------------------------------------------


def _checksum_ok(indices: list[int]) -> bool:
    n = len(indices)
    total = n * 11
    cs_bits = total // 33
    value = 0
    for i in indices:
        value = (value << 11) | i
    entropy = (value >> cs_bits).to_bytes((total - cs_bits) // 8, "big")
    return hashlib.sha256(entropy).digest()[0] >> (8 - cs_bits) == value & ((1 << cs_bits) - 1)


def _en_near_miss(word: str) -> bool:
    if not 3 <= len(word) <= 9:
        return False
    en = _WORDS[_EN]
    if word in _EN_DEL1:
        return True  # a letter is missing
    return any(d in en or d in _EN_DEL1 for d in _deletions(word))  # extra / wrong / swapped


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[A-Za-z]+|[{_CJK}]")


class _Tok:
    __slots__ = ("start", "end", "text", "cjk", "gap")

    def __init__(self, start: int, end: int, text: str, cjk: bool, gap: str) -> None:
        self.start, self.end, self.text, self.cjk, self.gap = start, end, text, cjk, gap


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    prev = 0
    for m in _TOKEN_RE.finditer(text):
        s = m.start()
        word = m.group()
        toks.append(_Tok(s, m.end(), word, len(word) == 1 and word >= "\u3400", text[prev:s]))
        prev = m.end()
    return toks
