"""The FAQ engine's confidence: candidate features → P(correct) (``Calibrator``), the
label-noise estimate and the examples it takes out, and the learned threshold."""

from __future__ import annotations

import numpy as np

from core.faq.model import Scores

__all__ = [
    "Calibrator", "candidate_features", "best_entry", "mislabelled", "label_noise", "learn_threshold",
    "DEFAULT_THRESHOLD", "MIN_THRESHOLD", "MAX_THRESHOLD",
]

# Used when there is too little data to learn a threshold from.
DEFAULT_THRESHOLD = 0.5
MIN_THRESHOLD = 0.3
MAX_THRESHOLD = 0.9
_TARGET_PRECISION = 0.96
# Calibrator input: the candidate's share of softmax(decision / _SOFTMAX_T) over all classes
# (the "probability gap" to its rivals, which the raw margin sees only for the runner-up).
_SOFTMAX_T = 0.5
_N_FEATURES = 8
# Label noise below _NOISY_LABELS is the model's own top-decile mistakes: labels count
# as clean. Above it, out-of-fold answers at confidence >= _PRUNE (scaled) that
# contradict an example's label take it out of the final model (pruning costs
# few-shot and clean sets accuracy, so it waits for evidence of noise).
_NOISY_LABELS = 0.05
_MAX_NOISE = 0.5
_PRUNE = 0.8
_PRUNE_MIN_LEFT = 3


def candidate_features(s: Scores, cls: int) -> np.ndarray:
    """Calibrator inputs for "is class ``cls`` the right answer?"."""
    others = np.delete(s.decision, cls)
    best_other = float(others.max()) if others.size else -1.0
    d = float(s.decision[cls])
    # the candidate's share of a sharpened softmax over every class: all close rivals count, not only the runner-up
    share = 1.0 / float(np.exp((s.decision.astype(np.float64) - d) / _SOFTMAX_T).sum())
    # how far the nearest example (sentence vectors) of the candidate beats that of any other class
    knn_margin = 0.0
    if s.knn is not None and s.knn.size > 1:
        knn_margin = float(s.knn[cls] - np.delete(s.knn, cls).max())
    return np.array([d, d - best_other, float(s.nearest[cls]), s.length, s.unseen,
                     share, knn_margin, float(s.svm_top == cls)], dtype=np.float64)


def best_entry(s: Scores, bg: int) -> int:
    """Index of the best non-background class."""
    dec = s.decision.copy()
    dec[bg] = -np.inf
    return int(np.argmax(dec))


class Calibrator:
    """Logistic regression from candidate features to P(correct)."""

    def __init__(self) -> None:
        self.weights: np.ndarray | None = None  # on standardised features
        self.bias = 0.0
        self.mean = np.zeros(_N_FEATURES)
        self.scale = np.ones(_N_FEATURES)

    def fit(self, feats: np.ndarray, correct: np.ndarray) -> None:
        if len(np.unique(correct)) < 2:
            return  # nothing to learn from; fall back to the heuristic
        from sklearn.linear_model import LogisticRegression

        self.mean = feats.mean(axis=0)
        self.scale = feats.std(axis=0) + 1e-6
        model = LogisticRegression(C=1.0, max_iter=1000).fit((feats - self.mean) / self.scale, correct)
        self.weights, self.bias = model.coef_[0].copy(), float(model.intercept_[0])

    def predict(self, feats: np.ndarray) -> np.ndarray:
        if self.weights is None:
            # Heuristic when uncalibrated: squash margin and similarity.
            margin, near = feats[:, 1], feats[:, 2]
            return 1 / (1 + np.exp(-(3 * margin + 4 * (near - 0.5))))
        z = ((feats - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))


def mislabelled(rows: np.ndarray, predicted: np.ndarray, conf: np.ndarray, labels: np.ndarray, bg: int,
                 noise: float) -> np.ndarray:
    """Out-of-fold rows confidently predicted as another entry: likely wrong labels.
    Confidence was learned against the noisy labels, so its scale shrinks with the noise."""
    given = labels[rows]
    sure = conf >= _PRUNE * (1.0 - noise)
    suspect = (predicted != given) & sure & (given != bg) & (predicted != bg)
    # never strip a class below a few examples
    counts = np.bincount(labels, minlength=int(labels.max()) + 1)
    for cls in np.unique(given[suspect]):
        hits = np.flatnonzero(suspect & (given == cls))
        room = max(0, counts[cls] - _PRUNE_MIN_LEFT)
        if len(hits) > room:
            suspect[hits[np.argsort(-conf[hits])][room:]] = False
    return suspect


def label_noise(conf: np.ndarray, correct: np.ndarray) -> float:
    """Share of wrong labels, estimated from the most confident tenth of the
    out-of-fold answers: those are almost always right, so a disagreement there
    is mostly the label's fault. 0 when there is too little to tell, or too little
    noise to tell from the model's own mistakes."""
    if len(conf) < 50:
        return 0.0
    top = np.argsort(-conf)[: max(10, len(conf) // 10)]
    noise = float(np.clip(1.0 - correct[top].mean(), 0.0, _MAX_NOISE))
    return noise if noise >= _NOISY_LABELS else 0.0


def learn_threshold(conf: np.ndarray, correct: np.ndarray, noise: float = 0.0) -> float:
    """Lowest confidence whose answers (everything at or above it) reach the target
    precision, measured against labels of which a share ``noise`` is wrong."""
    if len(conf) < 50 or correct.sum() < 10:
        return DEFAULT_THRESHOLD  # too few held-out answers to trust a learned value
    order = np.argsort(-conf)
    precision = np.cumsum(correct[order]) / np.arange(1, len(conf) + 1)
    # wrong labels cap the precision any threshold can show
    ok = np.flatnonzero(precision >= _TARGET_PRECISION * (1.0 - noise))
    if not ok.size:
        return MAX_THRESHOLD
    return float(np.clip(conf[order][ok[-1]], MIN_THRESHOLD, MAX_THRESHOLD))
