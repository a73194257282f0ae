"""A store outage while Telegram updates arrive (issue 16 item 2): nothing is lost,
nothing is processed twice. The webhook answers 503 so that Telegram sends the
update again; polling does not confirm the update and fetches it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.storage.sqlite import SQLiteStore
from tests.adapters.telegram.conftest import GROUP, USER, running_rig
from tests.conftest import RecordingCodeSender
from tests.fixtures.images import PHRASE
from tests.outage import StoreOutage, messages_in, store_failures
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import wait_until


async def test_webhook_answers_503_while_the_store_is_down_and_the_update_is_processed_once(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outage = StoreOutage(sqlite_store.path, monkeypatch)
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender, webhook=True) as rig:
        with outage:
            await tg.user_message(USER, "what are your support hours?", user_id=USER, chat_type="private")
            await wait_until(lambda: tg.webhook_deliveries, what="a first webhook delivery")
            assert tg.webhook_deliveries[0][1] == 503  # not "ok": the update was not kept
            await wait_until(lambda: len(tg.webhook_deliveries) >= 3, what="Telegram trying again")
        await tg.wait_for_message(USER)
        await wait_until(lambda: tg.webhook_deliveries[-1][1] == 200, what="the delivery that was kept")
        await rig.settle()
        statuses = [status for _, status in tg.webhook_deliveries]
        assert len({update for update, _ in tg.webhook_deliveries}) == 1
        assert set(statuses[:-1]) == {503} and statuses[-1] == 200
        assert len(tg.messages_to(USER)) == 1 and messages_in(rig.core.metrics, "telegram") == 1
        # Telegram sending the kept update once more changes nothing
        await tg.duplicate_last_update()
        await tg.drain()
        await rig.settle()
        assert len(tg.messages_to(USER)) == 1 and messages_in(rig.core.metrics, "telegram") == 1


async def test_polling_fetches_the_unkept_update_again_and_processes_each_once(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outage = StoreOutage(sqlite_store.path, monkeypatch)
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        with outage:
            await tg.user_message(USER, "what are your support hours?", user_id=USER, chat_type="private")
            await tg.user_message(USER, "what are your support hours?", user_id=USER, chat_type="private")
            await wait_until(lambda: store_failures(rig.core.metrics, "telegram") >= 2,
                             what="the first update failing twice")
        await wait_until(lambda: len(tg.messages_to(USER)) >= 2, what="both answers")
        await tg.drain()  # both updates confirmed
        await rig.settle()
        assert len(tg.messages_to(USER)) == 2 and messages_in(rig.core.metrics, "telegram") == 2


async def test_an_update_not_kept_when_the_bot_stops_is_fetched_again_on_the_next_start(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outage = StoreOutage(sqlite_store.path, monkeypatch)
    with outage:
        async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
            await tg.user_message(USER, "what are your support hours?", user_id=USER, chat_type="private")
            await wait_until(lambda: store_failures(rig.core.metrics, "telegram") >= 1, what="the update failing")
        # stopped while the store is still down: the update was never confirmed
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        await tg.wait_for_message(USER)
        await tg.drain()
        await rig.settle()
        assert len(tg.messages_to(USER)) == 1 and messages_in(rig.core.metrics, "telegram") == 1


async def test_polling_skips_an_update_it_cannot_read_and_goes_on(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    """One update python-telegram-bot cannot parse must not stop polling for every later one."""
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        await tg.user_message(USER, "what are your support hours?", user_id=USER, chat_type="private")
        await tg.inject_update({"message": {"message_id": 1, "date": "not a date", "chat": "nonsense"}})
        await tg.user_message(USER, "how do I add a custom token?", user_id=USER, chat_type="private")
        await wait_until(lambda: len(tg.messages_to(USER)) >= 2, what="both answers")
        await tg.drain()  # every update confirmed, the unreadable one included
        await rig.settle()
        assert len(tg.messages_to(USER)) == 2 and messages_in(rig.core.metrics, "telegram") == 2


async def test_a_phrase_posted_in_a_group_while_the_store_is_down_is_deleted_at_once(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing can be queued while the store is down, and the update may come back only
    minutes later: the phrase must not stay public that long. Once the store is back the
    update is kept and the warnings follow, once."""
    outage = StoreOutage(sqlite_store.path, monkeypatch)
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        with outage:
            posted = await tg.user_message(GROUP, f"is this right? {' '.join(PHRASE)}", user_id=USER,
                                         first_name="Alice")
            key = (GROUP, posted["message_id"])
            await wait_until(lambda: key in tg.deleted, what="the phrase deleted during the outage")
            assert store_failures(rig.core.metrics, "telegram") >= 1 and not tg.messages_to(GROUP)
        await tg.wait_for_message(GROUP)  # the public notice, once the update was kept
        await tg.drain()
        await rig.settle()
        assert messages_in(rig.core.metrics, "telegram") == 1 and len(tg.messages_to(GROUP)) == 1
