"""Tests for core.lang: language detection and normalisation."""

from __future__ import annotations

import pytest

from core.lang import _converter, cjk_share, detect_lang, has_cjk, normalize, to_simplified


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("My transfer has not arrived yet", "en"),
        ("我的转账还没有到账", "zh"),
        ("我的轉賬還沒有到賬，怎麼辦？", "zh"),  # Traditional
        ("我的USDT转账一直pending怎么办", "zh"),  # mixed, mostly Chinese
        ("my wallet shows 0 balance after update, 谢谢", "en"),  # mostly English
        ("12345 !!!", "en"),
        ("", "en"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_cjk_share_counts_chinese_chars_against_latin_words() -> None:
    assert cjk_share("hello world") == 0.0
    assert cjk_share("你好") == 1.0
    assert 0.0 < cjk_share("hello 你好") < 1.0
    assert has_cjk("abc 钱包") and not has_cjk("abc")


def test_normalize_nfkc_lowercase_and_whitespace() -> None:
    assert normalize("  ＨＥＬＬＯ　Ｗｏｒｌｄ  ") == "hello world"
    assert normalize("Gas\tFEES\n") == "gas fees"


def test_normalize_traditional_to_simplified() -> None:
    assert normalize("我的錢包轉賬沒有到賬") == "我的钱包转账没有到账"
    assert normalize("忘記密碼") == normalize("忘记密码")


def test_to_simplified_leaves_non_chinese_untouched() -> None:
    assert to_simplified("Recovery Phrase") == "Recovery Phrase"


def test_to_simplified_matches_the_full_opencc_converter() -> None:
    """The converter loads only t2s's dictionaries; it must convert exactly as the
    library's default one, phrases included (乾隆 keeps 乾, 乾燥 becomes 干燥)."""
    from pathlib import Path

    import opencc_purepy
    from opencc_purepy import OpenCC

    full = OpenCC("t2s")
    dicts = Path(opencc_purepy.__file__).parent / "dicts"
    keys = [line.split()[0] for name in ("TSPhrases.txt", "TSCharacters.txt")
            for line in (dicts / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    samples = keys + ["我的錢包轉賬沒有到賬，乾隆年間的乾燥天氣", "助記詞被盜了怎麼辦？"]
    assert len(keys) > 1000
    slim = _converter()
    mismatched = [t for t in samples if slim.t2s(t) != full.t2s(t)]
    assert mismatched == []
    assert to_simplified("乾燥") == "干燥"
