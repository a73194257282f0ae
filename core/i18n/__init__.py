"""Every user-facing text, in English and Chinese.

``t(key, lang, **params)`` formats a message; unknown languages fall back to
English, and a test checks that every key has both versions with the same
placeholders.
"""

from __future__ import annotations

from core.i18n.catalog import CATALOG

__all__ = ["CATALOG", "t", "pick_lang"]

SUPPORTED = ("en", "zh")


def pick_lang(*candidates: str | None) -> str:
    """First supported language among candidates (``zh-CN``, ``zh_TW`` count as zh)."""
    for cand in candidates:
        if not cand:
            continue
        base = cand.replace("_", "-").split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return "en"


def t(key: str, lang: str = "en", /, **params: object) -> str:
    entry = CATALOG[key]
    template = entry.get(lang) or entry["en"]
    return template.format(**params) if params else template
