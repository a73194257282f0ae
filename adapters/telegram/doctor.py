"""Telegram's part of ``walletdesk doctor``, over the Bot API with plain HTTP (no
python-telegram-bot): the token (getMe), the webhook (getWebhookInfo) and the bot's
admin rights in the groups it serves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from core.wiring.checks import CheckResult

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["WEBHOOK_PATH", "checks"]

WEBHOOK_PATH = "/telegram/webhook"  # the adapter serves its webhook here
# what the bot needs as a group admin: deleting leaked secrets (the shield)
ADMIN_RIGHTS = ("can_delete_messages",)


class _Api:
    def __init__(self, client: httpx.AsyncClient, settings: "Settings") -> None:
        assert settings.telegram_bot_token is not None
        base = (settings.telegram_api_base_url or "https://api.telegram.org").rstrip("/")
        self.url = f"{base}/bot{settings.telegram_bot_token.get_secret_value()}"
        self.client = client

    async def call(self, method: str, **params: Any) -> tuple[bool, Any]:
        """(ok, result or description)."""
        resp = await self.client.post(f"{self.url}/{method}", json=params)
        try:
            body = resp.json()
        except ValueError:
            return False, f"HTTP {resp.status_code}"
        if body.get("ok"):
            return True, body.get("result")
        return False, f"{body.get('error_code', resp.status_code)} {body.get('description', '')}".strip()


async def checks(settings: "Settings", chats: Sequence[str]) -> list[CheckResult]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        api = _Api(client, settings)
        try:
            ok, me = await api.call("getMe")
        except httpx.HTTPError as exc:
            return [CheckResult("telegram token", False, f"cannot reach the Bot API: {type(exc).__name__}",
                                "check the network (or TELEGRAM_API_BASE_URL)")]
        if not ok:
            return [CheckResult("telegram token", False, f"getMe refused: {me}",
                                "copy the token from @BotFather (/mybots > API Token) into TELEGRAM_BOT_TOKEN")]
        privacy = "reads all group messages" if me.get("can_read_all_group_messages") else \
            "privacy mode on: sees group messages only where it is an admin"
        results = [CheckResult("telegram token", True, f"@{me.get('username')} ({privacy})")]
        results.append(await _webhook(api, settings))
        for chat in chats:
            if chat.startswith("-"):  # groups and supergroups; private chats need no rights
                results.append(await _group(api, int(chat), int(me["id"])))
        return results


async def _webhook(api: _Api, settings: "Settings") -> CheckResult:
    ok, info = await api.call("getWebhookInfo")
    if not ok:
        return CheckResult("telegram webhook", False, f"getWebhookInfo refused: {info}", "retry; see Telegram's status")
    current = info.get("url") or ""
    if not (settings.public_url and settings.telegram_webhook_secret):
        detail = "long polling" + (f" (the webhook {current} is removed when polling starts)" if current else "")
        return CheckResult("telegram webhook", True, detail)
    expected = settings.public_url.rstrip("/") + WEBHOOK_PATH
    if current != expected:
        return CheckResult("telegram webhook", False, f"set to {current or 'nothing'}, expected {expected}",
                           "start the service (`walletdesk run` registers the webhook on start)")
    if info.get("last_error_message"):
        return CheckResult("telegram webhook", False, f"{expected}: Telegram's last delivery failed: "
                           f"{info['last_error_message']} ({info.get('pending_update_count', 0)} updates waiting)",
                           "make WALLETDESK_PUBLIC_URL reachable from the internet over HTTPS with a valid "
                           "certificate, and the web process running")
    return CheckResult("telegram webhook", True, f"{expected}, {info.get('pending_update_count', 0)} updates waiting")


async def _group(api: _Api, chat_id: int, bot_id: int) -> CheckResult:
    name = f"telegram group {chat_id}"
    ok, chat = await api.call("getChat", chat_id=chat_id)
    if not ok:
        return CheckResult(name, False, f"not reachable: {chat}",
                           "add the bot back to the group (or ignore this if it left on purpose)")
    name = f"telegram group {chat.get('title') or chat_id}"
    ok, member = await api.call("getChatMember", chat_id=chat_id, user_id=bot_id)
    if not ok:
        return CheckResult(name, False, f"getChatMember refused: {member}", "add the bot to the group")
    missing = [r for r in ADMIN_RIGHTS if not member.get(r)] if member.get("status") == "administrator" else None
    if missing is None:
        return CheckResult(name, False, f"the bot is {member.get('status')}, not an admin",
                           "make the bot an administrator with 'Delete messages' (group settings > Administrators)")
    if missing:
        return CheckResult(name, False, f"admin without {', '.join(missing)}",
                           "give the bot the 'Delete messages' right (group settings > Administrators)")
    return CheckResult(name, True, "admin with the rights it needs")
