"""Pure converters between Telegram objects and core values."""

from __future__ import annotations

from telegram import Message, Update

from core.models import ChatRef, InboundImage, InboundMessage, UserRef

__all__ = ["author", "chat_ref", "images", "inbound", "is_addressed", "is_edit", "strip_mention"]


def author(message: Message) -> tuple[UserRef, str, str | None] | None:
    """Who wrote ``message``: ``(user, display name, locale)``, or None for the bot's own.

    A message sent as a channel or by an anonymous group admin carries a bot
    ``from`` (Channel_Bot, GroupAnonymousBot) and the real sender in
    ``sender_chat``; a channel post has only ``sender_chat`` (or its chat). Those
    are written by someone, so they reach the shield under the sender chat's id.
    """
    sender_chat = message.sender_chat or (message.chat if message.chat.type == "channel" else None)
    if sender_chat is not None:
        return UserRef("telegram", str(sender_chat.id)), sender_chat.title or sender_chat.username or "", None
    user = message.from_user
    if user is None or user.is_bot:
        return None
    return UserRef("telegram", str(user.id)), user.full_name or (user.username or ""), user.language_code


def is_edit(update: Update) -> bool:
    return update.edited_message is not None or update.edited_channel_post is not None


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


def images(message: Message) -> tuple[InboundImage, ...]:
    """The files of ``message``: a photo (Telegram sends it in several sizes: the
    largest is read) or a document ("as a file", at full size) with its type; the
    shield reads the images, and in a private chat the core decides what else may
    go on to the desk."""
    if message.photo:
        largest = max(message.photo, key=lambda p: p.width * p.height)
        return (InboundImage(largest.file_id, "image/jpeg", largest.file_size, "photo.jpg"),)  # photos are JPEG
    doc = message.document
    if doc is not None:
        return (InboundImage(doc.file_id, doc.mime_type or "application/octet-stream", doc.file_size,
                             doc.file_name or ""),)
    return ()


def inbound(update: Update, message: Message, *, bot_id: int, username: str, is_moderator: bool = False) -> InboundMessage:
    """An edit is reported like a new message (its own update_id) but never
    addressed to the bot: the shield sees it, nothing answers it."""
    who = author(message)
    assert who is not None
    text = message.text or message.caption or ""
    return InboundMessage(
        event_key=f"telegram:update:{update.update_id}",
        user=who[0],
        chat=chat_ref(message),
        text=strip_mention(text, username),
        message_id=str(message.message_id),
        display_name=who[1],
        locale=who[2],
        addressed=not is_edit(update) and is_addressed(message, bot_id, username),
        is_moderator=is_moderator,
        images=images(message),
    )
