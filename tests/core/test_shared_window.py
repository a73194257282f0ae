"""A phrase split over two messages that two processes handle (webhooks behind a load
balancer): with the window in the store both halves are deleted, on a SQLite file and
on PostgreSQL; the kept parts are sealed and expire."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mnemonic import Mnemonic

from core.config import Settings
from core.faq_engine import FaqEngine
from core.models import ChatRef, InboundMessage, UserRef
from core.ops.privacy import forget_user
from core.storage.postgres import PostgresStore
from core.storage.sealed_rows import SealedStore
from core.storage.sealing import Sealer
from core.storage.sqlite import SQLiteStore
from core.use_cases import UseCases
from tests.conftest import PG_DSN, make_settings

WORDS = Mnemonic("english").to_mnemonic(bytes(range(64, 80))).split()
USER = UserRef("telegram", "300")
GROUP = ChatRef("telegram", "-700")
KEY = b"w" * 32


@pytest.fixture(params=["sqlite", "postgres"])
async def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[SealedStore, SealedStore]]:
    """Two processes' stores on one database, each sealing with the same key."""
    if request.param == "sqlite":
        inner: list[Any] = [SQLiteStore(tmp_path / "shared.db") for _ in range(2)]
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        inner = [PostgresStore(PG_DSN, schema=schema) for _ in range(2)]
    stores = [SealedStore(s, Sealer([KEY])) for s in inner]
    for s in stores:
        await s.open()
    yield stores[0], stores[1]
    if request.param == "postgres":
        await stores[0].drop_schema()
    for s in stores:
        await s.close()


def _core(settings: Settings, store: Any, faq_engine: FaqEngine, clock: Any, code_sender: Any) -> UseCases:
    return UseCases(settings, store, faq_engine, code_sender=code_sender, clock=clock)


def _msg(i: int, text: str) -> InboundMessage:
    return InboundMessage(f"tg:{i}", USER, GROUP, text, str(i), display_name="Dana", addressed=True)


async def _deleted(store: SealedStore) -> list[str]:
    async with store.transaction() as tx:
        return sorted(str(r.data.get("message_id")) for r in await tx.deliveries()
                      if r.action == "delete")


async def _raw_parts(store: SealedStore) -> list[dict[str, Any]]:
    async with store.transaction() as tx:
        return await tx._c.raw.fetchall("SELECT * FROM phrase_parts")  # noqa: SLF001


@pytest.mark.parametrize("mode,caught", [("store", True), ("memory", False)])
async def test_halves_on_two_processes(two_stores: tuple[SealedStore, SealedStore], tmp_path: Path, mode: str,
                                       caught: bool, faq_engine: FaqEngine, clock: Any, code_sender: Any) -> None:
    """In memory each process sees one harmless half: the store-backed window is what catches it."""
    settings = make_settings(tmp_path, WALLETDESK_PHRASE_WINDOW=mode)
    a, b = (_core(settings, s, faq_engine, clock, code_sender) for s in two_stores)
    await a.dialogue.handle_message(_msg(1, " ".join(WORDS[:6])))
    if mode == "store":
        (row,) = await _raw_parts(two_stores[0])
        assert row["parts"].startswith("wd1:") and not any(w in row["parts"] for w in WORDS[:6])
        assert row["expires_at"] == pytest.approx(clock() + 180)
    clock.advance(5)
    await b.dialogue.handle_message(_msg(2, " ".join(WORDS[6:])))
    assert await _deleted(two_stores[0]) == (["1", "2"] if caught else [])
    if caught:
        assert await _raw_parts(two_stores[0]) == []  # a find drops the parts


async def test_parts_expire(two_stores: tuple[SealedStore, SealedStore], tmp_path: Path, faq_engine: FaqEngine,
                            clock: Any, code_sender: Any) -> None:
    settings = make_settings(tmp_path, WALLETDESK_PHRASE_WINDOW="store")
    a, b = (_core(settings, s, faq_engine, clock, code_sender) for s in two_stores)
    await a.dialogue.handle_message(_msg(1, " ".join(WORDS[:6])))
    clock.advance(181)
    await b.dialogue.handle_message(InboundMessage("tg:9", UserRef("telegram", "301"), GROUP, "hello all", "9",
                                                   display_name="Eve", addressed=True))
    # any write sweeps expired parts: Dana's are gone, Eve's fresh ones stay
    assert [r["user_key"] for r in await _raw_parts(two_stores[0])] == ["telegram:301"]
    await b.dialogue.handle_message(_msg(2, " ".join(WORDS[6:])))
    assert await _deleted(two_stores[0]) == []


async def test_halves_at_the_same_moment_are_scanned_in_turn(
        two_stores: tuple[SealedStore, SealedStore], tmp_path: Path, faq_engine: FaqEngine, clock: Any,
        code_sender: Any) -> None:
    settings = make_settings(tmp_path, WALLETDESK_PHRASE_WINDOW="store")
    a, b = (_core(settings, s, faq_engine, clock, code_sender) for s in two_stores)
    await asyncio.gather(a.dialogue.handle_message(_msg(1, " ".join(WORDS[:6]))),
                         b.dialogue.handle_message(_msg(2, " ".join(WORDS[6:]))))
    deleted = await _deleted(two_stores[0])
    assert "2" in deleted or "1" in deleted  # whichever came second caught the phrase...
    assert deleted == ["1", "2"]  # ...and named the other half


async def test_forget_drops_the_kept_parts(two_stores: tuple[SealedStore, SealedStore], tmp_path: Path,
                                           faq_engine: FaqEngine, clock: Any, code_sender: Any) -> None:
    settings = make_settings(tmp_path, WALLETDESK_PHRASE_WINDOW="store")
    a = _core(settings, two_stores[0], faq_engine, clock, code_sender)
    await a.dialogue.handle_message(_msg(1, " ".join(WORDS[:6])))
    assert len(await _raw_parts(two_stores[0])) == 1
    await forget_user(two_stores[0], USER.key)
    assert await _raw_parts(two_stores[0]) == []
