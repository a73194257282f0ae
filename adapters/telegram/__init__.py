"""Telegram adapter (python-telegram-bot)."""

from typing import Any

__all__ = ["TelegramAdapter"]


def __getattr__(name: str) -> Any:  # importing the entry point must not import python-telegram-bot
    if name == "TelegramAdapter":
        from adapters.telegram.adapter import TelegramAdapter

        return TelegramAdapter
    raise AttributeError(name)
