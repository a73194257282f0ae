"""``walletdesk discord invite-url``: the OAuth2 link that adds the bot with exactly
the permissions it uses (adapters/discord/setup.py)."""

from __future__ import annotations

import base64
import binascii
import sys
from typing import Optional

import typer

from adapters.discord.setup import invite_url as build_url
from core.config import load_settings

__all__ = ["cli"]

cli = typer.Typer(no_args_is_help=True, help="Discord app setup.")


def _client_id_from_token(token: str) -> str | None:
    """A bot token's first part is the bot's user id (= the application id), base64."""
    head = token.split(".", 1)[0]
    try:
        value = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return value if value.isdigit() else None


@cli.command("invite-url")
def invite_url(client_id: Optional[str] = typer.Option(None, "--client-id",
                                                       help="Application ID (default: read from DISCORD_BOT_TOKEN).")
               ) -> None:
    """Print the invite link (scopes bot and applications.commands, the permissions the bot needs)."""
    if client_id is None:
        token = load_settings().discord_bot_token
        client_id = _client_id_from_token(token.get_secret_value()) if token else None
    if not client_id or not client_id.isdigit():
        sys.stderr.write("error: give --client-id (Developer Portal > your app > General Information > "
                         "Application ID) or set DISCORD_BOT_TOKEN\n")
        raise typer.Exit(2)
    sys.stdout.write(build_url(client_id) + "\n")
