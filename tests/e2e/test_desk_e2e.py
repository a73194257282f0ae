"""The whole support story through the real ``walletdesk`` process: a Telegram
user, a moderator, and staff on the Slack desk, each platform a local simulator
spoken to by its real library over sockets, and the one-time code going through
a real signed webhook."""

from __future__ import annotations

from pathlib import Path

import pytest
from mnemonic import Mnemonic

from tests.e2e.harness import PLATFORM_TIME, CodeReceiver, WalletdeskProcess
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim

GROUP = -1002
USER = 601
ADMIN = 901
STAFF = "C0STAFF"
AGENT = "U0AGENT"


@pytest.fixture
async def sims():
    async with TelegramSim(clock=PLATFORM_TIME) as tg, SlackSim(clock=PLATFORM_TIME) as slack, CodeReceiver() as codes:
        tg.add_chat(GROUP, "supergroup", title="Wallet Community", admins=[ADMIN])
        tg.add_user(USER, first_name="Alice", language_code="en")
        tg.add_user(ADMIN, first_name="Mod", language_code="en")
        # staff are the members of the private staff channel (verified private at start-up)
        slack.add_channel(STAFF, "staff-desk", is_private=True, members=[AGENT])
        slack.add_user(AGENT, "agent", display_name="Agent Bob")
        yield tg, slack, codes


def env(tg: TelegramSim, slack: SlackSim, codes: CodeReceiver) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
        "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF,
        "WALLETDESK_OTP_WEBHOOK_URL": codes.url, "WALLETDESK_OTP_WEBHOOK_SECRET": codes.secret.decode(),
    }


async def test_escalate_claim_reply_note_verify_resolve(sims, tmp_path: Path) -> None:
    tg, slack, codes = sims
    proc = WalletdeskProcess(tmp_path, env(tg, slack, codes))
    await proc.start()
    events = proc.base_url + "/slack/events"
    try:
        # the group: a known question is answered, an unknown one offered a human
        await tg.user_message(GROUP, "@walletdesk_bot what are gas fees?", user_id=USER, first_name="Alice")
        await tg.wait_for_message(GROUP, lambda m: "fee" in m.plain_text.lower())
        await tg.user_message(GROUP, "@walletdesk_bot who wins the football tonight", user_id=USER, first_name="Alice")
        await tg.wait_for_message(GROUP, lambda m: "moderator can pass" in m.plain_text)

        # a moderator escalates a user's message
        problem = await tg.user_message(GROUP, "my account is frozen and I can't withdraw", user_id=USER,
                                        first_name="Alice")
        await tg.user_message(GROUP, "/escalate vip", user_id=ADMIN, first_name="Mod",
                              reply_to_message_id=problem["message_id"])
        notice = await tg.wait_for_message(GROUP, lambda m: "start=ticket_1" in m.plain_text)
        assert notice.reply_to_message_id == problem["message_id"]

        # the ticket appears on the Slack desk
        root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
        assert "#1" in root.text or "#1" in str(root.blocks)
        await slack.wait_for_post(STAFF, lambda m: "frozen" in m.text, thread_ts=root.ts)

        # the user continues privately
        await tg.user_message(USER, "/start ticket_1", user_id=USER, chat_type="private", first_name="Alice")
        await tg.wait_for_message(USER, lambda m: "#1" in m.plain_text)

        # staff claim: the root message is updated in place
        await slack.block_action(events, "wd_claim", "1", user=AGENT, channel=STAFF, message_ts=root.ts)
        await slack.wait_for(lambda: any(u.ts == root.ts and "claimed" in str(u.blocks) for u in slack.updated))

        # a reply in the thread reaches the user; an internal note does not
        reply = slack.user_message_event(STAFF, AGENT, "Hi Alice, we are looking at it now", thread_ts=root.ts)
        assert (await slack.send_event(events, reply)).status == 200
        await tg.wait_for_message(USER, lambda m: "looking at it now" in m.plain_text)
        await slack.wait_for(lambda: any(r for r in slack.reactions if "white_check_mark" in str(r)))
        await slack.slash_command(events, "/note", "#1 INTERNAL-ONLY compliance check", user=AGENT, channel=STAFF)
        await slack.wait_for_post(STAFF, lambda m: "INTERNAL-ONLY" in m.text, thread_ts=root.ts)

        # verification: the code goes to the webhook, the user types it privately, staff see "verified"
        await slack.block_action(events, "wd_request_verification", "1", user=AGENT, channel=STAFF, message_ts=root.ts)
        code = await codes.wait_code()
        await tg.wait_for_message(USER, lambda m: "one-time code" in m.plain_text)
        await tg.user_message(USER, code, user_id=USER, chat_type="private", first_name="Alice")
        await tg.wait_for_message(USER, lambda m: "verified" in m.plain_text)
        await slack.wait_for(lambda: any(u.ts == root.ts and "verified at" in str(u.blocks) for u in slack.updated))

        # a pasted recovery phrase is deleted and never reaches the store or Slack
        phrase = Mnemonic("english").generate(128)
        leak = await tg.user_message(USER, f"here are my words {phrase}", user_id=USER, chat_type="private",
                                     first_name="Alice")
        await tg.wait_for(lambda: (USER, leak["message_id"]) in tg.deleted)

        # resolve: the user is asked for a rating
        await slack.block_action(events, "wd_resolve", "1", user=AGENT, channel=STAFF, message_ts=root.ts)
        await tg.wait_for_message(USER, lambda m: "1 (bad) to 5 (great)" in m.plain_text)
        await tg.user_message(USER, "5 thanks!", user_id=USER, chat_type="private", first_name="Alice")
        await slack.wait_for_post(STAFF, lambda m: "CSAT 5/5" in m.text, thread_ts=root.ts)
        await proc.drain()  # nothing left to send...
    finally:
        await proc.stop()  # ...and nothing left to write
    user_texts = " ".join(tg.texts_to(USER))
    assert "INTERNAL-ONLY" not in user_texts
    everything_on_slack = " ".join(m.text + str(m.blocks) for m in [*slack.posted, *slack.updated])
    assert phrase not in everything_on_slack and code not in everything_on_slack
    dump = proc.db_dump()
    assert phrase not in dump and code not in dump
    assert phrase not in proc.output()
