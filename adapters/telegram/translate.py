"""Pure converters between Telegram objects and core values."""

from __future__ import annotations

from telegram import Message, Update

from core.models import ChatRef, InboundMessage, UserRef

__all__ = ["chat_ref", "inbound", "is_addressed", "strip_mention"]


def chat_ref(message: Message) -> ChatRef:
    thread = str(message.message_thread_id) if message.is_topic_message and message.message_thread_id else None
    return ChatRef("telegram", str(message.chat_id), thread, message.chat.type == "private")


def strip_mention(text: str, username: str) -> str:
    mention = f"@{username}"
    return " ".join(part for part in text.split() if part.lower() != mention.lower()) if mention.lower() in text.lower() else text


def is_addressed(message: Message, bot_id: int, username: str) -> bool:
    if message.chat.type == "private":
        return True
    text = message.text or message.caption or ""
    if f"@{username}".lower() in text.lower():
        return True
    reply = message.reply_to_message
    return bool(reply and reply.from_user and reply.from_user.id == bot_id)


def inbound(update: Update, message: Message, *, bot_id: int, username: str, is_moderator: bool = False) -> InboundMessage:
    user = message.from_user
    assert user is not None
    text = message.text or message.caption or ""
    return InboundMessage(
        event_key=f"telegram:update:{update.update_id}",
        user=UserRef("telegram", str(user.id)),
        chat=chat_ref(message),
        text=strip_mention(text, username),
        message_id=str(message.message_id),
        display_name=user.full_name or (user.username or ""),
        locale=user.language_code,
        addressed=is_addressed(message, bot_id, username),
        is_moderator=is_moderator,
    )
