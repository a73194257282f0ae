"""Slack's part of ``walletdesk doctor`` over the Web API with plain HTTP (no
slack-sdk): the token (``auth.test``), the scopes granted (its ``x-oauth-scopes``
header) and the staff channel (exists, the bot is in it, it is private)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from adapters.slack.setup import BOT_SCOPES
from core.wiring.checks import CheckResult

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["checks"]

SCOPE_FIX = ("add them under OAuth & Permissions > Bot Token Scopes (or create the app from "
             "`walletdesk slack manifest`), then reinstall the app to the workspace")


async def _call(client: httpx.AsyncClient, method: str, **params: Any) -> tuple[dict[str, Any], httpx.Response]:
    resp = await client.post(method, data=params)
    try:
        body = resp.json()
    except ValueError:
        body = {"ok": False, "error": f"HTTP {resp.status_code}"}
    return body, resp


async def checks(settings: "Settings", chats: Sequence[str]) -> list[CheckResult]:
    assert settings.slack_bot_token is not None
    base = (settings.slack_api_base_url or "https://slack.com/api/").rstrip("/") + "/"
    headers = {"Authorization": f"Bearer {settings.slack_bot_token.get_secret_value()}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10.0) as client:
        try:
            auth, resp = await _call(client, "auth.test")
        except httpx.HTTPError as exc:
            return [CheckResult("slack token", False, f"cannot reach Slack: {type(exc).__name__}",
                                "check the network (or SLACK_API_BASE_URL)")]
        if not auth.get("ok"):
            return [CheckResult("slack token", False, f"auth.test refused: {auth.get('error')}",
                                "copy the Bot User OAuth Token (xoxb-...) from OAuth & Permissions into "
                                "SLACK_BOT_TOKEN")]
        results = [CheckResult("slack token", True, f"{auth.get('user')} in {auth.get('team')}")]
        granted = {s.strip() for s in resp.headers.get("x-oauth-scopes", "").split(",") if s.strip()}
        missing = [s for s in BOT_SCOPES if s not in granted]
        if missing:
            results.append(CheckResult("slack scopes", False, "missing " + ", ".join(
                f"{s} (for {', '.join(BOT_SCOPES[s])})" for s in missing), SCOPE_FIX))
        else:
            results.append(CheckResult("slack scopes", True, f"all {len(BOT_SCOPES)} granted"))
        results.append(await _staff_channel(client, settings.slack_staff_channel, str(auth.get("user") or "the bot")))
        return results


async def _staff_channel(client: httpx.AsyncClient, channel: str | None, bot: str) -> CheckResult:
    name = "slack staff channel"
    if not channel:
        return CheckResult(name, False, "SLACK_STAFF_CHANNEL is not set: escalations have nowhere to go",
                           "create a private channel, /invite the bot, and put its ID (C...) in SLACK_STAFF_CHANNEL")
    info, _ = await _call(client, "conversations.info", channel=channel)
    if not info.get("ok"):
        # a private channel the bot is not in answers channel_not_found too
        return CheckResult(name, False, f"{channel}: {info.get('error')}",
                           f"check SLACK_STAFF_CHANNEL (the channel ID, C...) and /invite @{bot} there")
    ch = info["channel"]
    label = f"{channel} (#{ch.get('name', '?')})"
    if not ch.get("is_member"):
        return CheckResult(name, False, f"{label}: the bot is not in it", f"type /invite @{bot} in the channel")
    if not ch.get("is_private"):
        return CheckResult(name, False, f"{label} is public: anyone in the workspace can read the tickets",
                           "convert it to a private channel (channel settings > Change to a private channel)")
    return CheckResult(name, True, f"{label}: private, the bot is in it")
