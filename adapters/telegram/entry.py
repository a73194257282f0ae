"""The ``walletdesk.adapters`` entry point: whether Telegram is configured, answered
without importing python-telegram-bot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.wiring.platform import LazyAdapterFactory

if TYPE_CHECKING:
    from core.config import Settings
    from core.wiring.checks import CheckResult

__all__ = ["configured", "doctor_checks", "factory"]


def configured(settings: Settings) -> bool:
    return settings.telegram_bot_token is not None


async def doctor_checks(settings: Settings, chats: Sequence[str]) -> list[CheckResult]:
    """Telegram's lines of ``walletdesk doctor`` (plain HTTP, no python-telegram-bot)."""
    from adapters.telegram.doctor import checks

    return await checks(settings, chats)


factory = LazyAdapterFactory("telegram", "adapters.telegram.adapter:TelegramAdapter", configured,
                             library="python-telegram-bot", setting="TELEGRAM_BOT_TOKEN", imports=("telegram",))
