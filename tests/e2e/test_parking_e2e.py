"""Parking and abuse through the real ``walletdesk`` process: a Telegram user, a
group moderator and staff on the Slack desk, each platform a local simulator
spoken to by its real library over sockets.

Staff set a ticket waiting on the user from Slack; the process's own timer loop
nudges the user once and then resolves the ticket (the periods are set to about a
second, so the waits are the timer loop's ticks). A flood is cut off with one
notice. A moderator blocks a user from the group: one notice, then silence, and a
recovery phrase the blocked user posts is still deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from mnemonic import Mnemonic

from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import DEADLINE

GROUP = -1003
ALICE = 611
TROLL = 612
ADMIN = 911
STAFF = "C0STAFF"
AGENT = "U0AGENT"
TIMER_TICKS = DEADLINE + 60  # the process's timers run every 30 s


@pytest.fixture
async def sims():
    async with TelegramSim(clock=PLATFORM_TIME) as tg, SlackSim(clock=PLATFORM_TIME) as slack:
        tg.add_chat(GROUP, "supergroup", title="Wallet Community", admins=[ADMIN])
        tg.add_user(ALICE, first_name="Alice", language_code="en")
        tg.add_user(TROLL, first_name="Troll", language_code="zh")
        tg.add_user(ADMIN, first_name="Mod", language_code="en")
        slack.add_channel(STAFF, "staff-desk", is_private=True, members=[AGENT])
        slack.add_user(AGENT, "agent", display_name="Agent Bob")
        yield tg, slack


def env(tg: TelegramSim, slack: SlackSim) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
        "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF,
        "WALLETDESK_NUDGE_AFTER_HOURS": "0.0003", "WALLETDESK_WAITING_RESOLVE_AFTER_HOURS": "0.0003",
        "WALLETDESK_FLOOD_USER": "4/600",
    }


async def test_wait_nudge_resolve_flood_and_a_moderators_block(sims, tmp_path: Path) -> None:
    tg, slack = sims
    proc = WalletdeskProcess(tmp_path, env(tg, slack))
    await proc.start()
    events = proc.base_url + "/slack/events"

    async def dm(user: int, text: str, name: str) -> dict:
        return await tg.user_message(user, text, user_id=user, chat_type="private", first_name=name,
                                     language_code="zh" if user == TROLL else "en")

    try:
        # staff set Alice's ticket waiting on her: one nudge, then resolved by itself
        await dm(ALICE, "/human my transfer has been stuck since yesterday", "Alice")
        root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
        await slack.slash_command(events, "/ticket", "1 wait which network did you send it on?", user=AGENT,
                                  channel=STAFF)
        await tg.wait_for_message(ALICE, lambda m: "which network did you send it on?" in m.plain_text)
        await tg.wait_for_message(ALICE, lambda m: "still waiting for your answer on ticket #1" in m.plain_text,
                                  timeout=TIMER_TICKS)
        await tg.wait_for_message(ALICE, lambda m: "ticket #1 is now resolved" in m.plain_text, timeout=TIMER_TICKS)
        await slack.wait_for_post(STAFF, lambda m: "Resolved automatically" in m.text, thread_ts=root.ts)

        # a flood from the troll (limit 4 in 600 s): one notice, the rest unanswered
        for _ in range(7):
            await dm(TROLL, "你好", "Troll")
        await tg.drain()
        await proc.drain()
        notices = [x for x in tg.texts_to(TROLL) if "太快" in x]
        assert len(notices) == 1
        assert len(tg.texts_to(TROLL)) == 5 and "太快" in tg.texts_to(TROLL)[-1]  # four answers, the notice
        await slack.wait_for_post(STAFF, lambda m: f"Flood: telegram:{TROLL}" in m.text)

        # a moderator blocks the troll from the group
        spam = await tg.user_message(GROUP, "free airdrop at scam.example", user_id=TROLL, first_name="Troll",
                                     language_code="zh")
        await tg.user_message(GROUP, "/block posts scam links", user_id=ADMIN, first_name="Mod",
                              reply_to_message_id=spam["message_id"])
        await tg.wait_for_message(GROUP, lambda m: "is blocked" in m.plain_text)
        await slack.wait_for_post(STAFF, lambda m: f"telegram:{TROLL} blocked by telegram:{ADMIN}" in m.text
                                  and "posts scam links" in m.text)
        # a non-moderator's /block is refused
        await tg.user_message(GROUP, "/block", user_id=ALICE, first_name="Alice",
                              reply_to_message_id=spam["message_id"])
        await tg.wait_for_message(GROUP, lambda m: "Only staff and moderators can block users" in m.plain_text)

        # the one notice, in their language, then silence; the shield still deletes a phrase
        await proc.drain()
        before = len(tg.texts_to(TROLL))
        phrase = Mnemonic("english").generate(128)
        await dm(TROLL, "/human 我要投诉", "Troll")
        await dm(TROLL, "/human 为什么不回我", "Troll")
        leak = await tg.user_message(GROUP, f"my words {phrase}", user_id=TROLL, first_name="Troll",
                                     language_code="zh")
        await tg.wait_for(lambda: (GROUP, leak["message_id"]) in tg.deleted)
        await tg.drain()
        await proc.drain()
        after = tg.texts_to(TROLL)[before:]
        assert after == ["客服已屏蔽此账户，今后将不再回复或为您创建工单。这是唯一一次通知。"]
    finally:
        await proc.stop()
    dump = proc.db_dump()
    assert phrase not in dump
    assert "posts scam links" not in dump  # the reason moderators see is sealed at rest
