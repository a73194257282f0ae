"""Discord adapter (discord.py): gateway messages, slash commands and the
moderators' "Escalate to staff" message command."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
