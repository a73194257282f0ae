"""Hot reload of the FAQ and staff-added phrasings, on both store backends.

A small operator file in ``only`` mode keeps each rebuild fast; the store is
real (SQLite file or PostgreSQL schema), and two libraries on one store play
two processes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from mnemonic import Mnemonic

from core.errors import InvalidInput, NotFound
from core.faq.library import FaqLibrary
from core.faq.files import FaqFileError
from core.models import ChatRef, Priority, UserRef
from core.storage import Store
from tests.conftest import make_settings

NOW = 1_790_000_000.0

FAQ_YAML = """
- id: gas-fees
  questions:
    en: [why are gas fees so high, what is a network fee, how much does a transfer cost in fees]
    zh: [为什么手续费这么高, 网络费是什么]
  answers:
    en: Network fees go to the blockchain's validators, not to us.
    zh: 网络手续费支付给区块链验证者，而不是我们。
- id: transfer-not-arrived
  questions:
    en: [my transfer has not arrived, sent crypto but it never showed up, where is my transaction]
    zh: [转账还没到账, 转出的币没有到]
  answers:
    en: Look the transaction up in a block explorer with its hash.
    zh: 请用交易哈希在区块浏览器中查询。
- id: fake-staff
  questions:
    en: [someone claiming to be support messaged me, is this admin real, a staff member asked for my phrase]
    zh: [有人冒充客服私信我, 这个管理员是真的吗]
  answers:
    en: Real staff never DM first and never ask for your recovery phrase.
    zh: 真正的客服不会主动私信，也不会索要助记词。
"""

NEW_ENTRY_YAML = """
- id: swap-slippage
  questions:
    en: [my swap failed because of slippage, what slippage should I set, swap reverted price moved]
    zh: [兑换因为滑点失败了, 滑点应该设置多少]
  answers:
    en: Raise the slippage tolerance a little, or swap a smaller amount.
    zh: 请适当提高滑点容忍度，或减少兑换数量。
"""


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    # a second write in the same tick must still look new
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


@pytest.fixture
def faq_file(tmp_path: Path) -> Path:
    path = tmp_path / "faq.yaml"
    _write(path, FAQ_YAML)
    return path


async def _library(tmp_path: Path, store: Store, faq_file: Path) -> FaqLibrary:
    settings = make_settings(tmp_path, WALLETDESK_FAQ_FILE=str(faq_file), WALLETDESK_FAQ_MODE="only")
    library = FaqLibrary(settings, store)
    await library.load()
    return library


async def test_file_edit_is_picked_up_without_restart(tmp_path: Path, store: Store, faq_file: Path) -> None:
    library = await _library(tmp_path, store, faq_file)
    swapped: list[object] = []
    library.on_swap = swapped.append
    assert await library.refresh() is False  # nothing moved: no rebuild
    assert library.current.ask("my swap failed because of slippage").id != "swap-slippage"

    _write(faq_file, FAQ_YAML + NEW_ENTRY_YAML)
    assert await library.refresh() is True
    match = library.current.ask("my swap failed because of slippage")
    assert match.id == "swap-slippage" and match.answered
    assert swapped == [library.current] and library.reloads == 1


async def test_broken_file_keeps_the_previous_faq_and_says_so_once(
    tmp_path: Path, store: Store, faq_file: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    library = await _library(tmp_path, store, faq_file)
    before = library.current
    _write(faq_file, "- id: [unclosed\n")
    with caplog.at_level(logging.ERROR, logger="core.faq.library"):
        assert await library.refresh() is False
        assert await library.refresh() is False  # same broken file: not rebuilt, not logged again
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "faq.yaml" in errors[0].getMessage() and "\n" not in errors[0].getMessage()
    assert library.current is before
    assert library.current.ask("why are gas fees so high").id == "gas-fees"
    with pytest.raises(FaqFileError):
        await library.refresh(force=True)  # an explicit reload tells the admin why
    _write(faq_file, FAQ_YAML + NEW_ENTRY_YAML)  # fixed: the next look rebuilds
    assert await library.refresh() is True
    assert library.current.ask("what slippage should I set").id == "swap-slippage"


async def test_added_phrasing_is_answered_here_and_in_another_process(
    tmp_path: Path, store: Store, faq_file: Path,
) -> None:
    here = await _library(tmp_path, store, faq_file)
    there = await _library(tmp_path, store, faq_file)
    question = "the zorblax bridge ate my coins"
    assert here.current.ask(question).id != "transfer-not-arrived" or not here.current.ask(question).answered

    added = await here.add_phrasing("transfer-not-arrived", "  The   zorblax bridge ate my coins ", actor="slack:U1",
                                    now=NOW)
    assert (added.entry_id, added.lang, added.text, added.examples) == (
        "transfer-not-arrived", "en", "The zorblax bridge ate my coins", 4)
    match = here.current.ask(question)
    assert match.id == "transfer-not-arrived" and match.answered

    assert await there.refresh() is True  # the other process sees the stored phrasing
    assert there.current.ask(question).id == "transfer-not-arrived"
    async with store.transaction() as tx:
        (row,) = await tx.faq_phrasings()
    assert (row.entry_id, row.added_by, row.ticket_id) == ("transfer-not-arrived", "slack:U1", None)

    # a fresh process builds with it from the start
    third = await _library(tmp_path, store, faq_file)
    assert third.current.ask(question).id == "transfer-not-arrived"


async def test_phrasing_from_a_ticket_uses_the_question_staff_answered(
    tmp_path: Path, store: Store, faq_file: Path,
) -> None:
    library = await _library(tmp_path, store, faq_file)
    async with store.transaction() as tx:
        ticket = await tx.create_ticket(
            user=UserRef("telegram", "7"), origin=ChatRef("telegram", "7", is_private=True), origin_message_id="1",
            priority=Priority.NORMAL, category=None, lang="zh", subject="币安链上的币转过来一直显示处理中", now=NOW)
    added = await library.add_phrasing("transfer-not-arrived", "", actor="slack:U1", ticket_id=ticket.id, now=NOW)
    assert (added.lang, added.text) == ("zh", "币安链上的币转过来一直显示处理中")
    assert library.current.ask("币安链上的币转过来一直显示处理中").id == "transfer-not-arrived"
    async with store.transaction() as tx:
        (row,) = await tx.faq_phrasings()
    assert row.ticket_id == ticket.id
    with pytest.raises(NotFound) as missing:
        await library.add_phrasing("transfer-not-arrived", "", actor="slack:U1", ticket_id=999_999, now=NOW)
    assert missing.value.key == "faqadmin.no_ticket"


@pytest.mark.parametrize("entry_id, text, key", [
    ("no-such-entry", "where is my money", "faqadmin.unknown_entry"),
    ("gas-fees", "   ", "faqadmin.empty"),
    ("gas-fees", "x" * 301, "faqadmin.too_long"),
    ("gas-fees", "why are gas fees so high", "faqadmin.duplicate"),  # already in the file
    ("fake-staff", "support asked me for " + Mnemonic("english").generate(128), "faqadmin.secret"),
    ("fake-staff", "support asked me for [redacted: recovery phrase]", "faqadmin.secret"),
])
async def test_bad_phrasings_change_nothing(
    tmp_path: Path, store: Store, faq_file: Path, entry_id: str, text: str, key: str,
) -> None:
    library = await _library(tmp_path, store, faq_file)
    before = library.current
    with pytest.raises(InvalidInput) as refused:
        await library.add_phrasing(entry_id, text, actor="slack:U1", now=NOW)
    assert refused.value.key == key and "\n" not in str(refused.value)
    async with store.transaction() as tx:
        assert await tx.faq_phrasings() == []
    assert library.current is before


async def test_the_same_phrasing_twice_is_stored_once(tmp_path: Path, store: Store, faq_file: Path) -> None:
    library = await _library(tmp_path, store, faq_file)
    await library.add_phrasing("gas-fees", "fees ate half my balance", actor="slack:U1", now=NOW)
    with pytest.raises(InvalidInput) as again:
        await library.add_phrasing("gas-fees", "fees  ate half my balance", actor="slack:U2", now=NOW)
    assert again.value.key == "faqadmin.duplicate"
    async with store.transaction() as tx:
        assert len(await tx.faq_phrasings()) == 1


async def test_an_added_phrasing_can_be_taken_back(tmp_path: Path, store: Store, faq_file: Path) -> None:
    library = await _library(tmp_path, store, faq_file)
    question = "the zorblax bridge ate my coins"
    await library.add_phrasing("transfer-not-arrived", question, actor="slack:U1", now=NOW)
    await library.add_phrasing("gas-fees", "fees ate half my balance", actor="slack:U1", now=NOW)
    assert library.current.ask(question).id == "transfer-not-arrived"
    newest, oldest = await library.recent_phrasings()
    assert (newest.text, oldest.text) == ("fees ate half my balance", question)

    removed = await library.remove_phrasing(oldest.id, actor="slack:U2")
    assert removed.entry_id == "transfer-not-arrived" and removed.text == question
    assert question not in library.current.entries[1].questions["en"]
    assert [r.text for r in await library.recent_phrasings()] == ["fees ate half my balance"]
    with pytest.raises(NotFound) as gone:
        await library.remove_phrasing(oldest.id, actor="slack:U2")
    assert gone.value.key == "faqadmin.no_phrasing"
