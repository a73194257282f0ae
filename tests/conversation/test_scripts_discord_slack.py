"""The conversation scripts that need no clock, settings or staff, through the real
``walletdesk`` process on Discord (discord.py against the Discord simulator) and
Slack (bolt against the Slack simulator), each script a DM of its own user. What
the user sees is checked (``says``, ``not``, ``lang``), as on Telegram."""

from __future__ import annotations

from pathlib import Path

from tests.conversation.script import check_replies, numbered, parse_script
from tests.conversation.test_scripts_telegram import PLAIN
from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.simulators.discord_sim import DiscordSim
from tests.simulators.slack_sim import SlackSim
from tests.waiting import DEADLINE, wait_until

STAFF = "C0STAFF"
AGENT = "U0AGENT"


async def test_plain_scripts_through_discord_dms(tmp_path: Path) -> None:
    async with DiscordSim(interaction_timeout=DEADLINE) as dc:
        proc = WalletdeskProcess(tmp_path, {"DISCORD_BOT_TOKEN": dc.token, "DISCORD_API_BASE_URL": dc.api_base,
                                            "DISCORD_GATEWAY_URL": dc.gateway_url})
        await proc.start()
        try:
            for n, script in enumerate(PLAIN):
                user = int(dc.add_user(username=f"user{n}")["id"])
                dm = dc.open_dm(user)
                for step in parse_script(script):
                    before = len(dc.messages_in(dm))
                    await dc.user_message(dm, step.text, author_id=user)
                    if "silent" in step.expect:
                        continue
                    await wait_until(lambda: len(dc.messages_in(dm)) > before, what=f"{script.name}:{step.line}")
                    await proc.drain()
                    texts = [numbered(m["content"]) for m in dc.messages_in(dm)[before:]]
                    check_replies(step, texts, f"discord {script.name}:{step.line}")
        finally:
            await proc.stop()


async def test_plain_scripts_through_slack_dms(tmp_path: Path) -> None:
    async with SlackSim(clock=PLATFORM_TIME) as slack:
        slack.add_channel(STAFF, "staff-desk", is_private=True, members=[AGENT])
        slack.add_user(AGENT, "agent", display_name="Agent Bob")
        proc = WalletdeskProcess(tmp_path, {"SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET":
                                            slack.signing_secret, "SLACK_API_BASE_URL": slack.api_url,
                                            "SLACK_STAFF_CHANNEL": STAFF})
        await proc.start()
        events = proc.base_url + "/slack/events"
        try:
            for n, script in enumerate(PLAIN):
                user, dm = f"U0SCRIPT{n}", f"D0SCRIPT{n}"
                slack.add_user(user, f"user{n}", display_name=f"User {n}")

                def replies() -> list[str]:
                    return [m.text for m in slack.posted if m.channel == dm and not m.ephemeral_to]

                for step in parse_script(script):
                    before = len(replies())
                    delivery = await slack.send_event(events, slack.user_message_event(dm, user, step.text,
                                                                                       channel_type="im"))
                    assert delivery.status == 200
                    if "silent" in step.expect:
                        continue
                    await wait_until(lambda: len(replies()) > before, what=f"{script.name}:{step.line}")
                    await proc.drain()
                    check_replies(step, [numbered(x) for x in replies()[before:]], f"slack {script.name}:{step.line}")
        finally:
            await proc.stop()
