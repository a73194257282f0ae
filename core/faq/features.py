"""The FAQ engine's sparse features: word uni/bi-grams (each CJK character a word) and
``char_wb`` 2–5-grams, TF-IDF weighted, every block and row of unit length so that dot
products are cosines.

``Featurizer`` (scikit-learn) is fitted at build time; ``FoldFeatures`` derives each
calibration fold's rows from counts made once; ``FrozenFeaturizer`` is the serving form,
free of scikit-learn. ``WordWeights`` feed the calibrator's unseen-word share.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
from scipy import sparse

__all__ = ["Featurizer", "FoldFeatures", "FrozenFeaturizer", "WordWeights", "unigrams"]

_WORD_RE = re.compile(r"(?u)\b\w+\b")
_CJK_CHAR_RE = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_WHITE_SPACES_RE = re.compile(r"\s\s+")  # as scikit-learn's char_wb analyzer collapses them


def _spaced_cjk(text: str) -> str:
    """Put spaces around CJK characters so each one is a word token."""
    return _CJK_CHAR_RE.sub(r" \1 ", text)


_WORD_NGRAMS: dict[str, object] = {"preprocessor": _spaced_cjk, "token_pattern": _WORD_RE.pattern,
                                    "ngram_range": (1, 2)}
_CHAR_NGRAMS: dict[str, object] = {"analyzer": "char_wb", "ngram_range": (2, 5)}


class WordWeights(NamedTuple):
    """The unseen-word share's weights: every known single word's IDF, and one for the rest."""

    idf: dict[str, float]
    unseen: float

    @classmethod
    def of(cls, terms: Iterable[str], idf: np.ndarray) -> WordWeights:
        """From a word vectorizer's terms (uni- and bigrams) and their IDF, in column order."""
        return cls({t: float(i) for t, i in zip(terms, idf) if " " not in t}, float(idf.max()) + 1.0)


class Featurizer:
    """Word + character TF-IDF; rows are unit length so dot products are cosines."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer  # building only: see FrozenFeaturizer

        self.word = TfidfVectorizer(**_WORD_NGRAMS, sublinear_tf=True, dtype=np.float32)
        self.char = TfidfVectorizer(**_CHAR_NGRAMS, sublinear_tf=True, dtype=np.float32)

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return _join(self.word.fit_transform(texts), self.char.fit_transform(texts))

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return _join(self.word.transform(texts), self.char.transform(texts))

    def word_weights(self) -> WordWeights:
        return WordWeights.of(self.word.get_feature_names_out(), self.word.idf_)


class FoldFeatures:
    """The word and character n-gram counts of every example, made once per build. A fold's
    TF-IDF rows derive from them exactly as a ``Featurizer`` fitted on the fold's training
    rows would give them (tested), without running the analyzers again for each fold."""

    def __init__(self, texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        word = CountVectorizer(**_WORD_NGRAMS, dtype=np.float32)
        char = CountVectorizer(**_CHAR_NGRAMS, dtype=np.float32)
        self.counts = (word.fit_transform(texts).tocsr(), char.fit_transform(texts).tocsr())
        self.words = word.get_feature_names_out()

    def fold(self, train: np.ndarray, held: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix,
                                                                  WordWeights]:
        """TF-IDF rows of ``train`` and ``held`` and the word weights, as fitted on ``train`` alone."""
        from sklearn.feature_extraction.text import TfidfTransformer

        blocks: list[tuple[sparse.csr_matrix, sparse.csr_matrix]] = []
        weights = WordWeights({}, 1.0)
        for counts in self.counts:
            fitted = counts[train]
            seen = np.flatnonzero(np.diff(fitted.tocsc().indptr))  # terms of the training rows only
            fitted = fitted[:, seen]
            tfidf = TfidfTransformer(sublinear_tf=True).fit(fitted)
            blocks.append((tfidf.transform(fitted), tfidf.transform(counts[held][:, seen])))
            if counts is self.counts[0]:
                weights = WordWeights.of(self.words[seen], tfidf.idf_)
        (word_train, word_held), (char_train, char_held) = blocks
        return _join(word_train, char_train), _join(word_held, char_held), weights


class FrozenFeaturizer:
    """A fitted ``Featurizer`` reduced to its vocabularies and IDF weights, with the two
    n-gram analyzers written out (as scikit-learn's): serving a built or cached index then
    never imports scikit-learn, whose import alone keeps ~70 MB resident. Equal to the
    fitted featurizer (tested)."""

    def __init__(self, fitted: Featurizer) -> None:
        self.word_terms = {term: int(col) for term, col in fitted.word.vocabulary_.items()}
        self.word_idf = fitted.word.idf_.astype(np.float32)
        self.char_terms = {term: int(col) for term, col in fitted.char.vocabulary_.items()}
        self.char_idf = fitted.char.idf_.astype(np.float32)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        word = _tfidf_rows([_word_ngrams(t) for t in texts], self.word_terms, self.word_idf)
        char = _tfidf_rows([_char_wb_ngrams(t) for t in texts], self.char_terms, self.char_idf)
        return _join(word, char)


def unigrams(text: str) -> list[str]:
    """The word analyzer's single words (each CJK character one word) of normalised text."""
    return _WORD_RE.findall(_spaced_cjk(text))


def _word_ngrams(text: str) -> list[str]:
    """The word analyzer of ``_WORD_NGRAMS``: words, then adjacent pairs."""
    words = unigrams(text)
    return words + [" ".join(pair) for pair in zip(words, words[1:])]


def _char_wb_ngrams(text: str) -> list[str]:
    """The ``char_wb`` analyzer of ``_CHAR_NGRAMS``: 2- to 5-grams inside space-padded words,
    a word shorter than n counted once."""
    grams: list[str] = []
    low, high = _CHAR_NGRAMS["ngram_range"]  # type: ignore[misc]
    for word in _WHITE_SPACES_RE.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i:i + n] for i in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:
                break
    return grams


def _tfidf_rows(grams: list[list[str]], terms: dict[str, int], idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear TF x IDF rows of unit length over the known terms."""
    indptr, cols, counts = [0], [], []
    for row in grams:
        found = Counter(terms[g] for g in row if g in terms)
        cols.extend(found)
        counts.extend(found.values())
        indptr.append(len(cols))
    data = (1.0 + np.log(np.asarray(counts, dtype=np.float32))) * idf[np.asarray(cols, dtype=np.int64)]
    rows = sparse.csr_matrix((data.astype(np.float32), np.asarray(cols, dtype=np.int32), np.asarray(indptr)),
                             shape=(len(grams), len(terms)))
    return _unit_rows(rows)


def _join(word: sparse.spmatrix, char: sparse.spmatrix) -> sparse.csr_matrix:
    if word.shape[0] == 1:  # one question: the general path's overhead is most of its cost
        return _join_row(sparse.csr_matrix(word), sparse.csr_matrix(char))
    # each block is unit length; so is the concatenation, once normalised again
    return _unit_rows(sparse.hstack([word, char], format="csr"))


def _unit_rows(rows: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each row scaled to unit length (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1), dtype=np.float32).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ rows, dtype=np.float32)


def _join_row(word: sparse.csr_matrix, char: sparse.csr_matrix) -> sparse.csr_matrix:
    """``_join`` for a single row, with plain array operations."""
    data = np.concatenate([word.data, char.data]).astype(np.float32, copy=False)
    indices = np.concatenate([word.indices, char.indices + word.shape[1]]).astype(np.int32, copy=False)
    norm = float(np.sqrt(np.dot(data, data)))
    if norm > 0:
        data = data / np.float32(norm)
    return sparse.csr_matrix((data, indices, np.array([0, len(data)], dtype=np.int32)),
                             shape=(1, word.shape[1] + char.shape[1]))
