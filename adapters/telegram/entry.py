"""The ``walletdesk.adapters`` entry point: whether Telegram is configured, answered
without importing python-telegram-bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.wiring.platform import LazyAdapterFactory

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["configured", "factory"]


def configured(settings: Settings) -> bool:
    return settings.telegram_bot_token is not None


factory = LazyAdapterFactory("telegram", "adapters.telegram.adapter:TelegramAdapter", configured)
