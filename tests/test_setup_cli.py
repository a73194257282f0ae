"""Platform setup generated from the adapters' own lists: the Slack manifest, the
Discord invite link, and the Telegram command menu registered on start."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from typer.testing import CliRunner

from adapters.discord.setup import PERMISSIONS
from adapters.slack.setup import BOT_SCOPES, FAQ_COMMAND, STAFF_COMMANDS
from adapters.telegram.setup import COMMANDS
from core.wiring.cli import app
from tests.adapters.telegram.conftest import running_rig, tg  # noqa: F401  (the fixture)
from tests.simulators.discord_sim import Perm
from tests.simulators.slack_sim import DEFAULT_SCOPES
from tests.simulators.telegram_sim import TelegramSim


def _run(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> tuple[int, str]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_http_manifest_has_the_commands_events_and_urls_the_adapter_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(monkeypatch, "slack", "manifest", WALLETDESK_PUBLIC_URL="https://desk.example.com/")
    assert code == 0, out
    doc = yaml.safe_load(out)
    commands = {c["command"] for c in doc["features"]["slash_commands"]}
    assert commands == {*STAFF_COMMANDS, FAQ_COMMAND} and {"/ticket", "/note", "/faq", "/snippet", "/shift"} <= commands
    assert {c["url"] for c in doc["features"]["slash_commands"]} == {"https://desk.example.com/slack/commands"}
    settings = doc["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == "https://desk.example.com/slack/events"
    assert settings["interactivity"] == {"is_enabled": True, "request_url": "https://desk.example.com/slack/interactive"}
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.channels", "message.groups", "message.im", "app_mention", "member_joined_channel",
        "member_left_channel", "subteam_members_changed", "app_home_opened"}
    assert doc["features"]["app_home"]["home_tab_enabled"] is True  # the queue at a glance for staff
    assert {"files:write", "files:read"} <= set(doc["oauth_config"]["scopes"]["bot"])  # transcripts go as files
    assert set(doc["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES) == set(DEFAULT_SCOPES)


def test_socket_mode_manifest_has_no_request_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(monkeypatch, "slack", "manifest", "--json", SLACK_APP_TOKEN="xapp-1")
    doc = json.loads(out)
    assert code == 0 and doc["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in doc["settings"]["event_subscriptions"]
    assert "request_url" not in doc["settings"]["interactivity"]
    assert all("url" not in c for c in doc["features"]["slash_commands"])


def test_http_manifest_without_public_url_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["slack", "manifest"])
    assert result.exit_code == 2 and "WALLETDESK_PUBLIC_URL" in result.output


def test_invite_url_permission_bits_decode_to_what_the_bot_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(monkeypatch, "discord", "invite-url", "--client-id", "1234567890")
    assert code == 0, out
    query = parse_qs(urlparse(out.strip()).query)
    assert query["client_id"] == ["1234567890"]
    assert query["scope"] == ["bot applications.commands"]
    bits = int(query["permissions"][0])
    granted = {name for name in dir(Perm) if name.isupper() and name not in ("ALL",) and
               not name.endswith("DEFAULT") and bits & getattr(Perm, name)}
    assert granted == {"VIEW_CHANNEL", "SEND_MESSAGES", "MANAGE_MESSAGES", "READ_MESSAGE_HISTORY",
                       "SEND_MESSAGES_IN_THREADS"} == set(PERMISSIONS)


def test_invite_url_reads_the_client_id_from_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(monkeypatch, "discord", "invite-url", DISCORD_BOT_TOKEN="MTIzNDU2Nzg5MDEyMzQ1Njc4.Gx.abc")
    assert code == 0 and "client_id=123456789012345678" in out, out


async def test_telegram_registers_its_commands_in_english_and_chinese(
    tg: TelegramSim, tmp_path: Path, sqlite_store, faq_engine, code_sender,  # type: ignore[no-untyped-def]
) -> None:
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender):
        default = tg.commands[('{"type": "default"}', "")]
        zh = tg.commands[('{"type": "default"}', "zh")]
    assert [c["command"] for c in default] == [c["command"] for c in zh] == list(COMMANDS)
    assert all(a["description"] != b["description"] for a, b in zip(default, zh, strict=True))
    assert default[0]["description"] == "What I can do"
