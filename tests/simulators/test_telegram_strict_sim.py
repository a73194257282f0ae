"""The Telegram simulator delivers what Telegram delivers (issue 16 item 6): group
privacy mode, channel senders (``sender_chat``) and forum topics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest

from .chat_limits import Ticks
from .telegram_sim import TelegramSim

GROUP, ADMIN_GROUP, FORUM, ALICE = -1001, -1002, -1003, 42


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSim]:
    async with TelegramSim(clock=Ticks()) as s:  # a second between requests: the limits are tested apart
        s.add_chat(GROUP, "supergroup", title="Wallet help", bot_is_admin=False)
        s.add_chat(ADMIN_GROUP, "supergroup", title="Moderated", bot_is_admin=True)
        s.add_chat(FORUM, "supergroup", title="Forum", is_forum=True)
        yield s


@pytest.fixture
async def bot(sim: TelegramSim) -> AsyncIterator[Bot]:
    async with Bot(sim.token, base_url=f"{sim.base_url}/bot") as b:
        yield b


async def _texts(bot: Bot) -> list[str]:
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return [u.message.text or "" for u in updates if u.message]


async def test_privacy_mode_delivers_only_commands_replies_and_mentions(sim: TelegramSim, bot: Bot) -> None:
    assert (await bot.get_me()).can_read_all_group_messages is False
    mine = await bot.send_message(GROUP, "I am the bot")
    for text in ("just chatting", "/help", "/help@walletdesk_bot", "/help@other_bot", "hey @walletdesk_bot",
                 "@WalletDesk_Bot case does not matter"):
        await sim.user_message(GROUP, text, user_id=ALICE)
    await sim.user_message(GROUP, "thanks, bot", user_id=ALICE, reply_to_message_id=mine.message_id)
    assert await _texts(bot) == ["/help", "/help@walletdesk_bot", "hey @walletdesk_bot",
                                 "@WalletDesk_Bot case does not matter", "thanks, bot"]
    assert [u["message"]["text"] for u in sim.withheld] == ["just chatting", "/help@other_bot"]
    # a group where the bot is an admin, and a private chat, deliver everything
    await sim.user_message(ADMIN_GROUP, "just chatting", user_id=ALICE)
    await sim.user_message(ALICE, "hello", user_id=ALICE)
    assert await _texts(bot) == ["just chatting", "hello"]


async def test_privacy_mode_off_delivers_every_group_message() -> None:
    async with TelegramSim(privacy_mode=False) as sim:
        sim.add_chat(GROUP, "supergroup", bot_is_admin=False)
        async with Bot(sim.token, base_url=f"{sim.base_url}/bot") as bot:
            assert (await bot.get_me()).can_read_all_group_messages is True
            await sim.user_message(GROUP, "just chatting", user_id=ALICE)
            assert await _texts(bot) == ["just chatting"]


async def test_channel_and_anonymous_admin_senders(sim: TelegramSim, bot: Bot) -> None:
    await sim.user_message(ADMIN_GROUP, "from the channel", user_id=ALICE, as_channel=-100777)
    await sim.user_message(ADMIN_GROUP, "from an admin", user_id=ALICE, anonymous_admin=True)
    updates = await bot.get_updates(timeout=0)
    channel, admin = (u.message for u in updates)
    assert channel.sender_chat.id == -100777 and channel.sender_chat.type == "channel"
    assert channel.from_user.username == "Channel_Bot"
    assert admin.sender_chat.id == ADMIN_GROUP and admin.from_user.username == "GroupAnonymousBot"


async def test_forum_topics_in_and_out(sim: TelegramSim, bot: Bot) -> None:
    topic = await sim.add_topic(FORUM, "Withdrawals", creator_id=None)
    asked = await sim.user_message(FORUM, "/help my withdrawal", user_id=ALICE, topic_id=topic)
    updates = await bot.get_updates(timeout=0)
    created, message = (u.message for u in updates)
    assert created.forum_topic_created.name == "Withdrawals" and created.message_thread_id == topic
    assert message.is_topic_message and message.message_thread_id == topic
    assert message.reply_to_message.message_id == topic  # a topic's messages reply to its first one

    sent = await bot.send_message(FORUM, "answer in the topic", message_thread_id=topic)
    assert sent.message_thread_id == topic and sent.is_topic_message
    reply = await bot.send_message(FORUM, "a reply lands in its topic", reply_to_message_id=asked["message_id"])
    assert reply.message_thread_id == topic
    general = await bot.send_message(FORUM, "in General")
    assert general.message_thread_id is None
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.send_message(FORUM, "nowhere", message_thread_id=999)
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.send_message(GROUP, "not a forum", message_thread_id=topic)
    with pytest.raises(ValueError):
        await sim.user_message(FORUM, "unknown topic", user_id=ALICE, topic_id=999)
