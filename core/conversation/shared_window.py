"""The split-phrase window kept in the store, for several processes sharing one chat's traffic.

Where one process receives all of a chat's messages (Telegram polling, the Discord
gateway) the dialogue's in-memory :class:`PhraseWindow` is enough. Where several web
processes share the traffic (webhooks behind a load balancer), the halves of a phrase
can land on different processes, so the window lives in the store: per user and chat,
one ``phrase_parts`` row holding the recent word-list-only messages, sealed at rest
like every message body (:mod:`core.storage.sealed_rows`) and expiring after the
window's seconds (expired rows are deleted on every write).

Each message runs load, scan and save in one transaction holding a lock on the
conversation (PostgreSQL advisory lock; SQLite's write lock), so two halves handled at
once by two processes are scanned one after the other. The window object is made
fresh per message: no state stays in the process.

``WALLETDESK_PHRASE_WINDOW``: ``memory``, ``store``, or ``auto`` (the default: the store
on PostgreSQL, where several processes are the normal deployment; memory on SQLite).
"""

from __future__ import annotations

import json
import logging

from core.config import Settings
from core.models import InboundMessage
from core.shield.gate import Guarded, PhraseWindow, RecentParts, TextSource, guard
from core.shield.normalize import safe_text
from core.shield.window import could_be_part
from core.storage.base import Store

__all__ = ["WINDOW_SECONDS", "guard_alone", "guard_in_store", "guard_shared", "wants_shared_window"]

_LOGGER = logging.getLogger(__name__)

WINDOW_SECONDS = 180.0  # as the in-memory window: parts older than this are not joined
_WINDOW_LOCK = 0x7766  # advisory lock namespace: one conversation's window at a time


def wants_shared_window(settings: Settings, store: Store) -> bool:
    mode = settings.phrase_window
    return mode == "store" or (mode == "auto" and getattr(store, "dialect", "") == "postgres")


def guard_alone(text: str, *, expect_tx_hash: bool) -> Guarded | None:
    """The verdict :func:`guard_shared` would give without reading the window, when no window
    can change it: the message holds no secret on its own and is not made only of list
    words, so it is no part of a phrase and only ends the conversation's sequence (the
    caller drops a kept window row). None: the window is needed (:func:`guard_shared`).
    Most messages are like this: they cost no window transaction."""
    if could_be_part(safe_text(text).strip()):
        return None
    guarded = guard(text, TextSource.MESSAGE, expect_tx_hash=expect_tx_hash)
    return None if guarded.leak else guarded


async def guard_in_store(store: Store, msg: InboundMessage, text: str, *, expect_tx_hash: bool,
                         now: float) -> tuple[Guarded, bool]:
    """:func:`guard_alone`, else :func:`guard_shared`; and whether the message ended the
    conversation's sequence without the window being read (the caller's transaction then
    drops a kept window row: ``TurnStart.window_kept``)."""
    alone = guard_alone(text, expect_tx_hash=expect_tx_hash)
    if alone is not None:
        return alone, True
    return await guard_shared(store, msg, text, expect_tx_hash=expect_tx_hash, now=now), False


async def guard_shared(store: Store, msg: InboundMessage, text: str, *, expect_tx_hash: bool, now: float,
                       seconds: float = WINDOW_SECONDS) -> Guarded:
    """:func:`core.shield.gate.guard` with the conversation's window loaded from and saved
    to the store (``msg`` must carry a message id).

    Raises:
        StoreError: the store failed; nothing of the message was kept.
    """
    user, chat = msg.user.key, msg.chat.key
    async with store.transaction() as tx:
        await tx.lock_name(_WINDOW_LOCK, f"{user} {chat}")
        raw = await tx.phrase_parts(user, chat, now)
        window = PhraseWindow(seconds=seconds, clock=lambda: now)
        kept = [(str(m), str(t), float(at)) for m, t, at in json.loads(raw)] if raw else []
        # a redelivered message replaces its own earlier observation instead of doubling it
        window.restore(user, chat, [p for p in kept if p[0] != msg.message_id])
        guarded = guard(text, TextSource.MESSAGE, expect_tx_hash=expect_tx_hash,
                        recent=RecentParts(window, user, chat, msg.message_id))
        parts = window.parts(user, chat)
        if parts or raw:
            await tx.set_phrase_parts(user, chat, json.dumps(parts, ensure_ascii=False) if parts else None,
                                      now + seconds, now)
    return guarded
