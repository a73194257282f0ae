"""The ``walletdesk.adapters`` entry point: whether Discord is configured, answered
without importing discord.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.wiring.platform import LazyAdapterFactory

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["configured", "factory"]


def configured(settings: Settings) -> bool:
    token = settings.discord_bot_token
    return bool(token and token.get_secret_value())


factory = LazyAdapterFactory("discord", "adapters.discord.adapter:DiscordAdapter", configured)
