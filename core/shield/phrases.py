"""Recovery phrases, and the shield's entry point :func:`scan`.

Every inbound message passes through :func:`scan` before anything is stored,
logged or relayed.  The shield is platform-neutral and pure Python (numpy only
builds the dense-Chinese table, once); it never logs a secret (only counts
and kinds).

:func:`scan` runs the key scan (:mod:`core.shield.keys`: ``private_key_hex``,
``wif``, ``xprv``), masks the keys it found, then looks for recovery phrases
(this module), and returns a copy with every finding replaced by its marker
(:data:`core.shield.findings.MARKERS`).  It scans a folded copy of the text
(:mod:`core.shield.normalize`: NFKC, format characters dropped, Unicode
confusables folded) and maps every finding back to the original characters.

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

    Near-phrases (issue 15).  Eleven list words in a row with at most 4
    everyday words are a phrase with one word missing (about 128
    checksum-valid completions: recoverable); ten are still chat.  23 of 24
    words fall under the 12-word rules.  Metal backup plates hold the first
    four letters of each word (unique in the list): a run of 3-4 letter
    tokens, at least three of them prefixes and not words, is expanded and
    judged the same way (checksum, numbering, or random with one word
    missing).  A comma or line list of 13, 16, 19 or 22 list words (also
    without the everyday words at its edges) with no checksum-valid window
    beside an everyday word is a list of things (a 13-item shopping list),
    not a phrase: no phrase has that length.

    Chinese policy.  The Chinese lists are the 2048 most frequent characters,
    so ordinary Chinese chat routinely contains 12+ consecutive list
    characters.  Therefore:

    * characters *separated* from each other by commas, 、, newlines or
      numbering in a run of >= 11 are flagged even without a valid checksum
      (nobody chats one listed character at a time); separated by spaces
      only (some people type Chinese that way) they are flagged when an
      11-character stretch between punctuation reads as random (prose model
      below, llr < 0) or a checksum-valid window is not clearly prose (llr <
      5); one non-list character per 12 is tolerated as a typo;
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
      checksum.  A dense phrase with a typo, a broken checksum or a missing
      character is flagged only when an 11-character window scores below
      -8 nats (far more random than any chat: CIC's lowest is -3.1; about
      95 % of such phrases).  Without jieba's dictionary the
      former rank-only rule applies (random when mean(log(rank + 10)) > 5).

    The whole run is redacted (including a leading "1." numbering marker), so
    no phrase word survives even when the run has neighbouring list words.

The word lists, checksum and tokeniser are in :mod:`core.shield.words`, the
dense-Chinese prose model in :mod:`core.shield.chinese`.

Never flagged: addresses (0x + 40 hex, bc1..., Tron T...), public keys
(xpub...), numbers, emoji, short text.

Speed: regexes are precompiled, word lists are dicts; messages shorter than
12 characters return immediately, key regexes only run when a 50+ character
alphanumeric token exists, and the dense-Chinese prose model (a 4 MiB pair
table, ~0.2 s to build from jieba's dictionary) is built lazily the first
time a checksum-valid dense window is seen, or by :func:`warm_up`.
"""

from __future__ import annotations

import logging
import re

from core.shield.chinese import _zh_model, _zh_prose_llr
from core.shield.findings import (
    KIND_PRIVATE_KEY_HEX,
    KIND_SEED_PHRASE,
    KIND_WIF,
    KIND_XPRV,
    KINDS,
    MARKERS,
    REDACTION,
    ShieldFinding,
    ShieldResult,
)
from core.shield.keys import _scan_keys
from core.shield.normalize import normalise
from core.shield.words import (
    _CJK,
    _EN,
    _EN_COMMON,
    _EN_PREFIX4,
    _EN_STOP,
    _MIN_WORDS,
    _NEAR_WORDS,
    _VALID_LENGTHS,
    _WORDS,
    _ZH_LANGS,
    _checksum_ok,
    _en_near_miss,
    _Tok,
    _tokenize,
)

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

# A gap between two tokens breaks a run when it holds a letter of another
# script (é, кириллица, かな) or a masked key (\x00).
_GAP_BREAK_RE = re.compile(r"[^\W\d_]|\x00")
_HAS_DIGIT_RE = re.compile(r"\d")
_STRUCT_GAP_RE = re.compile(r"[,;|\n\d、，；]")
_NUM_PREFIX_RE = re.compile(r"(?:[#(（\[]\s*)?\d{1,3}\s*[.)）\]:：、．-]?\s*$")

# Dense Chinese: flag a checksum-valid window only when it is more likely a
# random phrase than prose by this many nats (see module docstring).
_ZH_RANDOM_MARGIN = 0.0
# Separated characters (no checksum needed): an 11-character window that a
# random phrase explains better than prose by this many nats.
_ZH_SEPARATED_MARGIN = 0.0
# ... or a checksum-valid window (1 in 16 windows of prose pass by chance)
# that is not clearly prose: random 12-character phrases score at most +3.4.
_ZH_SEPARATED_CHECKSUM_LLR = 5.0
# Dense characters with no valid checksum (a phrase missing one character,
# or with a typo): only a window far more random than any chat is flagged.
_ZH_DENSE_NEAR_MARGIN = 8.0
# English: at most 4 everyday words in 11 list words in a row (a phrase missing a word).
_NEAR_MAX_COMMON = 4
# Lengths no phrase has, even with one word missing or one neighbour word:
# a comma or line list of that many list words and no checksum is a list.
_LIST_LENGTHS = frozenset({13, 16, 19, 22})


# --------------------------------------------------------------------------
# Recovery phrases
# --------------------------------------------------------------------------


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
        return [(run, idx)] if len(run) >= _NEAR_WORDS else []
    pieces, cur, cur_idx = [], [], []
    for p, v in zip(run, idx):
        if v < 0:
            pieces.append((cur, cur_idx))
            cur, cur_idx = [], []
        else:
            cur.append(p)
            cur_idx.append(v)
    pieces.append((cur, cur_idx))
    return [(r, i) for r, i in pieces if len(r) >= _NEAR_WORDS]


def _eval_en(toks: list[_Tok], run: list[int], idx: list[int]) -> bool:
    n = len(run)
    if n < _NEAR_WORDS:
        return False
    gaps = [toks[run[0]].gap] + [toks[p].gap for p in run[1:]]
    if sum(1 for g in gaps if _HAS_DIGIT_RE.search(g)) * 2 >= n:
        return True  # numbered list of list words
    # Typos count as common words (conservative for chat).
    common = [1 if (v < 0 or toks[p].text.lower() in _EN_COMMON) else 0 for p, v in zip(run, idx)]
    if n < _MIN_WORDS:
        # A phrase with one word missing (about 128 checksum-valid completions:
        # recoverable). No checksum to test, so it must read as random.
        return -1 not in idx and sum(common) <= _NEAR_MAX_COMMON
    if not _random_window(common):
        if sum(common) * 2 <= n:
            return _has_exact_window(idx)
        return False
    lo, hi = 0, n  # everyday words at the edges are the chat around a phrase ("... wild what happened")
    while lo < hi and common[lo]:
        lo += 1
    while hi > lo and common[hi - 1]:
        hi -= 1
    if n in _LIST_LENGTHS and hi - lo in _LIST_LENGTHS and -1 not in idx and _structured(gaps):
        # 13 things on a list: no phrase has that length.  A phrase and one
        # more item is told by its checksum, with an everyday word beside it
        # ("wallet", "please"); a 13th grocery passes a 12-window checksum 1 time in 8.
        return any(common[0 if s else n - 1] for lo, hi in _exact_stretches(idx)
                   for s, w in _exact_windows(idx, lo, hi) if w == n - 1)
    return True


def _random_window(common: list[int]) -> bool:
    """Some 12-word window holds at most 5 everyday words."""
    win = sum(common[:_MIN_WORDS])
    if win <= 5:
        return True
    for i in range(_MIN_WORDS, len(common)):
        win += common[i] - common[i - _MIN_WORDS]
        if win <= 5:
            return True
    return False


def _has_exact_window(idx: list[int]) -> bool:
    return any(True for lo, hi in _exact_stretches(idx) for _ in _exact_windows(idx, lo, hi))


def _structured(gaps: list[str]) -> bool:
    """Items separated by commas, semicolons, bars or newlines (a list, not a line of words)."""
    return sum(1 for g in gaps[1:] if _STRUCT_GAP_RE.search(g)) * 2 >= len(gaps) - 1


def _plate_runs(toks: list[_Tok]) -> list[tuple[list[int], list[int]]]:
    """Runs written the way metal backup plates hold a phrase: the first four
    letters of each word (unique in the list) or the whole word when it is
    shorter; at least three tokens must be a prefix and not a word."""
    words = _WORDS[_EN]
    runs: list[tuple[list[int], list[int]]] = []
    run: list[int] = []
    idx: list[int] = []
    prefixes = 0
    for p, t in enumerate(toks + [None]):  # type: ignore[list-item]
        v = -2
        if t is not None and not t.cjk and not (run and _GAP_BREAK_RE.search(t.gap)):
            low = t.text.lower()
            if len(low) <= 4:
                v = words.get(low, -2)
                if v < 0:
                    v = _EN_PREFIX4.get(low, -2)
                    prefixes += v >= 0 and low not in _EN_STOP
        if v >= 0:
            run.append(p)
            idx.append(v)
            continue
        if len(run) >= _NEAR_WORDS and prefixes >= 3:
            runs.append((run, idx))
        run, idx, prefixes = [], [], 0
    return runs


def _eval_plate(toks: list[_Tok], run: list[int], idx: list[int]) -> bool:
    gaps = [toks[run[0]].gap] + [toks[p].gap for p in run[1:]]
    if sum(1 for g in gaps if _HAS_DIGIT_RE.search(g)) * 2 >= len(run) or _has_exact_window(idx):
        return True
    everyday = _EN_COMMON | _EN_STOP
    common = [1 if toks[p].text.lower() in everyday else 0 for p in run]
    if len(run) < _MIN_WORDS:
        return sum(common) <= _NEAR_MAX_COMMON
    return _random_window(common)


def _eval_zh(toks: list[_Tok], run: list[int], idx: list[int]) -> list[tuple[int, int]]:
    """Return flagged (first, last) run positions for a Chinese run."""
    out: list[tuple[int, int]] = []
    # Separated characters: a run of >= 11 where every gap is non-empty, and
    # either listed (commas, newlines, numbering) or, when only spaces separate
    # them, with a checksum-valid window or one that reads as random rather
    # than as prose typed with spaces (我 的 钱 包 怎 么 ...).
    seg_lo = 0
    for i in range(1, len(run) + 1):
        if i == len(run) or not toks[run[i]].gap:
            seg = idx[seg_lo:i]
            # commas, newlines or numbering between single characters: nobody chats like that
            gaps = [toks[p].gap for p in run[seg_lo:i]]
            if len(seg) >= _NEAR_WORDS and seg.count(-1) * _MIN_WORDS <= len(seg) and (
                _structured(gaps) or _zh_separated_phrase(seg, gaps)
            ):
                out.append((seg_lo, i - 1))
            seg_lo = i
    # Dense text: checksum-valid windows that also look random.  Punctuation
    # inside a window (，。) means prose, not a pasted phrase, so stretches are
    # cut there before any checksum is computed.
    stretches: list[tuple[int, int]] = []
    lo: int | None = None
    for i, p in enumerate(run):
        if idx[i] < 0:  # typo candidate: no checksum possible across it
            if lo is not None and i - lo >= _NEAR_WORDS:
                stretches.append((lo, i))
            lo = None
        elif lo is None:
            lo = i
        elif toks[p].gap and not toks[p].gap.isspace():  # punctuation: new stretch
            if i - lo >= _NEAR_WORDS:
                stretches.append((lo, i))
            lo = i
    if lo is not None and len(run) - lo >= _NEAR_WORDS:
        stretches.append((lo, len(run)))
    for lo, hi in stretches:
        for s, n in _exact_windows(idx, lo, hi):
            if any(a <= s and s + n - 1 <= b for a, b in out):
                continue
            if _zh_prose_llr(idx[s : s + n]) < -_ZH_RANDOM_MARGIN:
                out.append((s, s + n - 1))
        # no checksum (a character missing or mistyped): far more random than chat
        for s in range(lo, hi - _NEAR_WORDS + 1):
            if any(a <= s and s + _NEAR_WORDS - 1 <= b for a, b in out):
                continue
            if _zh_prose_llr(idx[s : s + _NEAR_WORDS]) < -_ZH_DENSE_NEAR_MARGIN:
                out.append((s, s + _NEAR_WORDS - 1))
    return out


def _zh_separated_phrase(seg: list[int], gaps: list[str]) -> bool:
    """Characters separated by spaces only: a phrase when a window reads as
    random (the prose model), judged between typos and punctuation (，。？
    inside means a sentence typed with spaces, not a pasted phrase)."""
    pieces: list[list[int]] = [[]]
    for v, gap in zip(seg, gaps):
        if v < 0 or (pieces[-1] and not gap.isspace()):
            pieces.append([])
        if v >= 0:
            pieces[-1].append(v)
    for ranks in pieces:
        if any(_zh_prose_llr(ranks[s : s + n]) < _ZH_SEPARATED_CHECKSUM_LLR
               for s, n in _exact_windows(ranks, 0, len(ranks))):
            return True
        if any(_zh_prose_llr(ranks[s : s + _NEAR_WORDS]) < -_ZH_SEPARATED_MARGIN
               for s in range(len(ranks) - _NEAR_WORDS + 1)):
            return True
    return False


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
            if len(run) >= _NEAR_WORDS:
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
            if len(run) >= _NEAR_WORDS:
                runs.append((run, idx))
            run, idx = [], []
            continue
        run.append(p)
        idx.append(v)
    if len(run) >= _NEAR_WORDS:
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
    if len(toks) < _NEAR_WORDS:
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
    for run, idx in _plate_runs(toks):
        if _eval_plate(toks, run, idx):
            start = _span_start(text, toks[run[0]].start)
            found.append(ShieldFinding(KIND_SEED_PHRASE, start, toks[run[-1]].end))
    return found


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------

_CJK_RE = re.compile(rf"[{_CJK}]")
_LONG_ALNUM_RE = re.compile(r"[0-9A-Za-z]{50,}")
_HEX_PIECE_RE = re.compile(r"[0-9a-fA-F]{8}")
_MIN_CHARS = 11  # eleven dense Chinese characters are the shortest thing flagged
_MIN_LATIN_CHARS = 3 * 11 + 10  # eleven three-letter words and their gaps


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


def warm_up() -> None:
    """Load lazily built tables now (call at service start to keep the first scan fast)."""
    _zh_model()


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


def scan(text: str, *, expect_tx_hash: bool = False) -> ShieldResult:
    """Detect secrets in ``text`` and return a redacted copy (see module docstring).

    The text is first folded (:mod:`core.shield.normalize`: NFKC, format
    characters dropped, confusable letters folded); findings are mapped back
    so ``redacted`` is the original text with each secret replaced.
    ``expect_tx_hash``: the caller (the bot or staff) has just asked for a
    transaction hash (see :mod:`core.shield.keys` for what it changes).
    """
    if not text or len(text) < _MIN_CHARS:
        return ShieldResult(False, (), text or "", ())
    norm = normalise(text)
    work = norm.text
    findings: list[ShieldFinding] = []
    if _LONG_ALNUM_RE.search(work) or _HEX_PIECE_RE.search(work):
        findings = _scan_keys(work, expect_tx_hash=expect_tx_hash)
        if findings:
            # Mask keys so their letters cannot form phrase tokens.
            chars = list(work)
            for f in findings:
                chars[f.start : f.end] = "\x00" * (f.end - f.start)
            work = "".join(chars)
    if len(work) >= _MIN_LATIN_CHARS or _CJK_RE.search(work):
        findings.extend(_scan_phrases(work))
    if not findings:
        return ShieldResult(False, (), text, ())
    merged = [ShieldFinding(f.kind, *norm.span(f.start, f.end)) for f in _merge(findings)]
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
