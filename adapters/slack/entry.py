"""The ``walletdesk.adapters`` entry point: Slack's parts, declared without
importing slack-bolt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.contract import AdapterSpec

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["configured", "factory"]


def configured(settings: Settings) -> bool:
    """A bot token is set. Without a signing secret or an app token the adapter still
    counts as configured, so its start says which one is missing instead of the
    service falling back to the console in silence."""
    return settings.slack_bot_token is not None


factory = AdapterSpec(
    "slack", "adapters.slack.adapter:SlackAdapter", configured, display_name="Slack",
    library="slack-bolt", setting="SLACK_BOT_TOKEN", imports=("slack_bolt", "slack_sdk"),
    settings="adapters.slack.settings:SlackSettings", roles="adapters.slack.settings:roles",
    strings="adapters.slack.strings:CATALOG", cli="adapters.slack.cli:cli", doctor="adapters.slack.doctor:checks",
    loggers=("slack_bolt", "slack_sdk"),
)
