"""The product on the strict Telegram simulator (issue 16 item 6): in a group under
privacy mode the bot still answers what reaches it; a question in a forum topic is
answered in that topic; an over-long message is split at Telegram's 4096 characters."""

from __future__ import annotations

from pathlib import Path

from core.models import Delivery
from core.storage.sqlite import SQLiteStore
from tests.adapters.telegram.conftest import USER, running_rig
from tests.conftest import RecordingCodeSender
from tests.simulators.telegram_sim import MAX_MESSAGE_LENGTH, TelegramSim

QUIET_GROUP, FORUM = -1009, -1010


async def test_under_privacy_mode_a_mention_is_answered_and_chatter_never_arrives(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    tg.add_chat(QUIET_GROUP, "supergroup", title="No admin rights here", bot_is_admin=False)
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        chatter = await tg.user_message(QUIET_GROUP, "anyone around? gas fees are crazy", user_id=USER)
        asked = await tg.user_message(QUIET_GROUP, "@walletdesk_bot what are gas fees?", user_id=USER)
        reply = await tg.wait_for_message(QUIET_GROUP)
        await rig.settle()
        assert reply.reply_to_message_id == asked["message_id"]
        assert [u["message"]["message_id"] for u in tg.withheld] == [chatter["message_id"]]
        assert len(tg.messages_to(QUIET_GROUP)) == 1


async def test_a_question_in_a_forum_topic_is_answered_in_that_topic(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    tg.add_chat(FORUM, "supergroup", title="Wallet forum", is_forum=True)
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        topic = await tg.add_topic(FORUM, "Fees")
        await tg.user_message(FORUM, "@walletdesk_bot what are gas fees?", user_id=USER, topic_id=topic)
        reply = await tg.wait_for_message(FORUM)
        await rig.settle()
        assert reply.message["message_thread_id"] == topic and reply.message["is_topic_message"]


async def test_an_over_long_message_is_split_at_4096(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    tg.add_chat(USER, "private")
    tg.started_private.add(USER)
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        text = ("word " * 2000).strip()  # 9999 characters
        await rig.adapter.deliver(Delivery(id=1, platform="telegram", action="send", chat_id=str(USER),
                                           thread_id=None, payload={"text": text}))
        parts = [m.plain_text for m in tg.messages_to(USER)]
        assert len(parts) == 3 and all(len(p) <= MAX_MESSAGE_LENGTH for p in parts)
        assert " ".join(p.strip() for p in parts) == text
