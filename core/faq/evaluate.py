"""Quality and speed evaluation of the FAQ engine (``walletdesk faq eval``).

The engine learns the train rows as example questions (``shots`` per label when
given, drawn with ``seed``) and answers every test row one at a time.  Test
rows whose label never occurs in train are "should abstain" (out of scope).
"""

from __future__ import annotations

import csv
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from core.faq_engine import FaqEngine

__all__ = ["evaluate", "read_labelled_csv", "sample_shots", "coverage_at_precision"]

_LOGGER = logging.getLogger(__name__)

Rows = list[tuple[str, str]]
_WARMUP = 5
_PRECISIONS = (0.95, 0.99)


def read_labelled_csv(path: str | Path) -> Rows:
    """Rows of a ``text,label`` CSV; ``ValueError`` with a one-line reason otherwise."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{p}: no such file")
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = [f.strip().lower() for f in (reader.fieldnames or [])]
            if not fields:
                raise ValueError(f"{p}: empty file (expected a header 'text,label')")
            if "text" not in fields or "label" not in fields:
                raise ValueError(f"{p}: missing column(s) — expected 'text,label', found {','.join(fields)}")
            reader.fieldnames = fields
            rows = [
                (str(r["text"]).strip(), str(r["label"]).strip())
                for r in reader
                if r.get("text") and str(r["text"]).strip() and r.get("label") and str(r["label"]).strip()
            ]
    except UnicodeDecodeError as exc:
        raise ValueError(f"{p}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise ValueError(f"{p}: malformed CSV ({exc})") from None
    if not rows:
        raise ValueError(f"{p}: no rows with both text and label")
    return rows


def sample_shots(rows: Sequence[tuple[str, str]], shots: int, seed: int) -> Rows:
    """Up to ``shots`` rows per label, drawn reproducibly with ``seed``."""
    if shots < 1:
        raise ValueError("shots must be at least 1")
    by_label: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        by_label[row[1]].append(row)
    rng = random.Random(seed)
    out: Rows = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        out += group[:shots]
    return out


def coverage_at_precision(conf: np.ndarray, correct: np.ndarray, precision: float) -> float:
    """Largest share of rows answerable (most confident first) with answered precision ≥ ``precision``."""
    if not len(conf):
        return 0.0
    order = np.argsort(-conf, kind="stable")
    hits = np.cumsum(correct[order])
    prec = hits / np.arange(1, len(conf) + 1)
    # Only cut where the confidence changes: a threshold cannot split ties.
    conf_sorted = conf[order]
    cut_ok = np.append(conf_sorted[1:] < conf_sorted[:-1], True)
    ok = np.flatnonzero((prec >= precision) & cut_ok)
    return float((ok[-1] + 1) / len(conf)) if ok.size else 0.0


def evaluate(
    train: Sequence[tuple[str, str]],
    test: Sequence[tuple[str, str]],
    *,
    shots: int | None,
    seed: int,
    threshold: float | None,
    progress: Callable[[int, int], None] | None = None,
    embedder: str | None = None,
) -> dict[str, object]:
    """Train on ``train`` (optionally ``shots`` per label), answer ``test``, report the design's fields.
    ``embedder``: as for :class:`FaqEngine` (None: ``WALLETDESK_FAQ_EMBEDDER`` or the default)."""
    if not train:
        raise ValueError("no training rows")
    if not test:
        raise ValueError("no test rows")
    rows = sample_shots(train, shots, seed) if shots else list(train)
    engine = FaqEngine.from_examples([t for t, _ in rows], [lbl for _, lbl in rows], threshold=threshold,
                                     embedder=embedder)
    known = {lbl for _, lbl in rows}
    preds, conf, latencies = _answer_all(engine, test, progress)
    gold = np.array([lbl for _, lbl in test], dtype=object)
    in_scope = np.array([lbl in known for lbl in gold])
    correct = (preds == gold) & in_scope  # an out-of-scope row is never answered correctly
    answered = conf >= engine.threshold
    return {
        "n": len(test),
        "accuracy": _round(float(correct[in_scope].mean()) if in_scope.any() else 0.0),
        "macro_f1": _round(_macro_f1(gold[in_scope], preds[in_scope])),
        "p50_ms": _round(float(np.percentile(latencies, 50)), 3),
        "p99_ms": _round(float(np.percentile(latencies, 99)), 3),
        "coverage_at_precision": {str(p): _round(coverage_at_precision(conf, correct, p)) for p in _PRECISIONS},
        # Strict: answering an out-of-scope row counts against precision.
        "answered_precision": _round(float(correct[answered].mean()) if answered.any() else 1.0),
        "answered_coverage": _round(float(answered[in_scope].mean()) if in_scope.any() else 0.0),
        "out_of_scope_abstained": _round(float((~answered[~in_scope]).mean()) if (~in_scope).any() else 1.0),
        "threshold": _round(engine.threshold),
        "n_out_of_scope": int((~in_scope).sum()),
    }


def _answer_all(
    engine: FaqEngine, test: Sequence[tuple[str, str]], progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ask every test question singly, timing each after a short warm-up."""
    for text, _ in list(test)[:_WARMUP]:
        engine.ask(text)
    preds: list[str | None] = []
    conf: list[float] = []
    latencies: list[float] = []
    for i, (text, _) in enumerate(test):
        start = time.perf_counter()
        match = engine.ask(text)
        latencies.append((time.perf_counter() - start) * 1000)
        preds.append(match.id)
        conf.append(match.confidence)
        if progress and (i + 1) % 100 == 0:
            progress(i + 1, len(test))
    if progress:
        progress(len(test), len(test))
    return np.array(preds, dtype=object), np.array(conf), np.array(latencies)


def _macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    if not len(gold):
        return 0.0
    labels = sorted(set(gold.tolist()))
    return float(f1_score(gold.astype(str), pred.astype(str), labels=labels, average="macro", zero_division=0))


def _round(x: float, digits: int = 4) -> float:
    return round(float(x), digits)
