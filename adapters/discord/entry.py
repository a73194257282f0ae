"""The ``walletdesk.adapters`` entry point: whether Discord is configured, answered
without importing discord.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.wiring.platform import LazyAdapterFactory

if TYPE_CHECKING:
    from core.config import Settings
    from core.wiring.checks import CheckResult

__all__ = ["configured", "doctor_checks", "factory"]


def configured(settings: Settings) -> bool:
    token = settings.discord_bot_token
    return bool(token and token.get_secret_value())


async def doctor_checks(settings: Settings, chats: Sequence[str]) -> list[CheckResult]:
    """Discord's lines of ``walletdesk doctor`` (plain HTTP, no discord.py)."""
    from adapters.discord.doctor import checks

    return await checks(settings, chats)


factory = LazyAdapterFactory("discord", "adapters.discord.adapter:DiscordAdapter", configured,
                             library="discord.py", setting="DISCORD_BOT_TOKEN", imports=("discord",))


from adapters.discord.cli import cli  # noqa: E402  (walletdesk discord ...; imports no platform library)
