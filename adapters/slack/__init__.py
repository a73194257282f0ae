"""Slack adapter (slack-bolt / slack-sdk): the staff desk and Slack community channels."""

from adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
