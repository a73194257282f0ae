"""Secret shield: detect and redact wallet secrets in inbound chat text.

Every inbound message passes through :func:`scan` before anything is stored,
logged or relayed.  The shield is platform-neutral and pure Python (numpy only
builds the dense-Chinese table, once); it never logs a secret (only counts
and kinds).

What is detected (``ShieldFinding.kind``)
-----------------------------------------
``seed_phrase``
    BIP-39 recovery phrases in the English, Chinese simplified and Chinese
    traditional word lists (taken from the maintained ``mnemonic`` package).
    Text is tokenised into Latin words and single CJK characters; a *run* is a
    sequence of word-list tokens separated only by non-letters (spaces,
    commas, newlines, numbering such as ``1.`` ``2)`` ``#3``, punctuation).
    Case is ignored.

    English policy.  English chat is full of BIP-39 words ("you", "that",
    "have", "please", "help", "account", ...), but the commonest function
    words ("the", "a", "to", "is", "my", "and", "I") are *not* in the list, so
    12 consecutive list words almost never occur in real sentences.  A run of
    >= 12 list words is flagged when ANY of these holds:

    * the run is numbered (digits in at least half of its gaps);
    * some 12-word window of the run looks random: at most 5 of its 12 words
      are everyday English words (``_EN_COMMON``, 112 words; a random phrase has ~0.7 of
      them, a sentence mostly consists of them);
    * a 12/15/18/21/24-word window has a valid BIP-39 checksum and at most
      half of the run is everyday words.

    So a phrase with a *wrong checksum or one mistyped word* is still flagged
    (a user who pasted their phrase with a typo has still leaked it).  A
    mistyped word is a token of 3-9 letters within one edit (insert, delete,
    substitute, swap) of a list word; at most one per 12 words is tolerated
    (it counts as an everyday word, so it never helps chat look random).
    Function words that are not list words ("the", "and", "are", "most") are
    typo candidates only between commas/newlines/numbers, never in prose.
    Fewer than 12 words is never a phrase.

    Chinese policy.  The Chinese lists are the 2048 most frequent characters,
    so ordinary Chinese chat routinely contains 12+ consecutive list
    characters.  Therefore:

    * characters *separated* from each other (spaces, commas, 、, numbering)
      in a run of >= 12 are flagged even without a valid checksum (nobody
      writes chat one spaced character at a time); one non-list character
      per 12 is tolerated as a typo;
    * *dense* text (no separators, e.g. ``典午邵牺层流衰廷贡爹和抚``) is flagged
      only for a 12/15/18/21/24-character window with a valid checksum that
      has no punctuation inside and that a random phrase explains better
      than prose: ``log P(window | prose) - log P(window | random)`` < 0,
      where a random phrase is 1/2048 per character and prose is a
      character chain built once from jieba's word dictionary (character,
      word-initial and within-word pair counts weighted by word frequency;
      after each character the word goes on or a new word starts).
      Measured on 100,000 random phrases per length: 0.07% of 12-character
      phrases (0.014% of 15, 0.003% of 18, none of 21/24) read as prose and
      are missed.  Of the dense 12-character windows of natural chat (CIC)
      0.07% read as random (the former rank-and-word-pair score: 1.1%), and
      only 1/16 (12 chars) to 1/256 (24 chars) of those also pass the
      checksum.  ``刷卡买币被扣款但没拿到币`` scores +3.4 (prose).  Random
      strings of the ~200 most common characters never read as random (of
      the top 300: 0.7%); random strings of the ~1000-2048 most common
      characters are genuinely indistinguishable from phrases except by the
      checksum.  A dense phrase with a typo or a broken checksum is not
      flagged (indistinguishable from chat).  Without jieba's dictionary the
      former rank-only rule applies (random when mean(log(rank + 10)) > 5).

    The whole run is redacted (including a leading "1." numbering marker), so
    no phrase word survives even when the run has neighbouring list words.

``private_key_hex``
    64 hex digits, with or without ``0x``, not part of a longer alphanumeric
    token.  A transaction hash has the same shape, so the context decides:
    it is *not* a key when it sits inside a URL (any ``scheme://``, ``www.``
    or ``domain.tld/`` token: etherscan, bscscan, tronscan, blockchair,
    mempool.space, ...) or when the nearest keyword before it (40 chars, then
    30 chars after it) is a transaction word (tx, txid, txn, tx hash,
    transaction hash/id, hash, block hash, 交易哈希, 哈希, 交易ID, 交易号 ...)
    rather than a key word (private key, privkey, secret, key, 私钥, 密钥,
    助记词 ...).  A bare 64-hex with no context is flagged: a false alarm
    costs one redacted hash, a miss costs a wallet.

``wif``
    Base58Check WIF keys: 51 chars starting 5 (mainnet) or 9 (testnet)
    uncompressed, 52 chars starting K/L or c compressed.  Flagged when the
    checksum is valid, and also when it fails but the string still decodes
    to a 0x80/0xef version byte with the WIF length (a one-character typo is
    trivially brute-forced, so it is still a leak).

``xprv``
    Extended private keys with prefix xprv/yprv/zprv/tprv/uprv/vprv (and
    SLIP-132 Yprv/Zprv/Uprv/Vprv).  Flagged when Base58Check-valid (111
    chars), and also when the prefix is followed by base58 text making at
    least 100 characters even if the checksum fails: the prefix states the
    intent and nothing public starts with it.

Never flagged: addresses (0x + 40 hex, bc1..., Tron T...), public keys
(xpub...), numbers, emoji, short text.

Speed: regexes are precompiled, word lists are dicts; messages shorter than
12 characters return immediately, key regexes only run when a 50+ character
alphanumeric token exists, and the dense-Chinese prose model (a 4 MiB pair
table, ~0.2 s to build from jieba's dictionary) is built lazily the first
time a checksum-valid dense window is seen, or by :func:`warm_up`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from mnemonic import Mnemonic

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "KIND_PRIVATE_KEY_HEX",
    "KIND_SEED_PHRASE",
    "KIND_WIF",
    "KIND_XPRV",
    "KINDS",
    "MARKERS",
    "REDACTION",
    "ShieldFinding",
    "ShieldResult",
    "decode_cli_line",
    "scan",
    "warm_up",
]

_LOGGER = logging.getLogger(__name__)

KIND_SEED_PHRASE = "seed_phrase"
KIND_PRIVATE_KEY_HEX = "private_key_hex"
KIND_WIF = "wif"
KIND_XPRV = "xprv"
KINDS: tuple[str, ...] = (KIND_SEED_PHRASE, KIND_PRIVATE_KEY_HEX, KIND_WIF, KIND_XPRV)

#: Generic marker; every finding is replaced by the kind-specific one in MARKERS.
REDACTION = "[redacted secret]"
MARKERS: dict[str, str] = {
    KIND_SEED_PHRASE: "[redacted: recovery phrase]",
    KIND_PRIVATE_KEY_HEX: "[redacted: private key]",
    KIND_WIF: "[redacted: WIF private key]",
    KIND_XPRV: "[redacted: extended private key]",
}


@dataclass(frozen=True, slots=True)
class ShieldFinding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ShieldResult:
    leak: bool
    kinds: tuple[str, ...]
    redacted: str
    findings: tuple[ShieldFinding, ...]

    def as_json(self) -> dict:
        return {"leak": self.leak, "kinds": list(self.kinds), "redacted": self.redacted}


def decode_cli_line(line: str) -> str:
    """Decode one stdin line of ``walletdesk shield scan``.

    The line terminator is dropped and each two-character sequence backslash-n
    becomes a real newline.
    """
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line.replace("\\n", "\n")


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
# Regexes
# --------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[A-Za-z]+|[{_CJK}]")
# A gap between two tokens breaks a run when it holds a letter of another
# script (é, кириллица, かな) or a masked key (\x00).
_GAP_BREAK_RE = re.compile(r"[^\W\d_]|\x00")
_HAS_DIGIT_RE = re.compile(r"\d")
_STRUCT_GAP_RE = re.compile(r"[,;|\n\d、，；]")
_CJK_RE = re.compile(rf"[{_CJK}]")
_NUM_PREFIX_RE = re.compile(r"(?:[#(（\[]\s*)?\d{1,3}\s*[.)）\]:：、．-]?\s*$")

_LONG_ALNUM_RE = re.compile(r"[0-9A-Za-z]{50,}")
_HEX_RE = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_IDX = {c: i for i, c in enumerate(_B58)}
_B58C = "1-9A-HJ-NP-Za-km-z"
_WIF_RE = re.compile(rf"(?<![0-9A-Za-z])[5KL9c][{_B58C}]{{50,51}}(?![0-9A-Za-z])")
_XPRV_RE = re.compile(rf"(?<![0-9A-Za-z])[xyztuvYZUV]prv[{_B58C}]{{96,}}(?![0-9A-Za-z])")

_TX_WORDS_RE = re.compile(
    r"(?<![a-z])(?:tx(?:n|id|s|hash)?|tx[ _-]?(?:hash|id)|txn[ _-]?(?:hash|id)"
    r"|transaction[ _-]?(?:hash|id)|hash(?:es)?|block[ _-]?hash)(?![a-z])"
    r"|交易哈希|哈希|交易id|交易号|交易编号|交易单号|区块哈希|转账哈希|交易記錄|交易记录",
    re.IGNORECASE,
)
_KEY_WORDS_RE = re.compile(
    r"(?<![a-z])(?:private[ _-]?keys?|priv[ _-]?key|privkey|secret(?:[ _-]?key)?|keys?"
    r"|seed|mnemonic)(?![a-z])|私钥|私鑰|密钥|密鑰|秘钥|助记词|助記詞",
    re.IGNORECASE,
)
_URLISH_RE = re.compile(r"://|www\.|[A-Za-z0-9-]+\.[A-Za-z]{2,}/", re.IGNORECASE)
_WS_RE = re.compile(r"\s")

_HEX_CONTEXT_BEFORE = 40
_HEX_CONTEXT_AFTER = 30

# Dense Chinese: flag a checksum-valid window only when it is more likely a
# random phrase than prose by this many nats (see module docstring).
_ZH_RANDOM_MARGIN = 0.0
_ZH_MAX_IN_WORD = 0.95  # cap on P(a character is followed by the rest of its word)
_ZH_GAIN_STEPS = 16  # quantisation of the pair table: 1/16 nat
_ZH_RANK_ONLY_MEAN_LOG = 5.0  # without jieba's dictionary (see _zh_rank_model)


# --------------------------------------------------------------------------
# Keys: hex, WIF, xprv
# --------------------------------------------------------------------------


def _b58decode(s: str) -> bytes:
    n = 0
    for ch in s:
        n = n * 58 + _B58_IDX[ch]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\x00" * (len(s) - len(s.lstrip("1"))) + body


def _b58check_ok(raw: bytes) -> bool:
    return len(raw) > 4 and hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def _is_wif(s: str) -> bool:
    raw = _b58decode(s)
    if len(raw) not in (37, 38) or raw[0] not in (0x80, 0xEF):
        return False
    if (len(raw) == 37) != (len(s) == 51):
        return False
    if _b58check_ok(raw):
        return len(raw) == 37 or raw[33] == 0x01
    # Checksum failed but the structure is WIF: a typo'd key is still a leak.
    return True


def _last_match_end(regex: re.Pattern[str], text: str) -> int:
    end = -1
    for m in regex.finditer(text):
        end = m.end()
    return end


def _hex_is_tx_hash(text: str, start: int, end: int) -> bool:
    """True when the context says this 64-hex is a transaction/block hash."""
    # The whitespace-delimited token that holds the hex: a URL means explorer link.
    tok_start = start
    while tok_start > 0 and not text[tok_start - 1].isspace():
        tok_start -= 1
    if _URLISH_RE.search(text, tok_start, start):
        return True
    before = text[max(0, start - _HEX_CONTEXT_BEFORE) : start]
    tx_at = _last_match_end(_TX_WORDS_RE, before)
    key_at = _last_match_end(_KEY_WORDS_RE, before)
    if tx_at >= 0 or key_at >= 0:
        return tx_at > key_at  # the nearest keyword wins
    after = text[end : end + _HEX_CONTEXT_AFTER]
    tx_m = _TX_WORDS_RE.search(after)
    key_m = _KEY_WORDS_RE.search(after)
    if tx_m and (not key_m or tx_m.start() < key_m.start()):
        return True
    return False  # no context at all: treat as a key (safer)


def _scan_keys(text: str) -> list[ShieldFinding]:
    found: list[ShieldFinding] = []
    for m in _XPRV_RE.finditer(text):
        # Valid checksum or not, an xprv-prefixed 100+ char string is flagged.
        found.append(ShieldFinding(KIND_XPRV, m.start(), m.end()))
    for m in _WIF_RE.finditer(text):
        if _is_wif(m.group()):
            found.append(ShieldFinding(KIND_WIF, m.start(), m.end()))
    for m in _HEX_RE.finditer(text):
        if not _hex_is_tx_hash(text, m.start(), m.end()):
            found.append(ShieldFinding(KIND_PRIVATE_KEY_HEX, m.start(), m.end()))
    return found


# --------------------------------------------------------------------------
# Recovery phrases
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


@dataclass(frozen=True, slots=True)
class _ZhModel:
    """Character model of Chinese prose, in nats relative to the uniform 1/2048 of a phrase."""

    first: list[float]  # log(2048 * P(c)): a window's first character
    after: list[float]  # log(2048 * P(c starts a word))
    stop: list[float]  # log P(the word ends after c)
    gain: bytes  # [a * 2048 + b]: log(P(b | a) / P(b | the word ended after a)) * steps, 0 = never


def _jieba_dict_path() -> str:
    spec = importlib.util.find_spec("jieba")
    path = os.path.join(os.path.dirname(spec.origin), "dict.txt") if spec and spec.origin else ""
    return path if path and os.path.exists(path) else ""


def _zh_rank_model(size: int) -> _ZhModel:
    # Without the dictionary: the former rank-only rule, random when the mean
    # of log(rank + 10) exceeds 5 (the lists are frequency-ordered).
    first = [_ZH_RANK_ONLY_MEAN_LOG - math.log(r + 10) for r in range(size)]
    return _ZhModel(first, first, [0.0] * size, b"")


def _zh_dict_counts(path: str, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frequency-weighted counts from jieba's ``word freq pos`` lines: characters,
    word-initial characters, within-word pairs (keys a * size + b) and their counts.

    The 349k lines are handled as one array of UTF-16 code units (~0.2 s; a
    Python loop over them takes ~1 s).  Raises ValueError on an unexpected format.
    """
    import numpy as np  # only here: needed once per process, for the build

    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    cps = np.frombuffer((text if text.endswith("\n") else text + "\n").encode("utf-16-le"), dtype=np.uint16)
    del text  # keeps the transient peak down: the text is 10+ MB
    # Every list character is one UTF-16 unit (BMP, half the memory of UTF-32).
    lut = np.full(0x10000, -1, dtype=np.int16)  # code unit -> list position
    for lang in _ZH_LANGS:
        for ch, i in _WORDS[lang].items():
            lut[ord(ch)] = i
    # Digits, spaces, POS tags and non-list characters all map to -1, so the
    # list characters of one word are exactly the runs of adjacent ones.
    idx = lut[cps]
    ends = np.flatnonzero(cps == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    spaces = np.append(np.flatnonzero(cps == 32), [cps.size, cps.size])
    first_sp = np.searchsorted(spaces, starts)
    f_lo = spaces[first_sp] + 1  # frequency digits of each line: up to the next space
    f_hi = np.minimum(spaces[first_sp + 1], ends)
    if (f_hi <= f_lo).any():
        raise ValueError("a line without 'word freq pos'")
    freq = np.zeros(starts.size)
    for k in range(int((f_hi - f_lo).max())):
        more = f_lo + k < f_hi
        digit = cps[np.where(more, f_lo + k, 0)].astype(np.int64) - 48
        if ((digit < 0) | (digit > 9))[more].any():
            raise ValueError("a frequency that is not a number")
        freq = np.where(more, freq * 10 + digit, freq)
    pos = np.flatnonzero(idx >= 0)
    ch, weight = idx[pos], freq[np.searchsorted(ends, pos)]
    uni = np.bincount(ch, weights=weight, minlength=size)
    head = idx[starts] >= 0
    init = np.bincount(idx[starts][head], weights=freq[head], minlength=size)
    pair = pos[1:] == pos[:-1] + 1
    keys, inverse = np.unique(ch[:-1][pair].astype(np.int32) * size + ch[1:][pair], return_inverse=True)
    return uni, init, keys, np.bincount(inverse, weights=weight[:-1][pair])


@lru_cache(maxsize=1)
def _zh_model() -> _ZhModel:
    """Character model of Chinese prose built from jieba's dictionary.

    Every word counts with its frequency.  Prose is a chain: after character
    a the word goes on with probability lam(a) (next character from the
    within-word pair counts), else a new word starts.  Traditional characters
    share the statistics of their simplified twin (same list position).
    """
    size = len(_WORDS[_ZH_S])
    path = _jieba_dict_path()
    try:
        if not path:
            raise FileNotFoundError("jieba/dict.txt")
        uni, init, keys, count = _zh_dict_counts(path, size)
    except (OSError, ValueError) as exc:
        _LOGGER.warning("shield: jieba dictionary unusable (%s); dense Chinese judged by rank only", exc)
        return _zh_rank_model(size)
    import numpy as np

    uni, init = uni + 1.0, init + 1.0  # add-one: no character has probability zero
    ka, kb = keys // size, keys % size
    cont = np.bincount(ka, weights=count, minlength=size)
    lam = np.minimum(cont / uni, _ZH_MAX_IN_WORD)
    p_uni = uni / uni.sum()
    # A new word starts with a word-initial character; mixed half and half
    # with overall frequencies because chat is not segmented like a corpus.
    p_new = 0.5 * p_uni + 0.5 * init / init.sum()
    gain = np.log1p(lam[ka] * count / cont[ka] / ((1 - lam[ka]) * p_new[kb]))
    table = np.zeros(size * size, dtype=np.uint8)
    table[keys] = np.clip(np.rint(gain * _ZH_GAIN_STEPS), 1, 255)
    first, after, stop = np.log(size * p_uni), np.log(size * p_new), np.log1p(-lam)
    _LOGGER.debug("shield: Chinese prose model with %d within-word pairs", keys.size)
    return _ZhModel(first.tolist(), after.tolist(), stop.tolist(), table.tobytes())


def warm_up() -> None:
    """Load lazily built tables now (call at service start to keep the first scan fast)."""
    _zh_model()


def _zh_prose_llr(ranks: list[int]) -> float:
    """log P(window | prose) - log P(window | random phrase), in nats."""
    model = _zh_model()
    first, after, stop, gain = model.first, model.after, model.stop, model.gain
    size = len(first)
    llr = first[ranks[0]]
    for a, b in zip(ranks, ranks[1:]):
        llr += after[b] + stop[a]
    if gain:
        llr += sum(gain[a * size + b] for a, b in zip(ranks, ranks[1:])) / _ZH_GAIN_STEPS
    return llr


class _Tok:
    __slots__ = ("start", "end", "text", "cjk", "gap")

    def __init__(self, start: int, end: int, text: str, cjk: bool, gap: str) -> None:
        self.start, self.end, self.text, self.cjk, self.gap = start, end, text, cjk, gap


def _exact_windows(idx: list[int], lo: int, hi: int):
    """Yield (start, length) of checksum-valid windows inside idx[lo:hi] (no typos)."""
    for n in _VALID_LENGTHS:
        for s in range(lo, hi - n + 1):
            if _checksum_ok(idx[s : s + n]):
                yield s, n


def _exact_stretches(idx: list[int]) -> list[tuple[int, int]]:
    out, lo = [], 0
    for i, v in enumerate(idx + [-1]):
        if v < 0:
            if i - lo >= _MIN_WORDS:
                out.append((lo, i))
            lo = i + 1
    return out


def _split_on_typos(run: list[int], idx: list[int]) -> list[tuple[list[int], list[int]]]:
    """Keep a run whole if typos are within budget (1 per 12), else trim/split at typos."""
    # Typo candidates at the edges are usually neighbouring chat words ("with"):
    # drop them first while over budget.
    while idx and (idx[0] < 0 or idx[-1] < 0) and idx.count(-1) * _MIN_WORDS > len(run):
        if idx[0] < 0:
            run, idx = run[1:], idx[1:]
        else:
            run, idx = run[:-1], idx[:-1]
    typos = idx.count(-1)
    if typos * _MIN_WORDS <= len(run):
        return [(run, idx)] if len(run) >= _MIN_WORDS else []
    pieces, cur, cur_idx = [], [], []
    for p, v in zip(run, idx):
        if v < 0:
            pieces.append((cur, cur_idx))
            cur, cur_idx = [], []
        else:
            cur.append(p)
            cur_idx.append(v)
    pieces.append((cur, cur_idx))
    return [(r, i) for r, i in pieces if len(r) >= _MIN_WORDS]


def _eval_en(toks: list[_Tok], run: list[int], idx: list[int]) -> bool:
    n = len(run)
    if n < _MIN_WORDS:
        return False
    gaps = [toks[run[0]].gap] + [toks[p].gap for p in run[1:]]
    if sum(1 for g in gaps if _HAS_DIGIT_RE.search(g)) * 2 >= n:
        return True  # numbered list of list words
    # Typos count as common words (conservative for chat).
    common = [1 if (v < 0 or toks[p].text.lower() in _EN_COMMON) else 0 for p, v in zip(run, idx)]
    win = sum(common[:_MIN_WORDS])
    if win <= 5:
        return True
    for i in range(_MIN_WORDS, n):
        win += common[i] - common[i - _MIN_WORDS]
        if win <= 5:
            return True
    if sum(common) * 2 <= n:
        for lo, hi in _exact_stretches(idx):
            for _ in _exact_windows(idx, lo, hi):
                return True
    return False


def _eval_zh(toks: list[_Tok], run: list[int], idx: list[int]) -> list[tuple[int, int]]:
    """Return flagged (first, last) run positions for a Chinese run."""
    out: list[tuple[int, int]] = []
    # Separated characters: a run of >= 12 where every gap is non-empty.
    seg_lo = 0
    for i in range(1, len(run) + 1):
        if i == len(run) or not toks[run[i]].gap:
            if i - seg_lo >= _MIN_WORDS and idx[seg_lo:i].count(-1) * _MIN_WORDS <= i - seg_lo:
                out.append((seg_lo, i - 1))
            seg_lo = i
    # Dense text: checksum-valid windows that also look random.  Punctuation
    # inside a window (，。) means prose, not a pasted phrase, so stretches are
    # cut there before any checksum is computed.
    stretches: list[tuple[int, int]] = []
    lo: int | None = None
    for i, p in enumerate(run):
        if idx[i] < 0:  # typo candidate: no checksum possible across it
            if lo is not None and i - lo >= _MIN_WORDS:
                stretches.append((lo, i))
            lo = None
        elif lo is None:
            lo = i
        elif toks[p].gap and not toks[p].gap.isspace():  # punctuation: new stretch
            if i - lo >= _MIN_WORDS:
                stretches.append((lo, i))
            lo = i
    if lo is not None and len(run) - lo >= _MIN_WORDS:
        stretches.append((lo, len(run)))
    for lo, hi in stretches:
        for s, n in _exact_windows(idx, lo, hi):
            if any(a <= s and s + n - 1 <= b for a, b in out):
                continue
            if _zh_prose_llr(idx[s : s + n]) < -_ZH_RANDOM_MARGIN:
                out.append((s, s + n - 1))
    return out


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    prev = 0
    for m in _TOKEN_RE.finditer(text):
        s = m.start()
        word = m.group()
        toks.append(_Tok(s, m.end(), word, len(word) == 1 and word >= "\u3400", text[prev:s]))
        prev = m.end()
    return toks


def _runs(toks: list[_Tok], lang: str) -> list[tuple[list[int], list[int]]]:
    """Maximal runs of list tokens (with typo candidates marked -1)."""
    words = _WORDS[lang]
    cjk = lang != _EN
    runs: list[tuple[list[int], list[int]]] = []
    run: list[int] = []
    idx: list[int] = []
    n = len(toks)
    for p, t in enumerate(toks):
        if run and _GAP_BREAK_RE.search(t.gap):
            if len(run) >= _MIN_WORDS:
                runs.append((run, idx))
            run, idx = [], []
        v = -2
        if t.cjk == cjk:
            v = words.get(t.text.lower() if not cjk else t.text, -2)
            if v < 0:
                if not cjk:
                    low = t.text.lower()
                    if low in _EN_STOP:
                        # A function word is a typo candidate only inside list
                        # structure (commas, newlines, numbering), never in prose.
                        structured = _STRUCT_GAP_RE.search(t.gap) and (
                            p + 1 == n or _STRUCT_GAP_RE.search(toks[p + 1].gap)
                        )
                        v = -1 if structured and _en_near_miss(low) else -2
                    else:
                        v = -1 if _en_near_miss(low) else -2
                elif t.gap and (p + 1 == n or toks[p + 1].gap):
                    v = -1  # a separated non-list character: typo candidate
        if v == -2:
            if len(run) >= _MIN_WORDS:
                runs.append((run, idx))
            run, idx = [], []
            continue
        run.append(p)
        idx.append(v)
    if len(run) >= _MIN_WORDS:
        runs.append((run, idx))
    out = []
    for r, i in runs:
        out.extend(_split_on_typos(r, i))
    return out


def _span_start(text: str, start: int) -> int:
    """Extend a phrase start over a leading numbering marker such as '1. ' or '#1 '."""
    m = _NUM_PREFIX_RE.search(text, max(0, start - 8), start)
    return m.start() if m and m.end() == start else start


def _scan_phrases(text: str) -> list[ShieldFinding]:
    toks = _tokenize(text)
    if len(toks) < _MIN_WORDS:
        return []
    found: list[ShieldFinding] = []
    has_cjk = any(t.cjk for t in toks)
    for lang in (_EN, *_ZH_LANGS) if has_cjk else (_EN,):
        for run, idx in _runs(toks, lang):
            if lang == _EN:
                spans = [(0, len(run) - 1)] if _eval_en(toks, run, idx) else []
            else:
                spans = _eval_zh(toks, run, idx)
            for a, b in spans:
                start = _span_start(text, toks[run[a]].start)
                found.append(ShieldFinding(KIND_SEED_PHRASE, start, toks[run[b]].end))
    return found


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def _merge(findings: list[ShieldFinding]) -> list[ShieldFinding]:
    merged: list[ShieldFinding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            if f.end > last.end:
                merged[-1] = ShieldFinding(last.kind, last.start, f.end)
            continue
        merged.append(f)
    return merged


def scan(text: str) -> ShieldResult:
    """Detect secrets in ``text`` and return a redacted copy (see module docstring)."""
    if not text or len(text) < _MIN_WORDS:
        return ShieldResult(False, (), text or "", ())
    findings: list[ShieldFinding] = []
    work = text
    if _LONG_ALNUM_RE.search(text):
        findings = _scan_keys(text)
        if findings:
            # Mask keys so their letters cannot form phrase tokens.
            chars = list(text)
            for f in findings:
                chars[f.start : f.end] = "\x00" * (f.end - f.start)
            work = "".join(chars)
    if len(work) >= 4 * _MIN_WORDS - 1 or _CJK_RE.search(work):
        findings.extend(_scan_phrases(work))
    if not findings:
        return ShieldResult(False, (), text, ())
    merged = _merge(findings)
    parts: list[str] = []
    pos = 0
    for f in merged:
        parts.append(text[pos : f.start])
        parts.append(MARKERS[f.kind])
        pos = f.end
    parts.append(text[pos:])
    kinds = tuple(dict.fromkeys(f.kind for f in merged))
    _LOGGER.debug("shield: redacted %d secret(s) of kinds %s", len(merged), ",".join(kinds))
    return ShieldResult(True, kinds, "".join(parts), tuple(merged))
