"""Discord adapter (discord.py): gateway messages, slash commands and the
moderators' "Escalate to staff" message command."""

from typing import Any

__all__ = ["DiscordAdapter"]


def __getattr__(name: str) -> Any:  # importing the entry point must not import discord.py
    if name == "DiscordAdapter":
        from adapters.discord.adapter import DiscordAdapter

        return DiscordAdapter
    raise AttributeError(name)
