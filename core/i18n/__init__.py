"""Every user-facing text, in English and Chinese.

``t(key, lang, **params)`` formats a message; unknown languages fall back to
English, and a test checks that every key has both versions with the same
placeholders.
"""

from __future__ import annotations

import importlib
import pkgutil

from core.contract import strings as adapter_strings
from core.i18n import catalog as _base


def _merged_catalog() -> dict[str, dict[str, str]]:
    """The base catalogue plus every ``core/i18n/<area>.py`` module's ``CATALOG``, plus
    every installed adapter's strings (its spec's ``strings``, keys ``<adapter>.*``).

    One module per area keeps the catalogue one home without one huge file; a key
    defined twice is a bug, so it fails at import.
    """
    merged = dict(_base.CATALOG)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "catalog":
            continue
        part = importlib.import_module(f"{__name__}.{info.name}").CATALOG
        clash = merged.keys() & part.keys()
        if clash:
            raise RuntimeError(f"i18n keys defined twice: {sorted(clash)}")
        merged.update(part)
    for name, contributed in adapter_strings():
        foreign = sorted(k for k in contributed if not k.startswith(f"{name}."))
        if foreign:
            raise RuntimeError(f"adapter {name}: i18n keys outside its own {name}.* names: {foreign}")
        clash = merged.keys() & contributed.keys()
        if clash:
            raise RuntimeError(f"i18n keys defined twice: {sorted(clash)}")
        merged.update({key: dict(versions) for key, versions in contributed.items()})
    return merged


CATALOG: dict[str, dict[str, str]] = _merged_catalog()

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
