"""The ``walletdesk.adapters`` entry point: whether Slack is configured, answered
without importing slack-bolt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.wiring.platform import LazyAdapterFactory

if TYPE_CHECKING:
    from core.config import Settings
    from core.wiring.checks import CheckResult

__all__ = ["configured", "doctor_checks", "factory"]


def configured(settings: Settings) -> bool:
    """A bot token is set. Without a signing secret or an app token the adapter still
    counts as configured, so its start says which one is missing instead of the
    service falling back to the console in silence."""
    return settings.slack_bot_token is not None


async def doctor_checks(settings: Settings, chats: Sequence[str]) -> list[CheckResult]:
    """Slack's lines of ``walletdesk doctor`` (plain HTTP, no slack-sdk)."""
    from adapters.slack.doctor import checks

    return await checks(settings, chats)


factory = LazyAdapterFactory("slack", "adapters.slack.adapter:SlackAdapter", configured,
                             library="slack-bolt", setting="SLACK_BOT_TOKEN", imports=("slack_bolt", "slack_sdk"))


from adapters.slack.cli import cli  # noqa: E402  (walletdesk slack ...; imports no platform library)
