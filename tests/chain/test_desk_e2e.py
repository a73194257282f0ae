"""On-chain lookups through the real ``walletdesk`` process: a Telegram user's
hash on an open ticket becomes a field of the Slack desk's summary, staff
refresh it with a button once the chain has moved on and look up another hash
with ``/ticket N lookup``; a hash in a Discord or a Slack DM gets its status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.simulators.discord_sim import DiscordSim
from tests.simulators.evm_node import EvmNode
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import DEADLINE

USER = 502
STAFF = "C0STAFF"
AGENT = "U0AGENT"


@pytest.fixture
async def sims() -> AsyncIterator[tuple[TelegramSim, SlackSim]]:
    async with TelegramSim(clock=PLATFORM_TIME) as tg, SlackSim(clock=PLATFORM_TIME) as slack:
        tg.add_user(USER, first_name="Alice", language_code="en")
        slack.add_channel(STAFF, "staff-desk", is_private=True, members=[AGENT])
        slack.add_user(AGENT, "agent", display_name="Agent Bob")
        yield tg, slack


async def test_the_lookup_is_a_summary_field_staff_refresh_and_run_from_the_desk(
        sims: tuple[TelegramSim, SlackSim], node: EvmNode, tmp_path: Path) -> None:
    tg, slack = sims
    node.auto_mine(False)
    tx = node.send(node.accounts[0], node.accounts[1], 10**18)  # waits in the mempool
    proc = WalletdeskProcess(tmp_path, {
        "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
        "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF,
        "WALLETDESK_EVM_RPC": f"ethereum={node.url}"})
    await proc.start()
    events = proc.base_url + "/slack/events"

    def root_shows(text: str) -> bool:
        return any(u.ts == root.ts and text in str(u.blocks) for u in slack.updated)

    try:
        await tg.user_message(USER, "I need a human please", user_id=USER, chat_type="private", first_name="Alice")
        root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
        assert "wd_lookup" not in str(root.blocks)  # nothing looked up yet: no refresh button

        await tg.user_message(USER, f"tx {tx}", user_id=USER, chat_type="private", first_name="Alice")
        await tg.wait_for_message(USER, lambda m: "pending" in m.plain_text.lower())
        await slack.wait_for_post(STAFF, lambda m: f"Chain lookup of {tx}: pending" in m.text, thread_ts=root.ts)
        await slack.wait_for(lambda: root_shows("On chain: pending") and root_shows("wd_lookup"))

        node.mine(1)
        await slack.block_action(events, "wd_lookup", "1", user=AGENT, channel=STAFF, message_ts=root.ts)
        await slack.wait_for(lambda: root_shows("On chain: success on ethereum, block"))
        await slack.wait_for_post(STAFF, lambda m: f"Chain lookup of {tx}: success" in m.text, thread_ts=root.ts)

        other = "0x" + "cd" * 32
        await slack.slash_command(events, "/ticket", f"1 lookup {other}", user=AGENT, channel=STAFF)
        await slack.wait_for(lambda: root_shows(f"On chain: not found (ethereum) · {other}"))

        # a key is never looked up, nor the old hash in its place: staff are told there is no hash
        key = "0x" + "ef" * 32
        await slack.slash_command(events, "/ticket", f"1 lookup private key {key}", user=AGENT, channel=STAFF)
        refused = await slack.wait_for(lambda: [m.text for m in slack.ephemerals if m.ephemeral_to == AGENT])
        assert "no transaction hash to look up" in refused[0]
        await proc.drain()
    finally:
        await proc.stop()
    asked = [params[0] for method, params in node.calls if method == "eth_getTransactionByHash"]
    assert set(asked) == {tx, other}  # never the key
    assert asked.count(tx) == 2  # the user's message, then the refresh: the pending result was not cached
    assert all("lookup" not in text.lower() for text in tg.texts_to(USER))  # staff's lookups stay on the desk


async def test_a_hash_in_a_discord_dm_and_a_slack_dm_gets_its_status(node: EvmNode, tmp_path: Path) -> None:
    """The same answer on the other two platforms: a Discord DM, and a Slack
    community member's DM in Chinese."""
    tx = node.send(node.accounts[0], node.accounts[1], 3 * 10**18)
    node.mine(1)
    member = "U0MEMBER"
    async with SlackSim(clock=PLATFORM_TIME) as slack, DiscordSim(interaction_timeout=DEADLINE) as dc:
        slack.add_channel(STAFF, "staff-desk", is_private=True, members=[AGENT])
        slack.add_user(AGENT, "agent", display_name="Agent Bob")
        slack.add_user(member, "member", display_name="Carol", locale="zh-CN")
        user_id = int(dc.add_user(username="dave")["id"])
        proc = WalletdeskProcess(tmp_path, {
            "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF,
            "DISCORD_BOT_TOKEN": dc.token, "DISCORD_API_BASE_URL": dc.api_base, "DISCORD_GATEWAY_URL": dc.gateway_url,
            "WALLETDESK_EVM_RPC": f"ethereum={node.url}"})
        await proc.start()
        try:
            dm = dc.open_dm(user_id)
            await dc.user_message(dm, f"my transfer never arrived, tx {tx}", author_id=user_id)
            answer = await dc.wait_for_message(dm, lambda m: "Ethereum" in m["content"])
            assert "confirmed" in answer["content"] and "3 ETH" in answer["content"]

            await slack.send_event(proc.base_url + "/slack/events", slack.user_message_event(
                f"D{member}", member, f"我的转账没到账，交易哈希 {tx}", channel_type="im"))
            reply = await slack.wait_for_post(f"D{member}", lambda m: "3 ETH" in m.text)
            assert "已在 Ethereum 上确认" in reply.text  # in Chinese, as she wrote
            await proc.drain()
        finally:
            await proc.stop()
