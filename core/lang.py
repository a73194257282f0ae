"""Language detection and text normalisation for the bilingual (en/zh) FAQ.

``detect_lang`` decides which language to answer in; ``normalize`` maps the many
spellings of one question onto one form before feature extraction: Unicode NFKC
(full-width letters and digits become ASCII), lower case, and Traditional
Chinese converted to Simplified so that one set of zh examples serves both.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["detect_lang", "normalize", "has_cjk", "cjk_share", "to_simplified"]

_LOGGER = logging.getLogger(__name__)

# CJK Unified Ideographs, extension A, and compatibility ideographs: the
# characters that make a text Chinese (kana/hangul are deliberately not counted).
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Letters of any script; digits and punctuation say nothing about the language.
_LATIN_WORD_RE = re.compile(r"[a-zA-Z]+")

# A mixed message such as "我的USDT转账 pending 了" is Chinese to its writer:
# one CJK character carries roughly as much meaning as a short English word, so
# we compare CJK characters with Latin *words* and answer in zh once Chinese
# makes up a meaningful share.
_ZH_SHARE = 0.3


def has_cjk(text: str) -> bool:
    """True when ``text`` contains at least one CJK ideograph."""
    return _CJK_RE.search(text) is not None


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among CJK ideographs plus Latin words (0 for none)."""
    n_cjk = len(_CJK_RE.findall(text))
    n_words = len(_LATIN_WORD_RE.findall(text))
    total = n_cjk + n_words
    return n_cjk / total if total else 0.0


def detect_lang(text: str) -> str:
    """Return ``"zh"`` when the text is (meaningfully) Chinese, else ``"en"``."""
    return "zh" if cjk_share(text) >= _ZH_SHARE else "en"


@lru_cache(maxsize=1)
def _converter() -> Any:
    """The Traditional→Simplified converter, built once.

    Only the two dictionaries t2s uses are loaded: the packaged default loads every
    conversion OpenCC knows (25 MB resident against 1.2 MB, with the same output).
    """
    # imported lazily: English-only use never pays for it
    import opencc_purepy
    from opencc_purepy import OpenCC
    from opencc_purepy.dictionary_lib import DictionaryMaxlength

    dicts = Path(opencc_purepy.__file__).parent / "dicts"
    t2s_only = DictionaryMaxlength().with_custom_dict_files(
        overrides={"ts_characters": dicts / "TSCharacters.txt", "ts_phrases": dicts / "TSPhrases.txt"})
    return OpenCC("t2s", dictionary=t2s_only)


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters to Simplified; other text is unchanged."""
    if not has_cjk(text):
        return text
    try:
        return str(_converter().t2s(text))
    except Exception:  # pragma: no cover - a broken dictionary must not break answering
        _LOGGER.warning("Traditional→Simplified conversion failed; using the text as is", exc_info=True)
        return text


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """NFKC, lower case, Traditional→Simplified, collapsed whitespace."""
    out = unicodedata.normalize("NFKC", text).lower()
    out = to_simplified(out)
    return " ".join(out.split())
