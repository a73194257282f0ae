"""``walletdesk doctor`` against the three platform simulators, an OTP receiver and a
``/healthz`` server, each failure injected once: the ✗ line names the check, the fix
follows it, and the exit code is 1. The real typer app runs in-process (CliRunner);
the simulators serve from their own event loop in a thread, as a network would."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from core.models import ChatRef, Conversation
from tests.conftest import share_faq_cache
from tests.simulators.discord_sim import DiscordSim, Perm
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import DEADLINE

T = TypeVar("T")
GROUP = -1001234567890


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rig:
    """The simulators and two small HTTP services on a loop in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tg = TelegramSim()
        self.dc = DiscordSim()
        self.slack = SlackSim()
        self.health: tuple[int, dict[str, Any]] = (200, {"ok": True, "store": True, "adapters": {}})
        self.otp_status = 405  # a receiver that only takes POST: it answers, so it is up
        self.web_url = ""
        self._runner: web.AppRunner | None = None
        self.run(self._start())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(DEADLINE)

    def do(self, fn: Callable[[], T]) -> T:
        """Change a simulator's state on its own loop."""
        async def call() -> T:
            return fn()
        return self.run(call())

    async def _start(self) -> None:
        await self.tg.start()
        await self.dc.start()
        await self.slack.start()
        self.slack.add_channel("G0STAFF", "staff", is_private=True)
        self.slack.add_channel("C0PUBLIC", "general", is_private=False)
        self.slack.add_channel("C0NOTIN", "random", is_private=False, bot_is_member=False)
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/otp", self._otp)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.web_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response(self.health[1], status=self.health[0])

    async def _otp(self, request: web.Request) -> web.Response:
        return web.Response(status=self.otp_status)

    async def _stop(self) -> None:
        for sim in (self.tg, self.dc, self.slack):
            await sim.stop()
        if self._runner:
            await self._runner.cleanup()

    def close(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(DEADLINE)
        self.loop.close()

    def env(self, data_dir: Path) -> dict[str, str]:
        return {
            "WALLETDESK_DATA_DIR": str(data_dir), "WALLETDESK_SECRET_KEY": "x",
            "TELEGRAM_BOT_TOKEN": self.tg.token, "TELEGRAM_API_BASE_URL": self.tg.base_url,
            "DISCORD_BOT_TOKEN": self.dc.token, "DISCORD_API_BASE_URL": self.dc.api_base,
            "SLACK_BOT_TOKEN": self.slack.token, "SLACK_SIGNING_SECRET": self.slack.signing_secret,
            "SLACK_API_BASE_URL": self.slack.api_url, "SLACK_STAFF_CHANNEL": "G0STAFF",
            "WALLETDESK_OTP_WEBHOOK_URL": f"{self.web_url}/otp", "WALLETDESK_OTP_WEBHOOK_SECRET": "s",
            "WALLETDESK_PUBLIC_URL": self.web_url,
        }


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def doctor(rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str]]:
    data_dir = share_faq_cache(tmp_path / "data")
    for key, value in rig.env(data_dir).items():
        monkeypatch.setenv(key, value)

    def run(*args: str, **env: str | None) -> tuple[int, str]:
        from typer.testing import CliRunner

        from core.wiring.cli import app

        for key, value in env.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        result = CliRunner().invoke(app, ["doctor", *args])
        return result.exit_code, result.output

    return run


def _line(output: str, name: str) -> str:
    """The checklist line of the check ``name`` (and its fix line, when there is one)."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line[2:].startswith(name + ":"):
            fix = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("    fix:") else ""
            return line + "\n" + fix
    raise AssertionError(f"no line for {name!r} in:\n{output}")


def test_everything_configured_and_working_passes(doctor: Callable[..., tuple[int, str]]) -> None:
    code, out = doctor()
    assert code == 0, out
    for name in ("configuration", "database", "data key", "faq", "telegram token", "telegram webhook", "discord token",
                 "discord message content intent", "discord server Wallet Community", "slack token",
                 "slack scopes", "slack staff channel", "otp webhook", "healthz"):
        assert _line(out, name).startswith("✓"), out
    assert "✗" not in out


def test_json_lists_every_check(doctor: Callable[..., tuple[int, str]], rig: Rig) -> None:
    rig.do(lambda: rig.slack.scopes.remove("commands"))
    code, out = doctor("--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    failed = [c for c in report["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["slack scopes"]
    assert "commands" in failed[0]["detail"] and "Bot Token Scopes" in failed[0]["fix"]


# (what to break, the check that must fail, words its line must hold)
Breaker = Callable[[Rig, Path], dict[str, str | None]]
CASES: list[tuple[str, Breaker, str, str]] = [
    ("bad telegram token", lambda r, d: {"TELEGRAM_BOT_TOKEN": "123456789:wrong"}, "telegram token", "@BotFather"),
    ("bad discord token", lambda r, d: {"DISCORD_BOT_TOKEN": "wrong"}, "discord token", "HTTP 401"),
    ("bad slack token", lambda r, d: {"SLACK_BOT_TOKEN": "xoxb-wrong"}, "slack token", "invalid_auth"),
    ("missing scope", lambda r, d: r.do(lambda: r.slack.scopes.remove("reactions:write")) or {},
     "slack scopes", "reactions:write (for reactions.add)"),
    ("staff channel public", lambda r, d: {"SLACK_STAFF_CHANNEL": "C0PUBLIC"}, "slack staff channel", "is public"),
    ("bot not in staff channel", lambda r, d: {"SLACK_STAFF_CHANNEL": "C0NOTIN"}, "slack staff channel",
     "/invite @walletdesk"),
    ("staff channel does not exist", lambda r, d: {"SLACK_STAFF_CHANNEL": "G0NOSUCH"}, "slack staff channel",
     "channel_not_found"),
    ("no message content intent", lambda r, d: r.do(lambda: setattr(r.dc, "application_flags", 1 << 23)) or {},
     "discord message content intent", "Message Content Intent"),
    ("no manage messages in a guild",
     lambda r, d: r.do(lambda: r.dc.set_bot_permissions(r.dc.guild_id, Perm.BOT_DEFAULT & ~Perm.MANAGE_MESSAGES))
     or {}, "discord server Wallet Community", "MANAGE_MESSAGES"),
    ("otp webhook down", lambda r, d: {"WALLETDESK_OTP_WEBHOOK_URL": f"http://127.0.0.1:{_closed_port()}/otp"},
     "otp webhook", "ConnectError"),
    ("otp webhook failing", lambda r, d: r.do(lambda: setattr(r, "otp_status", 502)) or {}, "otp webhook",
     "HTTP 502"),
    ("database unreachable",
     lambda r, d: {"WALLETDESK_DATABASE_URL": f"postgresql://walletdesk@127.0.0.1:{_closed_port()}/walletdesk"},
     "database", "WALLETDESK_DATABASE_URL"),
    ("malformed data key", lambda r, d: {"WALLETDESK_DATA_KEY": "short"}, "data key", "64 hex digits"),
    ("healthz down", lambda r, d: {"WALLETDESK_PUBLIC_URL": f"http://127.0.0.1:{_closed_port()}"}, "healthz",
     "start the web process"),
    ("healthz reports an adapter down",
     lambda r, d: r.do(lambda: setattr(r, "health", (503, {"ok": False, "store": True,
                                                           "adapters": {"slack": True, "discord": False}}))) or {},
     "healthz", "not connected: discord"),
    ("telegram webhook not registered", lambda r, d: {"TELEGRAM_WEBHOOK_SECRET": "secret"}, "telegram webhook",
     "expected http://"),
    ("bad configuration", lambda r, d: {"WALLETDESK_SUPPORT_HOURS": "whenever"}, "configuration",
     "WALLETDESK_SUPPORT_HOURS"),
]


@pytest.mark.parametrize("breaker,check,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_failure_is_one_cross_with_its_fix(doctor: Callable[..., tuple[int, str]], rig: Rig, tmp_path: Path,
                                                breaker: Breaker, check: str, words: str) -> None:
    code, out = doctor(**breaker(rig, tmp_path))
    assert code == 1, out
    line = _line(out, check)
    assert line.startswith("✗") and words in line, out
    assert "\n    fix: " in line, out
    assert out.count("✗") == 1, out  # the others still pass: one failure, one cross


def _seed_group_conversation(data_dir: Path) -> None:
    from core.storage import open_store

    async def seed() -> None:
        store = await open_store(f"sqlite:///{data_dir / 'walletdesk.db'}")
        try:
            async with store.transaction() as tx:
                await tx.set_conversation("telegram:42", ChatRef("telegram", str(GROUP)).key, Conversation(), 0.0)
        finally:
            await store.close()

    asyncio.run(seed())


def test_telegram_group_without_admin_rights(doctor: Callable[..., tuple[int, str]], rig: Rig,
                                             tmp_path: Path) -> None:
    _seed_group_conversation(tmp_path / "data")
    rig.do(lambda: rig.tg.add_chat(GROUP, "supergroup", title="Wallet Group", bot_is_admin=False))
    code, out = doctor()
    line = _line(out, "telegram group Wallet Group")
    assert code == 1 and line.startswith("✗") and "not an admin" in line and "Delete messages" in line, out

    rig.do(lambda: rig.tg.set_admins(GROUP, [], bot_is_admin=True))
    code, out = doctor()
    assert code == 0 and _line(out, "telegram group Wallet Group").startswith("✓"), out


def test_unconfigured_platforms_are_not_checked(doctor: Callable[..., tuple[int, str]]) -> None:
    code, out = doctor(DISCORD_BOT_TOKEN=None, SLACK_BOT_TOKEN=None)
    assert code == 0, out
    assert "discord" not in out and "slack" not in out and "telegram token" in out
