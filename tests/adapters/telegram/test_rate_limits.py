"""A burst above Telegram's documented limits is delivered whole, in order, once, each 429's
``retry_after`` waited out (issue 16 item 6): the real windows (no WALLETDESK_RATE_LIMIT_SCALE),
the simulator's limits, the adapter's limiter and the outbox on one virtual clock."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from adapters.telegram import TelegramAdapter
from core.faq_engine import FaqEngine
from core.models import ChatRef
from core.storage.sqlite import SQLiteStore
from core.support.outbox import Effects, OutboxWorker
from core.use_cases import UseCases
from tests.adapters.telegram.conftest import GROUP
from tests.adapters.virtual_outbox import JumpClock, drain, on_virtual_time
from tests.conftest import RecordingCodeSender, make_settings
from tests.simulators.telegram_sim import TelegramSim


async def test_a_burst_over_the_group_minute_after_a_restart_is_delivered_whole_in_order_once(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine,
    code_sender: RecordingCodeSender,
) -> None:
    clock = JumpClock(1_000.0)
    tg.clock = clock
    assert tg.rate_limits is not None
    # the process before this one sent the group its 20 messages of this minute, then restarted:
    # the new process's limiter knows nothing of them, Telegram does
    async with aiohttp.ClientSession() as http:
        for n in range(20):
            async with http.post(f"{tg.api_url}/sendMessage", json={"chat_id": GROUP, "text": f"before {n}"}) as r:
                assert r.status == 200
            clock.advance(1.0)
    settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_BASE_URL=tg.base_url)
    assert settings.rate_limit_scale == 1.0  # Telegram's own windows
    core = UseCases(settings, sqlite_store, faq_engine, code_sender=code_sender)
    adapter = TelegramAdapter(core)
    await adapter.start()
    try:
        adapter.limiter = on_virtual_time(adapter.limiter, clock)
        burst = [f"answer {n}" for n in range(25)]  # more than a group takes in a minute
        effects = Effects("burst")
        for text in burst:
            effects.send(ChatRef("telegram", str(GROUP)), text)
        async with sqlite_store.transaction() as tx:
            await effects.flush(tx, clock())
        worker = OutboxWorker(sqlite_store, {"telegram": adapter}, clock=clock)
        took = await drain(worker, sqlite_store, clock)
    finally:
        await adapter.stop()
        await core.aclose()
    refused = [r for r in tg.rate_limits.refused if r.key == str(GROUP)]
    assert refused and refused[0].rule == "group"  # the first send of the burst was refused
    assert tg.rate_limits.early_retries() == []  # every retry_after was waited out
    assert tg.texts_to(GROUP)[20:] == burst  # all, in order, none twice
    async with sqlite_store.transaction() as tx:
        assert [row.status for row in await tx.deliveries()] == ["sent"] * 25
    assert took >= 60.0  # 45 messages cannot reach one group in less than two of its minutes


async def test_a_long_reply_refused_after_its_first_part_resumes_at_the_second(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine,
    code_sender: RecordingCodeSender,
) -> None:
    clock = JumpClock(1_000.0)
    tg.clock = clock
    assert tg.rate_limits is not None
    async with aiohttp.ClientSession() as http:  # 19 of the group's 20 this minute, from the process before
        for n in range(19):
            async with http.post(f"{tg.api_url}/sendMessage", json={"chat_id": GROUP, "text": f"before {n}"}) as r:
                assert r.status == 200
            clock.advance(1.0)
    settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_BASE_URL=tg.base_url)
    core = UseCases(settings, sqlite_store, faq_engine, code_sender=code_sender)
    adapter = TelegramAdapter(core)
    await adapter.start()
    try:
        adapter.limiter = on_virtual_time(adapter.limiter, clock)
        first, second = "a" * 4000, "b" * 3000  # over Telegram's 4,096 characters: two messages
        effects = Effects("long")
        effects.send(ChatRef("telegram", str(GROUP)), f"{first}\n\n{second}")
        async with sqlite_store.transaction() as tx:
            await effects.flush(tx, clock())
        await drain(OutboxWorker(sqlite_store, {"telegram": adapter}, clock=clock), sqlite_store, clock)
    finally:
        await adapter.stop()
        await core.aclose()
    assert [r.rule for r in tg.rate_limits.refused] == ["group"]  # the second part, the group's 21st
    assert tg.rate_limits.early_retries() == []
    assert [t.strip() for t in tg.texts_to(GROUP)[19:]] == [first, second]  # the first part once
