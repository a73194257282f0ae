"""The contract is enough: an adapter that lives outside ``adapters/`` (the fixture
package ``tests/fixtures/outside_adapter/echodesk``, registered by a temporary
``.dist-info`` on the path of a fresh interpreter, nothing installed into ``.venv``)
brings its settings, strings and CLI subcommand, and a message goes from it through
the core and back, with no core file knowing its name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import share_faq_cache

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "outside_adapter"

SCRIPT = r'''
import asyncio, json
from pathlib import Path

from core.config import Settings, load_settings
from core.contract import display_name
from core.i18n import t
from core.ops.report import known_platforms
from core.wiring.app import App
from tests.test_architecture import PLATFORMS, platform_mentions

async def main() -> dict:
    settings = load_settings()
    app = App(settings, adapters=["echo"])
    await app.start()
    try:
        echo = next(a for a in app.adapters if a.name == "echo")
        await echo.receive("u1", "human")
        for _ in range(600):  # until the core's answer is delivered back (at most 60 s)
            if any("#" in str(d.payload.get("text", "")) for d in echo.sent):
                break
            echo.arrived.clear()
            try:
                await asyncio.wait_for(echo.arrived.wait(), 0.1)
            except asyncio.TimeoutError:
                pass
        link = app.core.escalation.private_link("echo", 7)
        health = await app.health()
    finally:
        await app.shutdown()
    return {
        "sent": [[d.action, d.chat_id, str(d.payload.get("text", ""))] for d in echo.sent],
        "link": link, "health": health["adapters"], "bot_name": settings.echo_bot_name,
        "env_names": sorted((f.alias or n).upper() for n, f in Settings.model_fields.items() if n.startswith("echo")),
        "hello_zh": t("echo.hello", "zh", name="x"), "display": display_name("echo"),
        "known": list(known_platforms()), "platforms": PLATFORMS,
        "core_mentions": platform_mentions(Path("%(root)s") / "core", PLATFORMS),
    }

print("RESULT " + json.dumps(asyncio.run(main())))
'''


def _dist_info(site: Path) -> None:
    """What pip would have written: the distribution's name and its entry point."""
    info = site / "walletdesk_echo-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: walletdesk-echo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[walletdesk.adapters]\necho = echodesk.entry:spec\n")


def _env(tmp_path: Path, site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLETDESK_", "TELEGRAM_", "DISCORD_", "SLACK_"))
           or k.startswith("WALLETDESK_TEST_")}
    data = share_faq_cache(tmp_path / "data")
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), str(FIXTURE), str(site)]), WALLETDESK_DATA_DIR=str(data),
               WALLETDESK_SECRET_KEY="test-secret", WALLETDESK_SUPPORT_HOURS="24/7", WALLETDESK_HTTP_HOST="127.0.0.1",
               PORT="0", ECHO_TOKEN="t0ken", ECHO_BOT_NAME="bob")
    return env


@pytest.fixture
def echo_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    _dist_info(site)
    return _env(tmp_path, site)


def test_a_message_goes_through_the_core_to_an_outside_adapter_and_back(tmp_path: Path,
                                                                         echo_env: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT % {"root": ROOT}], cwd=tmp_path, env=echo_env,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))[7:])
    replies = [text for action, chat, text in result["sent"] if chat == "u1"]
    assert any("Ticket #1" in text for text in replies), result["sent"]
    assert result["link"] == "echo://bob/ticket/7"  # start() returned it; the core adopted it
    assert result["health"]["echo"] is True
    assert result["env_names"] == ["ECHO_BOT_NAME", "ECHO_TOKEN"] and result["bot_name"] == "bob"
    assert result["hello_zh"] == "x 向你问好" and result["display"] == "Echo"
    assert "echo" in result["known"]
    # the architecture test, in that interpreter, checks the new platform's name too
    assert "echo" in result["platforms"] and result["core_mentions"] == []


def test_an_outside_adapter_brings_its_cli_subcommand(tmp_path: Path, echo_env: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-m", "core.wiring.cli", "echo", "ping", "--lang", "zh"], cwd=tmp_path,
                         env=echo_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "bob 向你问好"


def test_without_its_dist_info_the_adapter_is_unknown(tmp_path: Path) -> None:
    """The fixture package alone on the path is not an adapter: the entry point is what counts."""
    env = _env(tmp_path, tmp_path / "empty")
    out = subprocess.run([sys.executable, "-m", "core.wiring.cli", "echo", "ping"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "bob" not in out.stdout
