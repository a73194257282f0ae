"""Deleting a leaked secret while the store is down.

Nothing can be queued then (the outbox is in the store), and the platform may take
minutes to hand the message over again (Discord never does): a secret posted in a
group is deleted at once, straight through the platform. The warnings follow once
the message is kept. Private chats wait: only the bot sees them, and without the
conversation a transaction hash the bot asked for cannot be told from a key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.models import Delivery, InboundMessage
from core.shield.gate import TextSource, guard

__all__ = ["DirectDelete"]

_LOGGER = logging.getLogger(__name__)
_REMEMBERED = 1_000  # event keys deleted already, so a retry of the same message does not delete twice


class DirectDelete:
    def __init__(self, scan_limit: int) -> None:
        self.scan_limit = scan_limit
        self._deliver: Callable[[Delivery], Awaitable[bool]] | None = None
        self._done: dict[str, None] = {}

    def use(self, deliver: Callable[[Delivery], Awaitable[bool]]) -> None:
        """Hands a delivery straight to its platform, without the store (the outbox worker's)."""
        self._deliver = deliver

    async def after_store_failure(self, msg: InboundMessage) -> None:
        if (self._deliver is None or msg.chat.is_private or not msg.can_delete or not msg.message_id
                or msg.event_key in self._done):
            return
        if not guard(msg.text.strip()[:self.scan_limit], TextSource.MESSAGE).leak:
            return
        delivery = Delivery(0, msg.chat.platform, "delete", msg.chat.chat_id, msg.chat.thread_id,
                            {"message_id": msg.message_id})
        if await self._deliver(delivery):
            self._done[msg.event_key] = None
            while len(self._done) > _REMEMBERED:
                del self._done[next(iter(self._done))]
            _LOGGER.warning("shield: message %s in %s deleted while the store is down", msg.message_id, msg.chat.key)
