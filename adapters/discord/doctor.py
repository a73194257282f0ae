"""Discord's part of ``walletdesk doctor`` over the REST API with plain HTTP (no
discord.py): the token (``/users/@me``), the message-content intent (the
application's flags) and the bot's permissions in each guild it is in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from adapters.discord.setup import MESSAGE_CONTENT_FLAGS, PERMISSIONS, missing_permissions
from core.wiring.checks import CheckResult

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["api_base", "checks"]

INVITE_FIX = "run `walletdesk discord invite-url` and open the link to grant them, or add them to the bot's role"


def api_base(settings: "Settings") -> str:
    base = (settings.discord_api_base_url or "https://discord.com").strip().rstrip("/")
    return base if re.search(r"/api/v\d+$", base) else f"{base}/api/v10"


async def _get(client: httpx.AsyncClient, path: str) -> tuple[int, Any]:
    resp = await client.get(path)
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, None


async def checks(settings: "Settings", chats: Sequence[str]) -> list[CheckResult]:
    assert settings.discord_bot_token is not None
    headers = {"Authorization": f"Bot {settings.discord_bot_token.get_secret_value()}"}
    async with httpx.AsyncClient(base_url=api_base(settings), headers=headers, timeout=10.0) as client:
        try:
            status, me = await _get(client, "/users/@me")
        except httpx.HTTPError as exc:
            return [CheckResult("discord token", False, f"cannot reach Discord: {type(exc).__name__}",
                                "check the network (or DISCORD_API_BASE_URL)")]
        if status != 200:
            return [CheckResult("discord token", False, f"/users/@me answered HTTP {status}",
                                "reset the token (Developer Portal > your app > Bot > Reset Token) and put it "
                                "in DISCORD_BOT_TOKEN")]
        results = [CheckResult("discord token", True, f"bot {me.get('username')} ({me.get('id')})")]
        status, app = await _get(client, "/applications/@me")
        if status != 200:
            results.append(CheckResult("discord message content intent", False,
                                       f"/applications/@me answered HTTP {status}", "retry; see Discord's status"))
        elif not int(app.get("flags") or 0) & MESSAGE_CONTENT_FLAGS:
            results.append(CheckResult("discord message content intent", False, "not enabled: the bot would "
                                       "receive messages without their text",
                                       "Developer Portal > your app > Bot > Privileged Gateway Intents: turn on "
                                       "Message Content Intent"))
        else:
            results.append(CheckResult("discord message content intent", True, "enabled"))
        status, guilds = await _get(client, "/users/@me/guilds")
        if status != 200:
            results.append(CheckResult("discord guilds", False, f"/users/@me/guilds answered HTTP {status}",
                                       "retry; see Discord's status"))
            return results
        if not guilds:
            results.append(CheckResult("discord guilds", False, "the bot is in no server", INVITE_FIX))
        for guild in guilds:
            missing = missing_permissions(int(guild.get("permissions") or 0))
            name = f"discord server {guild.get('name')}"
            if missing:
                why = "; ".join(f"{m} ({PERMISSIONS[m][1]})" for m in missing)
                results.append(CheckResult(name, False, f"missing {why}", INVITE_FIX))
            else:
                results.append(CheckResult(name, True, "the bot has the permissions it needs"))
        return results
