"""The staff's day on Slack through the real ``walletdesk`` process (issue 18 items
1, 2 and 7): the daily digest in the staff channel, the App Home tab, and a ticket's
transcript (the bot's part included) shown and exported from Slack."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import PLATFORM_TIME, CodeReceiver, WalletdeskProcess
from tests.e2e.test_discord_slack_e2e import AGENT, MEMBER, STAFF, desk, slack_env  # noqa: F401 (desk is a fixture)
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim

TG_USER = 701


async def test_digest_home_tab_and_transcripts_from_slack(desk: tuple[SlackSim, CodeReceiver],  # noqa: F811
                                                         tmp_path: Path) -> None:
    slack, codes = desk
    async with TelegramSim(clock=PLATFORM_TIME) as tg:
        tg.add_user(TG_USER, first_name="Alice", language_code="en")
        # 00:00: today's digest is due as soon as the process ticks
        proc = WalletdeskProcess(tmp_path, {**slack_env(slack, codes), "TELEGRAM_BOT_TOKEN": tg.token,
                                            "TELEGRAM_API_BASE_URL": tg.base_url, "WALLETDESK_DIGEST_AT": "00:00"})
        await proc.start()
        events = proc.base_url + "/slack/events"
        try:
            digest = await slack.wait_for_post(STAFF, lambda m: m.text.startswith("📊 Daily digest · "))
            assert "\nBacklog: " in digest.text and "SLA breaches in the last 24 h" in digest.text

            await tg.user_message(TG_USER, "I need a human", user_id=TG_USER, first_name="Alice")
            await tg.wait_for_message(TG_USER, lambda m: "Ticket #1" in m.plain_text)
            root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
            await tg.user_message(TG_USER, "thanks", user_id=TG_USER, first_name="Alice")
            await tg.wait_for_message(TG_USER, lambda m: "welcome" in m.plain_text.lower())

            await slack.send_event(events, slack.app_home_opened_event(AGENT))
            await slack.send_event(events, slack.app_home_opened_event(MEMBER))
            home = await slack.wait_for(lambda: slack.home_views.get(AGENT))
            line = next(b for b in home["blocks"] if b.get("text", {}).get("text", "").startswith("#1 · "))
            assert "Alice (telegram)" in line["text"]["text"]
            assert line["accessory"]["url"].endswith(f"/archives/{STAFF}/p{root.ts.replace('.', '')}")
            other = await slack.wait_for(lambda: slack.home_views.get(MEMBER))
            assert "支持团队" in other["blocks"][0]["text"]["text"]  # not staff, in their language

            await slack.slash_command(events, "/ticket", "1 transcript", user=AGENT, channel=STAFF)
            shown = await slack.wait_for(lambda: next((m.text for m in slack.ephemerals
                                                       if m.ephemeral_to == AGENT and "Ticket #1" in m.text), None))
            assert "bot_reply  bot: You're welcome" in shown  # the bot's part of the conversation
            await slack.slash_command(events, "/ticket", "1 export json", user=AGENT, channel=STAFF)
            upload = await slack.wait_for(lambda: next(iter(slack.uploads), None))
            exported = json.loads(upload.content)
            assert exported["ticket"]["id"] == 1 and upload.channel != STAFF
            assert [e["kind"] for e in exported["events"]].count("bot_reply") >= 2
            assert sum(m.text.startswith("📊 Daily digest") for m in slack.messages_in(STAFF)) == 1
        finally:
            await proc.stop()
