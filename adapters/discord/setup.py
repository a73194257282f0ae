"""What the Discord bot needs, in one place: the gateway intents the adapter connects
with, the guild permissions its calls use, and the OAuth2 scopes of its invite link.
``walletdesk doctor`` checks against these and ``walletdesk discord invite-url`` asks
for exactly these. No discord.py here (the entry point imports this module)."""

from __future__ import annotations

from urllib.parse import urlencode

__all__ = ["INTENTS", "MESSAGE_CONTENT_FLAGS", "PERMISSIONS", "SCOPES", "invite_url", "missing_permissions",
           "permissions_integer"]

# discord.Intents attribute names the adapter sets (adapters/discord/adapter.py)
INTENTS = ("guilds", "guild_messages", "dm_messages", "message_content")

# permission name -> bit (https://discord.com/developers/docs/topics/permissions), and why
PERMISSIONS: dict[str, tuple[int, str]] = {
    "VIEW_CHANNEL": (1 << 10, "see the channels it answers in"),
    "SEND_MESSAGES": (1 << 11, "answer in channels"),
    "MANAGE_MESSAGES": (1 << 13, "delete messages that leak a recovery phrase or key"),
    "READ_MESSAGE_HISTORY": (1 << 16, "reply to the message it answers"),
    "SEND_MESSAGES_IN_THREADS": (1 << 38, "answer in threads"),
}

# application flags meaning the privileged message-content intent is enabled
MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19)  # GATEWAY_MESSAGE_CONTENT, ..._LIMITED

SCOPES = ("bot", "applications.commands")


def permissions_integer() -> int:
    bits = 0
    for bit, _why in PERMISSIONS.values():
        bits |= bit
    return bits


def missing_permissions(granted: int) -> list[str]:
    """Names of the needed permissions ``granted`` lacks (ADMINISTRATOR grants all)."""
    if granted & (1 << 3):
        return []
    return [name for name, (bit, _why) in PERMISSIONS.items() if not granted & bit]


def invite_url(client_id: int | str) -> str:
    query = urlencode({"client_id": str(client_id), "permissions": str(permissions_integer()),
                       "scope": " ".join(SCOPES), "integration_type": "0"})
    return f"https://discord.com/oauth2/authorize?{query}"
