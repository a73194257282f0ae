"""Tests for core.lang: language detection and normalisation."""

from __future__ import annotations

import pytest

from core.lang import cjk_share, detect_lang, has_cjk, normalize, to_simplified


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
