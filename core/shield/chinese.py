"""The dense-Chinese prose model: is a run of list characters prose or a random phrase?

Dense Chinese text (no separators) is judged by a likelihood ratio,
``log P(window | prose) - log P(window | random)`` in nats (:func:`_zh_prose_llr`),
where a random phrase is 1/2048 per character and prose is a character chain
built once from jieba's word dictionary (character, word-initial and
within-word pair counts weighted by word frequency; after each character the
word goes on or a new word starts).  The model (a 4 MiB pair table, ~0.2 s to
build) is built lazily on first use, or by :func:`core.shield.phrases.warm_up`.
Without jieba's dictionary the former rank-only rule applies (random when
mean(log(rank + 10)) > 5).  The policy that uses it is described in
:mod:`core.shield.phrases`.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from core.shield.words import _WORDS, _ZH_LANGS, _ZH_S

if TYPE_CHECKING:
    import numpy as np

_LOGGER = logging.getLogger(__name__)

_ZH_MAX_IN_WORD = 0.95  # cap on P(a character is followed by the rest of its word)
_ZH_GAIN_STEPS = 16  # quantisation of the pair table: 1/16 nat
_ZH_RANK_ONLY_MEAN_LOG = 5.0  # without jieba's dictionary (see _zh_rank_model)


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
