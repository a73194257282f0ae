"""A phrase sent in pieces, through the whole core: the window in the dialogue
catches it when the last piece arrives, every piece is deleted from the chat, and
the pieces the open ticket already holds are scrubbed from the store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from mnemonic import Mnemonic

from core.config import Settings
from core.faq_engine import FaqEngine
from core.models import ChatRef, InboundMessage, UserRef
from core.storage import Store
from core.storage.sealed_rows import SealedStore
from core.storage.sealing import Sealer
from core.storage.sqlite import SQLiteStore
from core.use_cases import UseCases
from tests.conftest import Clock, RecordingCodeSender

PHRASE = Mnemonic("english").to_mnemonic(bytes(range(32, 48)))
WORDS = PHRASE.split()
USER = UserRef("telegram", "300")
DM = ChatRef("telegram", "300", is_private=True)
GROUP = ChatRef("telegram", "-700")


def _holds_piece(blob: str) -> bool:
    """Four phrase words in a row anywhere is already a leak."""
    return any(" ".join(WORDS[i:i + 4]) in blob for i in range(len(WORDS) - 3))


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return list(con.execute(sql))
    finally:
        con.close()


def _deleted(db: Path) -> list[str]:
    rows = _rows(db, "SELECT payload FROM outbox WHERE action = 'delete'")
    return [str(json.loads(str(r[0])).get("message_id")) for r in rows]


@pytest.mark.parametrize("chat", [DM, GROUP], ids=["private", "group"])
async def test_a_phrase_sent_in_two_halves_is_deleted_whole(core: UseCases, tmp_path: Path, chat: ChatRef) -> None:
    said = iter(range(1, 100))

    async def say(text: str) -> None:
        i = next(said)
        await core.dialogue.handle_message(InboundMessage(f"tg:{i}", USER, chat, text, str(i),
                                                          display_name="Dana", addressed=True))

    await say("I need a human please")
    await say(" ".join(WORDS[:6]))
    await say(" ".join(WORDS[6:]))
    assert _deleted(tmp_path / "test.db") == ["2", "3"]  # both halves, first one first
    stored = "\n".join(str(r) for table in ("ticket_events", "outbox", "tickets", "conversations")
                       for r in _rows(tmp_path / "test.db", f"SELECT * FROM {table}"))
    assert not _holds_piece(stored)


async def test_ordinary_short_messages_in_a_row_are_not_deleted(core: UseCases, tmp_path: Path) -> None:
    said = iter(range(1, 100))
    for text in ("hello", "ok", "thank you", "wallet", "still waiting", "any news"):
        i = next(said)
        await core.dialogue.handle_message(InboundMessage(f"tg:{i}", USER, DM, text, str(i), addressed=True))
    assert _deleted(tmp_path / "test.db") == []


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
async def test_a_desk_line_already_posted_with_a_first_half_is_deleted(
        settings: Settings, faq_engine: FaqEngine, clock: Clock, code_sender: RecordingCodeSender, tmp_path: Path,
        sealed: bool) -> None:
    """The first half reached the desk thread before the second half showed it was a
    phrase: the posted line is taken back (a desk_delete of that message), not only the
    store's copy."""
    db = tmp_path / "desk.db"
    store: Store = SealedStore(SQLiteStore(db), Sealer([b"k" * 32])) if sealed else SQLiteStore(db)
    await store.open()
    core = UseCases(settings, store, faq_engine, code_sender=code_sender, clock=clock)
    said = iter(range(1, 100))

    async def say(text: str) -> None:
        i = next(said)
        await core.dialogue.handle_message(InboundMessage(f"tg:{i}", USER, DM, text, str(i), display_name="Dana",
                                                          addressed=True))

    try:
        await say("I need a human please")
        await say(" ".join(WORDS[:6]))
        con = sqlite3.connect(db)  # the worker posted everything so far: Slack gave each line a ts
        with con:
            con.execute("UPDATE outbox SET status = 'sent', external_id = 'ts-' || id WHERE status = 'pending'")
        posted = [str(r[0]) for r in con.execute("SELECT external_id FROM outbox WHERE action = 'desk_post'")]
        con.close()
        await say(" ".join(WORDS[6:]))
        async with store.transaction() as tx:
            rows = await tx.deliveries()
        taken_back = [r.data["message_id"] for r in rows if r.action == "desk_delete"]
        assert len(taken_back) == 1 and taken_back[0] in posted
        assert not _holds_piece("\n".join(str(r) for r in rows))
    finally:
        await store.close()
