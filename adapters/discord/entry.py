"""The ``walletdesk.adapters`` entry point: Discord's parts, declared without
importing discord.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.contract import AdapterSpec

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["configured", "factory"]


def configured(settings: Settings) -> bool:
    token = settings.discord_bot_token
    return bool(token and token.get_secret_value())


factory = AdapterSpec(
    "discord", "adapters.discord.adapter:DiscordAdapter", configured, display_name="Discord",
    library="discord.py", setting="DISCORD_BOT_TOKEN", imports=("discord",),
    settings="adapters.discord.settings:DiscordSettings", strings="adapters.discord.strings:CATALOG",
    cli="adapters.discord.cli:cli", doctor="adapters.discord.doctor:checks", loggers=("discord",),
)
