"""Discord users and Slack community users through the real ``walletdesk``
process, with staff on the Slack desk."""

from __future__ import annotations

from pathlib import Path

import pytest
from mnemonic import Mnemonic

from tests.e2e.harness import PLATFORM_TIME, CodeReceiver, WalletdeskProcess
from tests.simulators.discord_sim import DiscordSim
from tests.simulators.slack_sim import SlackSim
from tests.waiting import DEADLINE

STAFF = "C0STAFF"
AGENT = "U0AGENT"
COMMUNITY = "C0COMMUNITY"
MEMBER = "U0MEMBER"


@pytest.fixture
async def desk():
    async with SlackSim(clock=PLATFORM_TIME) as slack, CodeReceiver() as codes:
        slack.add_channel(STAFF, "staff-desk")
        slack.add_usergroup("S0STAFF", [AGENT])  # staff are a Slack user group
        slack.add_channel(COMMUNITY, "wallet-help")
        slack.add_user(AGENT, "agent", display_name="Agent Bob")
        slack.add_user(MEMBER, "member", display_name="Carol", locale="zh-CN")
        yield slack, codes


def slack_env(slack: SlackSim, codes: CodeReceiver) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF, "SLACK_STAFF_GROUP": "S0STAFF",
        "WALLETDESK_OTP_WEBHOOK_URL": codes.url, "WALLETDESK_OTP_WEBHOOK_SECRET": codes.secret.decode(),
    }


async def test_discord_user_escalated_and_answered_by_staff(desk, tmp_path: Path) -> None:
    slack, codes = desk
    async with DiscordSim(interaction_timeout=DEADLINE) as dc:  # Discord's 3 s is no test of a busy CI
        user = dc.add_user(username="dave")
        user_id = int(user["id"])
        mod = dc.add_user(username="mod", roles=(dc.moderator_role_id,))
        proc = WalletdeskProcess(tmp_path, {
            **slack_env(slack, codes), "DISCORD_BOT_TOKEN": dc.token, "DISCORD_API_BASE_URL": dc.api_base,
            "DISCORD_GATEWAY_URL": dc.gateway_url,
        })
        await proc.start()
        try:
            await dc.user_message(dc.channel_id, "how do I back up my recovery phrase?", author_id=user_id,
                                  mentions_bot=True)
            answer = await dc.wait_for_message(dc.channel_id)
            assert answer["allowed_mentions"] == {"parse": []}

            problem = await dc.user_message(dc.channel_id, "someone drained my wallet @everyone help",
                                            author_id=user_id)
            await dc.message_context_command("Escalate to staff", problem, user_id=int(mod["id"]),
                                             member_roles=(dc.moderator_role_id,))
            root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
            await slack.wait_for_post(STAFF, lambda m: "drained" in m.text, thread_ts=root.ts)
            assert "urgent" in str(root.blocks).lower()  # unauthorized transactions start urgent

            reply = slack.user_message_event(STAFF, AGENT, "Move what is left to a new wallet now", thread_ts=root.ts)
            await slack.send_event(proc.base_url + "/slack/events", reply)
            await dc.wait_for(lambda: (ch := dc.dm_channel_for(user_id)) is not None and any(
                "new wallet" in m["content"] for m in dc.messages_in(ch)))

            events = proc.base_url + "/slack/events"
            dm = dc.dm_channel_for(user_id)
            await slack.slash_command(events, "/note", "#1 INTERNAL-ONLY checked the drainer", user=AGENT, channel=STAFF)
            await slack.wait_for_post(STAFF, lambda m: "INTERNAL-ONLY" in m.text, thread_ts=root.ts)
            await slack.block_action(events, "wd_request_verification", "1", user=AGENT, channel=STAFF,
                                     message_ts=root.ts)
            code = await codes.wait_code()
            await dc.wait_for(lambda: any("one-time code" in m["content"] for m in dc.messages_in(dm)))
            await dc.user_message(dm, code, author_id=user_id)
            await slack.wait_for(lambda: any(u.ts == root.ts and "verified at" in str(u.blocks)
                                             for u in slack.updated))
            await slack.block_action(events, "wd_resolve", "1", user=AGENT, channel=STAFF, message_ts=root.ts)
            await dc.wait_for(lambda: any("1 (bad) to 5 (great)" in m["content"] for m in dc.messages_in(dm)))
            assert not any("INTERNAL-ONLY" in m["content"] for m in dc.messages_in(dm))

            phrase = Mnemonic("english").generate(128)
            leaked = await dc.user_message(dc.channel_id, phrase, author_id=user_id)
            await dc.wait_for(lambda: any(d["message_id"] == int(leaked["id"]) for d in dc.deleted))
            assert all(m["allowed_mentions"] == {"parse": []} for m in dc.messages_in(dc.channel_id))
            assert phrase not in proc.db_dump() and code not in proc.db_dump()
        finally:
            await proc.stop()


async def test_slack_community_user_in_chinese(desk, tmp_path: Path) -> None:
    slack, codes = desk
    proc = WalletdeskProcess(tmp_path, slack_env(slack, codes))
    await proc.start()
    events = proc.base_url + "/slack/events"
    try:
        said = slack.app_mention_event(COMMUNITY, MEMBER, f"<@{slack.bot_user_id}> 转账两个小时了还没到账")
        await slack.send_event(events, said)
        await slack.wait_for_post(COMMUNITY, lambda m: "区块浏览器" in m.text)

        await slack.send_event(events, slack.user_message_event(f"D{MEMBER}", MEMBER, "人工", channel_type="im"))
        try:
            root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
        except TimeoutError:
            raise AssertionError(f"{[(m.channel, m.text[:60]) for m in slack.posted]}\n{proc.output()[-2000:]}")
        # the thread's first line means the desk knows the root (its ts is stored as the ticket's desk ref)
        await slack.wait_for_post(STAFF, lambda m: "人工" in m.text, thread_ts=root.ts)
        reply = slack.user_message_event(STAFF, AGENT, "我们正在处理", thread_ts=root.ts)
        await slack.send_event(events, reply)
        try:
            await slack.wait_for(lambda: any("我们正在处理" in m.text and m.channel != STAFF for m in slack.posted))
        except TimeoutError:
            raise AssertionError(f"{[(m.channel, m.thread_ts, m.text[:60]) for m in slack.posted]}\n{proc.output()[-1500:]}")
    finally:
        await proc.stop()
