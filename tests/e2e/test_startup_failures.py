"""Start-up failures of the real ``walletdesk run`` process end in one line that
names the setting and the fix, never a traceback; a platform that cannot start
while another can is shown in /healthz and retried until it comes up."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import share_faq_cache
from tests.e2e.harness import PLATFORM_TIME, Forwarder, WalletdeskProcess
from tests.simulators.discord_sim import DiscordSim
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import DEADLINE, wait_until

GROUP = -1001
USER = 501


@contextmanager
def dead_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nobody else gets it) but not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@contextmanager
def busy_port() -> Iterator[int]:
    """A port another process already listens on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


async def run_failing(tmp: Path, env: dict[str, str]) -> tuple[int, str]:
    """``walletdesk run`` with ``env`` until it exits; its exit code and stderr."""
    child = WalletdeskProcess(tmp, env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.wiring.cli", "run", cwd=tmp, env=child.env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("walletdesk kept running although nothing could start") from None
    return proc.returncode or 0, err.decode(errors="replace")


def error_lines(stderr: str) -> list[str]:
    """The lines that report an error: the CLI's ``error:`` line and error-level log records."""
    out = []
    for line in stderr.splitlines():
        if line.startswith("error:"):
            out.append(line)
        elif line.startswith("{") and json.loads(line).get("level") in ("error", "critical"):
            out.append(line)
    return out


def assert_one_line(code: int, stderr: str, setting: str, fix: str) -> None:
    assert code != 0, stderr
    assert "Traceback" not in stderr and "╭" not in stderr, stderr  # neither python's nor rich's
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"error: {setting}: ") and fix in lines[0], lines[0]


async def test_telegram_unreachable(tmp_path: Path) -> None:
    with dead_port() as port:
        code, err = await run_failing(tmp_path, {"TELEGRAM_BOT_TOKEN": "123456789:TEST-walletdesk-token",
                                                 "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}"})
    assert_one_line(code, err, "TELEGRAM_API_BASE_URL", "network")


async def test_telegram_token_rejected(tmp_path: Path) -> None:
    async with TelegramSim(clock=PLATFORM_TIME) as tg:
        code, err = await run_failing(tmp_path, {"TELEGRAM_BOT_TOKEN": "123456789:NOT-the-token",
                                                 "TELEGRAM_API_BASE_URL": tg.base_url})
    assert_one_line(code, err, "TELEGRAM_BOT_TOKEN", "@BotFather")


async def test_discord_token_rejected(tmp_path: Path) -> None:
    async with DiscordSim() as dc:
        code, err = await run_failing(tmp_path, {"DISCORD_BOT_TOKEN": "not-the-token",
                                                 "DISCORD_API_BASE_URL": dc.api_base,
                                                 "DISCORD_GATEWAY_URL": dc.gateway_url})
    assert_one_line(code, err, "DISCORD_BOT_TOKEN", "Developer Portal")


async def test_slack_http_mode_without_signing_secret(tmp_path: Path) -> None:
    # used to fall back to the console in silence
    code, err = await run_failing(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-1-2-abc"})
    assert_one_line(code, err, "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")


async def test_database_unreachable(tmp_path: Path) -> None:
    with dead_port() as port:
        code, err = await run_failing(tmp_path, {"WALLETDESK_DATABASE_URL": f"postgresql://u:p@127.0.0.1:{port}/x"})
    assert code == 2
    assert_one_line(code, err, "WALLETDESK_DATABASE_URL", "point WALLETDESK_DATABASE_URL")


async def test_data_key_that_does_not_open_the_database(tmp_path: Path) -> None:
    """A database sealed with the data dir's keyring, started with another WALLETDESK_DATA_KEY."""
    from core.models import ChatRef, Priority, UserRef
    from core.storage import store_for_url
    from core.storage.keyring import load_sealer
    from core.storage.sealed_rows import SealedStore

    data = share_faq_cache(tmp_path / "data")
    store = SealedStore(store_for_url(f"sqlite:///{data / 'walletdesk.db'}"), load_sealer(None, data))
    await store.open()
    async with store.transaction() as tx:
        await tx.create_ticket(user=UserRef("telegram", "1"), origin=ChatRef("telegram", "1", is_private=True),
                               origin_message_id=None, priority=Priority.NORMAL, category=None, lang="en",
                               subject="my words", now=1.0)
    await store.close()
    code, err = await run_failing(tmp_path, {"WALLETDESK_DATA_KEY": "ab" * 32})
    assert_one_line(code, err, "WALLETDESK_DATA_KEY", "configure the key it was written with")
    assert "ab" * 32 not in err


async def test_port_in_use(tmp_path: Path) -> None:
    async with TelegramSim(clock=PLATFORM_TIME) as tg:
        with busy_port() as port:
            code, err = await run_failing(tmp_path, {"TELEGRAM_BOT_TOKEN": tg.token,
                                                     "TELEGRAM_API_BASE_URL": tg.base_url, "PORT": str(port)})
    assert_one_line(code, err, "PORT", "already in use")


async def test_a_platform_down_at_start_is_retried_while_the_other_serves(tmp_path: Path) -> None:
    async with DiscordSim(interaction_timeout=DEADLINE) as dc, TelegramSim(clock=PLATFORM_TIME) as tg, Forwarder() as down:
        tg.add_chat(GROUP, "supergroup", title="Wallet Community")
        tg.add_user(USER, first_name="Alice", language_code="en")
        user = dc.add_user(username="dave")
        # Telegram's API answers 503 until the forwarder is pointed at the simulator
        proc = WalletdeskProcess(tmp_path, {
            "DISCORD_BOT_TOKEN": dc.token, "DISCORD_API_BASE_URL": dc.api_base, "DISCORD_GATEWAY_URL": dc.gateway_url,
            "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": down.url,
            "WALLETDESK_PLATFORM_RETRY_SECONDS": "0.05",
        })
        await proc.start(require_ok=False)
        try:
            async with httpx.AsyncClient(base_url=proc.base_url) as http:
                health = await http.get("/healthz")
                assert health.status_code == 503
                report = health.json()
                assert report["adapters"]["discord"] is True and report["adapters"]["telegram"] is False
                assert report["failing"]["telegram"].startswith("TELEGRAM_API_BASE_URL: ")

                await dc.user_message(dc.channel_id, "how do I back up my recovery phrase?",
                                      author_id=int(user["id"]), mentions_bot=True)
                await dc.wait_for_message(dc.channel_id)  # Discord serves meanwhile

                down.target = tg.base_url  # Telegram comes back

                async def healthy() -> bool:
                    return (await http.get("/healthz")).status_code == 200

                await wait_until(healthy, interval=0.05, what="telegram started on a later attempt")
                report = (await http.get("/healthz")).json()
                assert report["adapters"]["telegram"] is True and "failing" not in report
            await tg.user_message(GROUP, "@walletdesk_bot my transfer has not arrived after 3 hours", user_id=USER,
                                  first_name="Alice")
            await tg.wait_for_message(GROUP, lambda m: "block explorer" in m.plain_text)
        finally:
            await proc.stop()
    out = proc.output()
    assert "Traceback" not in out, out
    reported = [line for line in out.splitlines() if "telegram did not start" in line and '"level": "error"' in line]
    assert len(reported) == 1 and "TELEGRAM_API_BASE_URL" in reported[0], out  # once; later attempts are warnings
