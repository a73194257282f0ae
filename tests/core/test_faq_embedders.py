"""The bundled sentence vectors: read from the wordllama wheel, never downloaded,
and given no say over Chinese questions."""

from __future__ import annotations

import numpy as np
import pytest

from core.faq.embedders import configured_embedder, embed
from core.faq_engine import FaqEngine
from core.lang import normalize
from tests.core.test_faq_engine import _entries


def test_vectors_are_unit_length_and_put_paraphrases_close() -> None:
    vecs = embed("wordllama", ["my transfer has not arrived", "the payment I sent is still missing",
                               "what is the weather like in paris", ""])
    assert vecs.shape == (4, 256) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs[:3], axis=1), 1.0, atol=1e-5)
    assert not vecs[3].any()  # no tokens, no direction
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2]) + 0.1
    again = embed("wordllama", ["my transfer has not arrived"])
    assert np.array_equal(again[0], vecs[0])


def test_choice_of_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WALLETDESK_FAQ_EMBEDDER", raising=False)
    assert configured_embedder() == "wordllama"
    monkeypatch.setenv("WALLETDESK_FAQ_EMBEDDER", "None")
    assert configured_embedder() is None
    monkeypatch.setenv("WALLETDESK_FAQ_EMBEDDER", "e5")
    assert configured_embedder() == "e5"
    assert configured_embedder("none") is None  # an explicit choice wins over the environment
    with pytest.raises(ValueError, match="unknown FAQ embedder 'glove'"):
        configured_embedder("glove")


def test_english_vectors_do_not_move_chinese_scores() -> None:
    with_vectors = FaqEngine(_entries(), embedder="wordllama")
    tfidf_only = FaqEngine(_entries(), embedder="none")
    chinese, english = normalize("转账还没到账"), normalize("my transfer still has not arrived")
    zh_a, zh_b = with_vectors._model.scores([chinese])[0], tfidf_only._model.scores([chinese])[0]
    assert np.allclose(zh_a.decision, zh_b.decision)
    en_a, en_b = with_vectors._model.scores([english])[0], tfidf_only._model.scores([english])[0]
    assert not np.allclose(en_a.decision, en_b.decision)


def test_released_vector_pages_read_back_the_same() -> None:
    from core.faq.embedders import release_token_vectors

    texts = ["my transfer has not arrived", "how do I back up my wallet"]
    before = embed("wordllama", texts)
    release_token_vectors("wordllama")  # pages leave the resident set, the file stays mapped
    assert np.array_equal(embed("wordllama", texts), before)


def test_confident_answers_to_chatter_are_not_counted_as_wrong_labels(caplog: pytest.LogCaptureFixture) -> None:
    # A small FAQ beside the built-in chatter: chatter matched to an entry is the model's
    # mistake, not a mislabelled example, so nothing may be left out as mislabelled.
    with caplog.at_level("WARNING", logger="core.faq.build"):
        FaqEngine(_entries(), embedder="wordllama")
    assert not [r for r in caplog.records if "mislabelled" in r.getMessage()]
