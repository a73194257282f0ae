"""Slack adapter (slack-bolt / slack-sdk): the staff desk and Slack community channels."""

from typing import Any

__all__ = ["SlackAdapter"]


def __getattr__(name: str) -> Any:  # importing the entry point must not import slack-bolt
    if name == "SlackAdapter":
        from adapters.slack.adapter import SlackAdapter

        return SlackAdapter
    raise AttributeError(name)
