"""Snippets, round-robin assignment, tags and transfer through the real ``walletdesk``
process: two Telegram users (English and Chinese), a Slack member and a Discord user open
tickets, the Slack desk assigns them in turn, staff write a snippet with a Chinese text and send it, each user gets it in
their own language, and a tag and a transfer show on the ticket's root."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.simulators.discord_sim import DiscordSim
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import DEADLINE

ALICE, MING = 601, 602
STAFF = "C0STAFF"
BOB, DAN = "U0BOB", "U0DAN"
CAROL, CAROL_DM = "U0CAROL", "D0CAROL"  # a Slack community member whose Slack speaks Chinese


@pytest.fixture
async def sims():
    async with TelegramSim(clock=PLATFORM_TIME) as tg, SlackSim(clock=PLATFORM_TIME) as slack:
        tg.add_user(ALICE, first_name="Alice", language_code="en")
        tg.add_user(MING, first_name="小明", language_code="zh-hans")
        slack.add_channel(STAFF, "staff-desk", is_private=True, members=[BOB, DAN])
        slack.add_user(BOB, "bob", display_name="Bob")
        slack.add_user(DAN, "dan", display_name="Dan")
        slack.add_user(CAROL, "carol", display_name="Carol", locale="zh-CN")
        slack.add_channel(CAROL_DM, is_im=True, user=CAROL)
        yield tg, slack


def _root_of(slack: SlackSim, ticket_id: int) -> str | None:
    for m in slack.posted:
        if m.channel == STAFF and m.thread_ts is None and f"Ticket #{ticket_id} " in str(m.blocks):
            return m.ts
    return None


def _root_text(slack: SlackSim, ts: str) -> str:
    message = slack.message(STAFF, ts)
    return str(message.blocks) if message is not None else ""


async def test_round_robin_snippets_in_each_language_tags_and_transfer(sims, tmp_path: Path) -> None:
    tg, slack = sims
    proc = WalletdeskProcess(tmp_path, {
        "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
        "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF,
        "SLACK_STAFF_USERS": f"{BOB},{DAN}", "WALLETDESK_AUTO_ASSIGN": "round_robin",
        "WALLETDESK_SUPPORT_HOURS": "24/7",
    })
    await proc.start()
    events = proc.base_url + "/slack/events"
    try:
        await tg.user_message(ALICE, "I need a human please", user_id=ALICE, chat_type="private", first_name="Alice")
        await tg.wait_for_message(ALICE, lambda m: "#1" in m.plain_text)
        await tg.user_message(MING, "我要人工客服", user_id=MING, chat_type="private", first_name="小明")
        await tg.wait_for_message(MING, lambda m: "#2" in m.plain_text)
        one = await slack.wait_for(lambda: _root_of(slack, 1))
        two = await slack.wait_for(lambda: _root_of(slack, 2))
        await slack.wait_for(lambda: f"Assignee: slack:{BOB}" in _root_text(slack, one))
        await slack.wait_for(lambda: f"Assignee: slack:{DAN}" in _root_text(slack, two))
        await slack.wait_for_post(STAFF, lambda m: f"Assigned to slack:{DAN}" in m.text, thread_ts=two)

        await slack.slash_command(events, "/snippet", "add fees Hi {user}, ticket #{ticket_id}: fees pay the network.",
                                  user=BOB, channel=STAFF)
        await slack.wait_for(lambda: any("“fees” added" in m.text for m in slack.ephemerals))
        await slack.slash_command(events, "/snippet", "edit fees zh {user} 你好，工单 #{ticket_id}：手续费付给网络。",
                                  user=BOB, channel=STAFF)
        await slack.wait_for(lambda: any("(en+zh)" in m.text for m in slack.ephemerals))

        await slack.slash_command(events, "/ticket", "2 snippet fees", user=DAN, channel=STAFF)
        await tg.wait_for_message(MING, lambda m: "小明 你好，工单 #2：手续费付给网络。" in m.plain_text)
        reply = slack.user_message_event(STAFF, BOB, "!snippet fees", thread_ts=one)
        assert (await slack.send_event(events, reply)).status == 200
        await tg.wait_for_message(ALICE, lambda m: "Hi Alice, ticket #1: fees pay the network." in m.plain_text)

        await slack.slash_command(events, "/ticket", "1 tag add refund", user=BOB, channel=STAFF)
        await slack.wait_for(lambda: "Tags: refund" in _root_text(slack, one))
        await slack.slash_command(events, "/ticket", f"1 transfer <@{DAN}>", user=BOB, channel=STAFF)
        await slack.wait_for(lambda: f"Assignee: slack:{DAN}" in _root_text(slack, one))

        # a third ticket, from Slack: Bob's turn again; a seeded snippet reaches Carol in Chinese
        await slack.send_event(events, slack.user_message_event(CAROL_DM, CAROL, "我需要人工客服"))
        three = await slack.wait_for(lambda: _root_of(slack, 3))
        await slack.wait_for(lambda: f"Assignee: slack:{BOB}" in _root_text(slack, three))
        await slack.slash_command(events, "/ticket", "3 canned closing", user=BOB, channel=STAFF)
        await slack.wait_for(lambda: any("谢谢 Carol！工单 #3 将标记为已解决。" in m.text
                                         for m in slack.messages_in(CAROL_DM)))
        await proc.drain()
    finally:
        await proc.stop()
    assert not any("!snippet" in text for text in tg.texts_to(ALICE))
    assert not any("fees pay the network" in text for text in tg.texts_to(MING))  # the Chinese text only


async def test_a_discord_users_ticket_is_assigned_and_gets_a_snippet(tmp_path: Path) -> None:
    async with SlackSim(clock=PLATFORM_TIME) as slack, DiscordSim(interaction_timeout=DEADLINE) as dc:
        slack.add_channel(STAFF, "staff-desk", is_private=True, members=[BOB, DAN])
        slack.add_user(BOB, "bob", display_name="Bob")
        slack.add_user(DAN, "dan", display_name="Dan")
        user_id = int(dc.add_user(username="dave")["id"])
        proc = WalletdeskProcess(tmp_path, {
            "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF,
            "SLACK_STAFF_USERS": f"{DAN},{BOB}", "WALLETDESK_AUTO_ASSIGN": "round_robin",
            "WALLETDESK_SUPPORT_HOURS": "24/7",
            "DISCORD_BOT_TOKEN": dc.token, "DISCORD_API_BASE_URL": dc.api_base, "DISCORD_GATEWAY_URL": dc.gateway_url,
        })
        await proc.start()
        events = proc.base_url + "/slack/events"
        try:
            dm = dc.open_dm(user_id)
            await dc.user_message(dm, "I need a human please", author_id=user_id)
            await dc.wait_for(lambda: any("#1" in m["content"] for m in dc.messages_in(dm)))
            one = await slack.wait_for(lambda: _root_of(slack, 1))
            await slack.wait_for(lambda: f"Assignee: slack:{DAN}" in _root_text(slack, one))  # first in the list
            await slack.slash_command(events, "/ticket", "1 snippet explorer", user=DAN, channel=STAFF)
            await dc.wait_for(lambda: any("could you send us the transaction hash (tx id)?" in m["content"]
                                          for m in dc.messages_in(dm)))
            await proc.drain()
        finally:
            await proc.stop()
