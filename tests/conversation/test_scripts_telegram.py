"""The conversation scripts that need no clock, settings or staff, through the real
``walletdesk`` process and python-telegram-bot against the local Telegram
simulator, each as a private chat of its own user. What the user sees is checked
(``says``, ``not``, ``lang``); acts, topics and desk effects are the console run's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conversation.script import check_replies, numbered, parse_script
from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import wait_until

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.conv"))
PLAIN = [p for p in SCRIPTS if all(s.kind == "user" for s in parse_script(p))]


@pytest.fixture
async def tg() -> TelegramSim:
    async with TelegramSim(clock=PLATFORM_TIME) as sim:
        yield sim


async def test_plain_scripts_through_telegram(tg: TelegramSim, tmp_path: Path) -> None:
    assert len(PLAIN) >= 6
    proc = WalletdeskProcess(tmp_path, {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url})
    await proc.start()
    try:
        for n, script in enumerate(PLAIN):
            user = 7000 + n
            tg.add_user(user, first_name=f"U{n}", language_code="en")
            for step in parse_script(script):
                before = len(tg.messages_to(user))
                await tg.user_message(user, step.text, user_id=user, chat_type="private", first_name=f"U{n}")
                if "silent" in step.expect:
                    continue  # nothing to wait for; the console run checks silence
                await wait_until(lambda: len(tg.messages_to(user)) > before, what=f"{script.name}:{step.line}")
                await proc.drain()
                texts = [numbered(m.plain_text) for m in tg.messages_to(user)[before:]]
                check_replies(step, texts, f"{script.name}:{step.line}")
    finally:
        await proc.stop()
