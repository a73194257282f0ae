"""The FAQ engine's scoring model: a linear SVM over the TF-IDF features, nearest-example
cosines, and (with sentence embeddings) a logistic-regression head plus, for WordLlama,
static-vector matches (soft word overlap and nearest-example sentence cosine).
``Model.scores`` gives every class's raw ``Scores`` for the calibrator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from core.faq.embedders import embed as _embed_with
from core.faq.embedders import embed_token_ids as _embed_token_ids
from core.faq.embedders import release_token_vectors as _release_token_vectors
from core.faq.embedders import token_vectors as _token_vectors
from core.faq.features import Featurizer, FrozenFeaturizer, WordWeights, unigrams
from core.lang import cjk_share

__all__ = ["Model", "Scores", "tokens_and_vectors"]

_EMB_WEIGHT = 0.4  # sentence-embedding log-probability weight against SVM scores
# Static-vector matching added to the decision (English share of the question only):
# _TOKEN_WEIGHT x the IDF-weighted mean, over the question's tokens, of the best cosine to any
# token of the entry's examples (soft word overlap), and _KNN_WEIGHT x the best sentence-vector
# cosine to one of its examples. Measured on BANKING77 (see benchmarks/README.md).
_TOKEN_WEIGHT = 4.0
_KNN_WEIGHT = 1.0
_FULL_MATCH_WORDS = 3  # shorter questions get a proportional share of both
_BIAS_SAMPLE = 1500  # examples that estimate each entry's mean soft overlap
_BLOCK_ROWS = 128  # rows per similarity block: bounds the build's scratch memory


@dataclass(slots=True)
class Scores:
    """Per-question raw scores for every class (background included)."""

    decision: np.ndarray  # (n_classes,) SVM decision values
    nearest: np.ndarray  # (n_classes,) max cosine similarity to an example of the class
    length: float  # log(1 + number of normalised characters)
    unseen: float  # IDF-weighted share of the question's words no example uses
    svm_top: int = -1  # class of the best SVM decision alone (before embeddings and vectors)
    knn: np.ndarray | None = None  # (n_classes,) best sentence-vector cosine to an example; None: not computed


class Model:
    """TF-IDF features, a linear SVM and the example matrix for nearest-neighbour cosine."""

    def __init__(
        self, texts: Sequence[str], labels: np.ndarray, n_classes: int,
        embeddings: np.ndarray | None = None, embedder: str | None = None,
        token_ids: Sequence[np.ndarray] | None = None,
        fold: tuple[sparse.csr_matrix, WordWeights] | None = None,
    ) -> None:
        """``fold``: the examples' TF-IDF rows and word weights from ``FoldFeatures``, for a
        model that only scores held-out rows (``scores(..., feats=...)``)."""
        self.n_classes = n_classes
        self.embedder = embedder
        self.emb_coef_t: np.ndarray | None = None
        self.emb_intercept: np.ndarray | None = None
        self.emb_examples: np.ndarray | None = None  # unit sentence vectors, sorted by class
        self.tok: _TokenMatcher | None = None
        self.features: Featurizer | FrozenFeaturizer | None = None
        if fold is None:
            self.features = Featurizer()
            examples = self.features.fit_transform(texts)
            self._words = self.features.word_weights()
        else:
            examples, self._words = fold
        # Examples sorted by class, stored transposed, so the per-class maximum
        # of cosine similarities is one sparse product plus one reduceat.
        order = np.argsort(labels, kind="stable")
        self.examples_t = examples[order].T.tocsr()
        sorted_labels = labels[order]
        self.class_starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
        self.start_classes = sorted_labels[self.class_starts]
        present = np.unique(labels)
        self.classes = present
        if len(present) >= 2:
            from sklearn.svm import LinearSVC

            svm = LinearSVC(C=0.5, class_weight=None, random_state=0)  # reproducible builds
            svm.fit(examples, labels)
            coef = svm.coef_ if len(present) > 2 else np.vstack([-svm.coef_, svm.coef_])
            icpt = svm.intercept_ if len(present) > 2 else np.array([-svm.intercept_[0], svm.intercept_[0]])
        else:  # one class only: every question scores the same
            coef = np.zeros((1, examples.shape[1]), dtype=np.float32)
            icpt = np.zeros(1)
        # Dense (features x classes) weights: one sparse-dense product per question.
        self.coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)
        self.intercept = icpt.astype(np.float32)
        if embedder is not None and embeddings is not None and len(present) >= 2:
            self._fit_embedding_head(embeddings, labels)
            if embedder == "wordllama":
                self.emb_examples = np.ascontiguousarray(embeddings[order], dtype=np.float32)
                self.tok = _TokenMatcher.build(texts, labels, n_classes, token_ids)

    def _fit_embedding_head(self, embeddings: np.ndarray, labels: np.ndarray) -> None:
        """Logistic regression on sentence embeddings; its log-probabilities are added to the SVM scores."""
        from sklearn.linear_model import LogisticRegression

        head = LogisticRegression(C=10.0, max_iter=2000)
        head.fit(embeddings, labels)
        coef = head.coef_ if head.coef_.shape[0] > 1 else np.vstack([-head.coef_, head.coef_])
        icpt = head.intercept_ if head.intercept_.shape[0] > 1 else np.r_[-head.intercept_, head.intercept_]
        self.emb_coef_t = np.ascontiguousarray(coef.T, dtype=np.float32)
        self.emb_intercept = icpt.astype(np.float32)

    def freeze(self) -> None:
        """The serving form: no scikit-learn objects, token scores precomputed."""
        if isinstance(self.features, Featurizer):
            self.features = FrozenFeaturizer(self.features)
        if self.tok is not None:
            self.tok.freeze()

    def scores(self, texts: Sequence[str], embeddings: np.ndarray | None = None,
               token_ids: Sequence[np.ndarray] | None = None,
               feats: sparse.csr_matrix | None = None) -> list[Scores]:
        if feats is None:
            if self.features is None:
                raise ValueError("a fold model scores the rows it was given, not new text")
            feats = self.features.transform(texts)
        dec_present = np.asarray(feats @ self.coef_t) + self.intercept
        svm_top = self.classes[np.argmax(dec_present, axis=1)]  # columns are the present classes
        extra: np.ndarray | None = None  # (questions, n_classes) additions
        knn: np.ndarray | None = None  # (questions, n_classes) sentence-vector cosines
        latin = np.zeros(len(texts), dtype=bool)
        if self.emb_coef_t is not None:
            emb = embeddings
            if emb is None:
                ids, emb = tokens_and_vectors(self.embedder, texts)
                token_ids = token_ids if token_ids is not None else ids
            logits = emb @ self.emb_coef_t + self.emb_intercept
            logp = logits - _logsumexp(logits)
            # Weight measured on BANKING77/CIC held-out splits (see benchmarks/README.md).
            english = np.ones((len(texts), 1), dtype=np.float32)
            if self.embedder == "wordllama":  # English vectors: no say over Chinese text
                english[:, 0] = 1.0 - np.array([cjk_share(t) for t in texts], dtype=np.float32)
            dec_present = dec_present + _EMB_WEIGHT * english * (logp - logp.max(axis=1, keepdims=True))
            if self.tok is not None:
                latin = english[:, 0] >= 1.0
                extra, knn = self._vector_matches(texts, emb, latin, token_ids)
        decision = np.full((len(texts), self.n_classes), -5.0, dtype=np.float32)
        decision[:, self.classes] = dec_present
        if extra is not None:
            decision[:, self.classes] += extra[:, self.classes]
        nearest = np.zeros((len(texts), self.n_classes), dtype=np.float32)
        for lo in range(0, len(texts), _BLOCK_ROWS):  # the product is nearly dense: bound its scratch
            # one question is one block: slicing it would cost ~0.3 ms of its ~3
            block = feats if len(texts) <= _BLOCK_ROWS else feats[lo:lo + _BLOCK_ROWS]
            sims = (block @ self.examples_t).toarray()
            nearest[lo:lo + len(sims), self.start_classes] = np.maximum.reduceat(sims, self.class_starts, axis=1)
        lengths = np.log1p([len(t) for t in texts])
        return [Scores(decision[i], nearest[i], float(lengths[i]), self._unseen(t), int(svm_top[i]),
                        knn[i] if knn is not None and latin[i] else None) for i, t in enumerate(texts)]

    def _unseen(self, text: str) -> float:
        """A topic the FAQ never mentions ("how do I stake my tokens") still shares its
        common words with some entry; the words no example uses are the tell."""
        words = unigrams(text)  # the word vectorizer's unigrams (text is normalised)
        if not words:
            return 0.0
        known = self._words.idf
        weights = [known.get(w, self._words.unseen) for w in words]
        return float(sum(w for w, word in zip(weights, words) if word not in known) / sum(weights))

    def _vector_matches(self, texts: Sequence[str], emb: np.ndarray, latin: np.ndarray,
                        token_ids: Sequence[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray | None]:
        """(questions, n_classes): nearest example's sentence-vector cosine plus soft word
        overlap, for questions without Chinese only (on mixed text they cost CIC macro-F1);
        and the cosines alone (None when nothing was computed)."""
        out = np.zeros((len(texts), self.n_classes), dtype=np.float32)
        if self.emb_examples is None or self.tok is None or not latin.any():
            return out, None  # a Chinese question: nothing to add, nothing to compute
        knn = np.zeros((len(texts), self.n_classes), dtype=np.float32)
        for lo in range(0, len(texts), _BLOCK_ROWS):  # bounded scratch memory
            sims = emb[lo:lo + _BLOCK_ROWS] @ self.emb_examples.T
            knn[lo:lo + len(sims), self.start_classes] = np.maximum.reduceat(sims, self.class_starts, axis=1)
        out = _KNN_WEIGHT * knn + _TOKEN_WEIGHT * self.tok.scores(texts, token_ids, latin)
        # a word or two gives vectors too little to go on ("yo" lies near "you")
        words = np.array([len(t.split()) for t in texts], dtype=np.float32)
        return out * (latin * np.minimum(1.0, words / _FULL_MATCH_WORDS))[:, None], knn


class _TokenMatcher:
    """Soft word overlap on static token vectors: for each class, the IDF-weighted mean over
    the question's distinct tokens of the best cosine to any token of the class's examples."""

    def __init__(self, idf: np.ndarray, unit: np.ndarray, columns: np.ndarray, starts: np.ndarray,
                 start_classes: np.ndarray, n_classes: int) -> None:
        # The token table and tokenizer are looked up when scoring, not stored: the index
        # stays picklable and the memory-mapped table is never copied into it.
        self.idf = idf  # (vocabulary,) float32, unseen tokens get the largest value
        self.unit = unit  # (distinct training tokens, dim) unit vectors
        self.columns = columns  # indices into ``unit``, class after class
        self.starts = starts  # where each class starts in ``columns``
        self.start_classes = start_classes
        self.n_classes = n_classes
        self.full: np.ndarray | None = None  # (vocabulary, n_classes) float16 once frozen
        self.bias = np.zeros(n_classes, dtype=np.float32)  # subtracted from every score

    @classmethod
    def build(cls, texts: Sequence[str], labels: np.ndarray, n_classes: int,
              token_ids: Sequence[np.ndarray] | None) -> _TokenMatcher | None:
        found = _token_vectors("wordllama")
        if found is None:
            return None
        vectors, tokenize = found
        ids = token_ids if token_ids is not None else tokenize(texts)
        df = np.zeros(vectors.shape[0], dtype=np.float64)
        for row in ids:
            df[np.unique(row)] += 1
        idf = (np.log((1.0 + len(ids)) / (1.0 + df)) + 1.0).astype(np.float32)
        vocab = np.flatnonzero(df)
        if not vocab.size:
            return None
        position = np.zeros(vectors.shape[0], dtype=np.int64)
        position[vocab] = np.arange(len(vocab))
        unit = np.asarray(vectors[vocab], dtype=np.float32)
        unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-9)
        columns, starts, start_classes = [], [], []
        offset = 0
        for c in np.unique(labels):
            rows = [ids[i] for i in np.flatnonzero(labels == c)]
            cols = position[np.unique(np.concatenate(rows))] if rows else np.zeros(0, dtype=np.int64)
            if not cols.size:
                continue
            columns.append(cols)
            starts.append(offset)
            start_classes.append(int(c))
            offset += len(cols)
        matcher = cls(idf, unit, np.concatenate(columns).astype(np.int64),
                      np.asarray(starts, dtype=np.int64), np.asarray(start_classes, dtype=np.int64), n_classes)
        # A class with a larger vocabulary overlaps more with any text: centre each class on
        # its mean score over the other classes' examples, so chatter gains nothing from size.
        # A sample of the examples estimates the means as well as all of them, at a fraction of the build.
        sample = np.sort(np.random.default_rng(0).permutation(len(ids))[:_BIAS_SAMPLE])
        own = matcher.scores([texts[i] for i in sample], [ids[i] for i in sample], np.ones(len(sample), dtype=bool))
        for c in start_classes:
            others = labels[sample] != c
            if others.any():
                matcher.bias[c] = own[others, c].mean()
        return matcher

    def table(self, tokens: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """(len(tokens), n_classes) best cosine of each token to any token of each class."""
        out = np.zeros((len(tokens), self.n_classes), dtype=np.float32)
        for lo in range(0, len(tokens), _BLOCK_ROWS):
            q = np.asarray(vectors[tokens[lo:lo + _BLOCK_ROWS]], dtype=np.float32)
            q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-9)
            out[lo:lo + len(q), self.start_classes] = np.maximum.reduceat(
                (q @ self.unit.T)[:, self.columns], self.starts, axis=1)
        return out

    def freeze(self) -> None:
        """Precompute every vocabulary token's row (float16) and drop the training vectors:
        a question then costs a few row look-ups instead of a similarity block."""
        found = _token_vectors("wordllama")
        if found is None or self.full is not None:
            return
        vectors = found[0]
        self.full = self.table(np.arange(vectors.shape[0]), vectors).astype(np.float16)
        _release_token_vectors("wordllama")  # the pass touched every row of the mapped table
        self.unit = self.columns = self.starts = None  # type: ignore[assignment]

    def scores(self, texts: Sequence[str], token_ids: Sequence[np.ndarray] | None,
               wanted: np.ndarray) -> np.ndarray:
        out = np.zeros((len(texts), self.n_classes), dtype=np.float32)
        todo = np.flatnonzero(wanted)
        found = _token_vectors("wordllama")
        if not todo.size or found is None:
            return out
        vectors, tokenize = found
        ids = [token_ids[i] for i in todo] if token_ids is not None else tokenize([texts[i] for i in todo])
        ids = [np.unique(row) for row in ids]
        seen = np.unique(np.concatenate(ids)) if ids else np.zeros(0, dtype=np.int64)
        if not seen.size:
            return out
        if self.full is not None:
            rows = self.full[seen].astype(np.float32)
        else:
            rows = self.table(seen, vectors)
        for j, row in zip(todo, ids):
            if row.size:
                w = self.idf[row]
                out[j] = (w / w.sum()) @ rows[np.searchsorted(seen, row)] - self.bias
        return out


def _logsumexp(x: np.ndarray) -> np.ndarray:
    top = x.max(axis=1, keepdims=True)
    return top + np.log(np.exp(x - top).sum(axis=1, keepdims=True))


def tokens_and_vectors(name: str | None, texts: Sequence[str]) -> tuple[list[np.ndarray] | None, np.ndarray]:
    """Sentence vectors, with the token ids when the embedder has token vectors
    (tokenised once for both)."""
    if name is None:
        raise ValueError("no embedder configured")
    found = _token_vectors(name)
    if found is None:
        return None, _embed_with(name, texts)
    ids = found[1](texts)
    return ids, _embed_token_ids(name, ids)
