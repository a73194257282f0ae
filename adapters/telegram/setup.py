"""The Telegram command menu the adapter registers on start (setMyCommands), English as
the default and Chinese for ``language_code`` zh; descriptions from i18n."""

from __future__ import annotations

from core.i18n import t

__all__ = ["COMMANDS", "LANGUAGES", "menu"]

COMMANDS = ("help", "faq", "human", "ticket", "close", "verify", "link", "escalate")
LANGUAGES = (None, "zh")  # None: the default menu, in English


def menu(language_code: str | None) -> list[tuple[str, str]]:
    lang = language_code or "en"
    return [(name, t(f"telegram.cmd.{name}", lang)) for name in COMMANDS]
