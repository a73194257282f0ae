"""The ``walletdesk.adapters`` entry point: Telegram's parts, declared without
importing python-telegram-bot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.contract import AdapterSpec

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["configured", "factory"]


def configured(settings: Settings) -> bool:
    return settings.telegram_bot_token is not None


factory = AdapterSpec(
    "telegram", "adapters.telegram.adapter:TelegramAdapter", configured, display_name="Telegram",
    library="python-telegram-bot", setting="TELEGRAM_BOT_TOKEN", imports=("telegram",),
    settings="adapters.telegram.settings:TelegramSettings", roles="adapters.telegram.settings:roles",
    strings="adapters.telegram.strings:CATALOG", doctor="adapters.telegram.doctor:checks",
    loggers=("telegram",),
)
