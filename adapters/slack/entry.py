"""The ``walletdesk.adapters`` entry point: whether Slack is configured, answered
without importing slack-bolt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.wiring.platform import LazyAdapterFactory

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["configured", "factory"]


def configured(settings: Settings) -> bool:
    return settings.slack_bot_token is not None and (
        settings.slack_signing_secret is not None or settings.slack_app_token is not None)


factory = LazyAdapterFactory("slack", "adapters.slack.adapter:SlackAdapter", configured)
