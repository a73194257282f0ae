"""Who the conversation stays silent for: blocked users (in the store, every
process) and floods (counted per process, :class:`core.support.ratelimit.InboundFlood`).

The dialogue asks after the shield has read the message and the event is claimed,
so a stopped message is still shielded (a leaked phrase is deleted) and a
redelivery is not counted twice; a stopped message is neither answered nor
relayed to a ticket.
"""

from __future__ import annotations

from collections.abc import Callable

from core.config import Settings
from core.i18n import t
from core.models import InboundMessage
from core.shield.gate import Guarded
from core.storage import SqlTx
from core.support.desk import TicketDesk
from core.support.outbox import Effects
from core.support.ratelimit import InboundFlood

__all__ = ["Gatekeeper", "delete_leak"]


class Gatekeeper:
    def __init__(self, settings: Settings, desk: TicketDesk, clock: Callable[[], float]) -> None:
        per_user, per_group = settings.flood_limits()
        self.flood = InboundFlood(per_user, per_group, clock=clock)
        self.limits = {"user": per_user, "group": per_group}
        self.group_auto_answer = settings.group_auto_answer
        self.desk = desk

    def _counts(self, msg: InboundMessage) -> bool:
        """Only what the bot would answer or relay counts: a busy group's chatter does not."""
        return msg.chat.is_private or msg.addressed or self.group_auto_answer

    async def stopped(self, tx: SqlTx, msg: InboundMessage, lang: str, effects: Effects, *,
                      blocked: bool | None = None) -> str | None:
        """``blocked``, ``flood`` or None (the message goes on). Queues the one notice when due.
        ``blocked``: whether this transaction already found a block (not read again)."""
        speaks = msg.chat.is_private or msg.addressed
        reply_to = None if msg.chat.is_private else msg.message_id
        if blocked is None:
            blocked = await tx.block_of(await tx.confirmed_user_keys(msg.user.key)) is not None
        if blocked:
            if speaks and await tx.mark_block_noticed(msg.user.key):
                effects.send(msg.chat, t("abuse.blocked_notice", lang), reply_to=reply_to)
            return "blocked"
        if not self._counts(msg):
            return None
        verdict = self.flood.hit(msg.user.key, None if msg.chat.is_private else msg.chat.key)
        if verdict is None:
            return None
        kind, first = verdict
        if first:
            limit = self.limits[kind]
            assert limit is not None
            count, seconds = limit[0], f"{limit[1]:g}"
            if kind == "user":
                effects.send(msg.chat, t("abuse.flood_user", lang, seconds=seconds), reply_to=reply_to)
            else:
                effects.send(msg.chat, t("abuse.flood_group", lang, seconds=seconds))
            who = msg.user.key if kind == "user" else msg.chat.key
            effects.send(self.desk.chat, t("abuse.desk_flood", "en", who=who, count=count, seconds=seconds))
        return "flood"


def delete_leak(msg: InboundMessage, guarded: Guarded, effects: Effects) -> None:
    """Delete a message that leaked a secret (and its earlier parts), saying nothing."""
    if guarded.leak and msg.can_delete and msg.message_id:
        for part in (*guarded.earlier_parts, msg.message_id):
            effects.delete(msg.chat, part)

