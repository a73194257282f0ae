"""Account links and wallet proofs through the real ``walletdesk`` process (issue 15 items 6
and 7): a Telegram user links a Discord account, confirmed from Telegram; the Slack desk
lists both; staff ask for a wallet proof and the desk shows the full checksummed address."""

from __future__ import annotations

import re
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct

from tests.e2e.harness import PLATFORM_TIME, CodeReceiver, WalletdeskProcess
from tests.e2e.test_discord_slack_e2e import AGENT, STAFF, desk, slack_env  # noqa: F401 (desk is a fixture)
from tests.simulators.discord_sim import DiscordSim
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import DEADLINE

TG_USER = 501


async def test_link_confirmed_from_the_other_platform_and_a_requested_wallet_proof(
        desk: tuple[SlackSim, CodeReceiver], tmp_path: Path) -> None:
    slack, codes = desk
    async with TelegramSim(clock=PLATFORM_TIME) as tg, DiscordSim(interaction_timeout=DEADLINE) as dc:
        tg.add_user(TG_USER, first_name="Alice", language_code="en")
        dave = dc.add_user(username="dave")
        dave_id = int(dave["id"])
        proc = WalletdeskProcess(tmp_path, {
            **slack_env(slack, codes), "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
            "DISCORD_BOT_TOKEN": dc.token, "DISCORD_API_BASE_URL": dc.api_base, "DISCORD_GATEWAY_URL": dc.gateway_url,
        })
        await proc.start()
        try:
            async def on_telegram(text: str, expect: str) -> str:
                seen = len(tg.messages_to(TG_USER))
                await tg.user_message(TG_USER, text, user_id=TG_USER, first_name="Alice")
                reply = await tg.wait_for(lambda: next((m.plain_text for m in tg.messages_to(TG_USER)[seen:]
                                                         if expect in m.plain_text), None))
                return str(reply)

            dm = dc.open_dm(dave_id)
            code = re.search(r"/link ([0-9A-F]{8})", await on_telegram("/link", "/link "))
            assert code
            await dc.user_message(dm, f"/link {code.group(1)}", author_id=dave_id)
            await dc.wait_for(lambda: any("Almost done" in m["content"] for m in dc.messages_in(dm)))
            await tg.wait_for(lambda: any("wants to link" in m.plain_text and "Discord" in m.plain_text
                                          for m in tg.messages_to(TG_USER)))
            await on_telegram("/link confirm", "accounts are linked")
            await dc.wait_for(lambda: any("accounts are linked" in m["content"] for m in dc.messages_in(dm)))

            await on_telegram("/human my funds never arrived", "#1")
            root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
            assert re.search(rf"Linked accounts: Discord \S+ \({dave_id}\)", str(root.blocks))

            events = proc.base_url + "/slack/events"
            acct = Account.create()
            await on_telegram(f"/wallet {acct.address}", "No wallet proof was requested")
            await slack.slash_command(events, "/ticket", "1 wallet", user=AGENT, channel=STAFF)
            await tg.wait_for(lambda: any("prove you control your wallet" in m.plain_text
                                          for m in tg.messages_to(TG_USER)))
            challenge = await on_telegram(f"/wallet {acct.address.lower()}", "sign this exact message")
            assert acct.address in challenge
            signature = acct.sign_message(encode_defunct(text=challenge.split("\n\n", 1)[1])).signature.hex()
            await on_telegram(f"/signature 0x{signature.removeprefix('0x')}", "verified")
            await slack.wait_for(lambda: any(u.ts == root.ts and f"wallet signature ({acct.address})" in str(u.blocks)
                                             for u in slack.updated))
        finally:
            await proc.stop()
