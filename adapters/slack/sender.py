"""Core deliveries -> Slack Web API calls (the adapter's :class:`core.wiring.platform.Sender`).

=============  ===============================================================
``send``       ``chat.postMessage`` (in ``thread_id`` or under ``reply_to``),
               user text escaped and sent with ``mrkdwn=false``
``dm``         ``conversations.open`` then ``chat.postMessage``
``delete``     ``chat.delete``, with the workspace admin's user token when one is
               configured (a bot token cannot delete people's messages:
               ``cant_delete_message`` is then a :class:`DeliveryError`)
``desk_upsert``  the ticket's root message: ``chat.postMessage`` (returns the
               ``ts`` the core keeps as ``desk_ref``) or ``chat.update`` in place
``desk_post``  ``chat.postMessage`` in the ticket's thread
``desk_ack``   ``reactions.add`` ✅ / ⚠️ on the staff reply
``desk_file``  a user's file into the ticket's thread: Slack's external upload
               (``files.getUploadURLExternal``, the upload to the URL it returns,
               ``files.completeUploadExternal`` with ``channel_id`` and
               ``thread_ts``), which ``files_upload_v2`` performs
``send_file``  the same upload into a chat (``dm_file``: the user's DM)
=============  ===============================================================
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import desk_line, ticket_blocks, ticket_fallback
from adapters.slack.errors import api_error_code, slack_errors
from adapters.slack.text import escape
from core.errors import DeliveryError, RetryLater
from core.models import Delivery, DeliveryResult
from core.support.parts import SentParts
from core.support.ratelimit import ChatRateLimiter
from core.text import split_text

__all__ = ["SlackSender", "TEXT_LIMIT"]

_LOGGER = logging.getLogger(__name__)

# Slack refuses more than 40,000 characters and clients truncate long messages;
# 4,000 per message keeps each part readable (escaping can grow it, never past 40k).
TEXT_LIMIT = 4000
_DM_CACHE = 10_000


class SlackSender:
    """Delivers outbox rows to Slack.

    Args:
        client: the Web API client (its ``base_url`` may point at a simulator).
        limiter: outgoing rate limits per channel and overall.
        lang: language of the staff desk's own labels.
    """

    platform = "slack"

    def __init__(self, client: AsyncWebClient, limiter: ChatRateLimiter, *, lang: str = "en",
                 admin_client: AsyncWebClient | None = None) -> None:
        self.client = client
        self.admin_client = admin_client  # SLACK_ADMIN_USER_TOKEN's: deletes people's messages
        self.limiter = limiter
        self.lang = lang
        self._dm_channels: OrderedDict[str, str] = OrderedDict()
        self._parts = SentParts()  # parts of long messages already posted, per outbox row

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        handler = {
            "send": self._send, "dm": self._dm, "delete": self._delete,
            "desk_upsert": self._desk_upsert, "desk_post": self._desk_post, "desk_ack": self._desk_ack,
            "desk_delete": self._desk_delete,
            "desk_file": self._desk_file, "send_file": self._send_file, "dm_file": self._send_file,
        }.get(delivery.action)
        if handler is None:
            raise DeliveryError(f"slack cannot {delivery.action!r}")
        with slack_errors():
            return await handler(delivery, desk_ref)

    # user-facing -----------------------------------------------------------------

    async def _post_text(self, channel: str, text: str, *, thread_ts: str | None, plain: bool,
                         row: int | None = None) -> str | None:
        """``row``: the outbox row, so a retry after a refused part resumes there (core/support/parts.py)."""
        done, last = self._parts.done(row)
        for n, chunk in enumerate(split_text(text, TEXT_LIMIT)):
            if n < done or not chunk.strip():
                continue  # taken before a later part was refused, or nothing to say
            await self.limiter.acquire(channel, is_group=not channel.startswith("D"))
            extra: dict[str, Any] = {"mrkdwn": False} if plain else {}
            resp = await self.client.chat_postMessage(
                channel=channel, text=escape(chunk), thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                **extra,
            )
            last = str(resp.get("ts") or "") or last
            self._parts.took(row, n + 1, last)
        self._parts.finished(row)
        return last

    async def _send(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        payload = delivery.payload
        reply_to = payload.get("reply_to")
        thread_ts = delivery.thread_id or (str(reply_to) if reply_to else None)
        ts = await self._post_text(delivery.chat_id, str(payload.get("text", "")), thread_ts=thread_ts, plain=True,
                                   row=delivery.id)
        return DeliveryResult(external_id=ts)

    async def _dm_channel(self, user_id: str) -> str:
        channel = self._dm_channels.get(user_id)
        if channel is None:
            resp = await self.client.conversations_open(users=user_id)
            channel = str((resp.get("channel") or {}).get("id") or "")
            if not channel:
                raise DeliveryError("conversations.open returned no channel")
            self._dm_channels[user_id] = channel
            if len(self._dm_channels) > _DM_CACHE:
                self._dm_channels.popitem(last=False)
        else:
            self._dm_channels.move_to_end(user_id)
        return channel

    async def _dm(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        user_id = str(delivery.payload.get("user_id") or delivery.chat_id)
        channel = await self._dm_channel(user_id)
        ts = await self._post_text(channel, str(delivery.payload.get("text", "")), thread_ts=None, plain=True,
                                   row=delivery.id)
        return DeliveryResult(external_id=ts)

    async def _delete(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        try:
            await (self.admin_client or self.client).chat_delete(channel=delivery.chat_id,
                                                                 ts=str(delivery.payload["message_id"]))
        except SlackApiError as exc:
            if api_error_code(exc) != "message_not_found":  # already gone is done
                raise
        return DeliveryResult()

    # staff desk ---------------------------------------------------------------------

    async def _desk_upsert(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        blocks = ticket_blocks(delivery.payload, self.lang)
        text = ticket_fallback(delivery.payload)
        await self.limiter.acquire(delivery.chat_id, is_group=True)
        if desk_ref:
            await self.client.chat_update(channel=delivery.chat_id, ts=desk_ref, text=text, blocks=blocks)
            return DeliveryResult(external_id=desk_ref)
        resp = await self.client.chat_postMessage(channel=delivery.chat_id, text=text, blocks=blocks,
                                                  unfurl_links=False, unfurl_media=False)
        return DeliveryResult(external_id=str(resp["ts"]))

    async def _desk_post(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        if not desk_ref:
            raise RetryLater("ticket root message not posted yet", retry_after=1.0)
        line = desk_line(str(delivery.payload.get("kind", "system")), str(delivery.payload.get("text", "")), self.lang)
        done, last = self._parts.done(delivery.id)
        for n, chunk in enumerate(split_text(line, TEXT_LIMIT)):
            if n < done:
                continue  # taken before a later part was refused
            await self.limiter.acquire(delivery.chat_id, is_group=True)
            resp = await self.client.chat_postMessage(channel=delivery.chat_id, thread_ts=desk_ref, text=chunk,
                                                      unfurl_links=False, unfurl_media=False)
            last = str(resp.get("ts") or "") or last
            self._parts.took(delivery.id, n + 1, last)
        self._parts.finished(delivery.id)
        return DeliveryResult(external_id=last)

    async def _desk_delete(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        """A line the bot posted in a ticket's thread that turned out to hold part of a
        secret (a phrase sent in pieces): the bot token may delete the bot's own messages."""
        try:
            await self.client.chat_delete(channel=delivery.chat_id, ts=str(delivery.payload["message_id"]))
        except SlackApiError as exc:
            if api_error_code(exc) != "message_not_found":  # already gone is done
                raise
        return DeliveryResult()

    async def _desk_ack(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        ref = delivery.payload.get("ref")
        if not ref:
            return DeliveryResult()
        name = "white_check_mark" if delivery.payload.get("ok") else "warning"
        try:
            await self.client.reactions_add(channel=delivery.chat_id, timestamp=str(ref), name=name)
        except SlackApiError as exc:
            if api_error_code(exc) != "already_reacted":  # a retried ack is done
                raise
        return DeliveryResult()

    # files ---------------------------------------------------------------------------

    async def _upload(self, delivery: Delivery, channel: str, thread_ts: str | None) -> DeliveryResult:
        blob = delivery.file
        if blob is None:
            raise DeliveryError("slack: a file delivery without its file")
        comment = str(delivery.payload.get("text") or "")[:TEXT_LIMIT] or None
        await self.limiter.acquire(channel, is_group=not channel.startswith("D"))
        resp = await self.client.files_upload_v2(channel=channel, thread_ts=thread_ts, file=blob.data,
                                                 filename=blob.name, title=blob.name, initial_comment=comment)
        file = resp.get("file") or {}
        return DeliveryResult(external_id=str(file.get("id") or "") or None)

    async def _desk_file(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        if not desk_ref:
            raise RetryLater("ticket root message not posted yet", retry_after=1.0)
        return await self._upload(delivery, delivery.chat_id, desk_ref)

    async def _send_file(self, delivery: Delivery, desk_ref: str | None) -> DeliveryResult:
        if delivery.action == "dm_file":
            channel = await self._dm_channel(str(delivery.payload.get("user_id") or delivery.chat_id))
            return await self._upload(delivery, channel, None)
        return await self._upload(delivery, delivery.chat_id, delivery.thread_id)
