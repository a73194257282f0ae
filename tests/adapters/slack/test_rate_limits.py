"""Bursts above Slack's documented limits are delivered whole, in order, once, each 429's
``Retry-After`` waited out (issue 16 item 6): the real windows (no WALLETDESK_RATE_LIMIT_SCALE),
the simulator's limits, the adapter's limiter and the outbox on one virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackAdapter
from core.faq_engine import FaqEngine
from core.models import ChatRef
from core.storage.sqlite import SQLiteStore
from core.support.outbox import Effects, OutboxWorker
from core.use_cases import UseCases
from tests.adapters.slack.conftest import BOB, COMMUNITY, STAFF
from tests.adapters.virtual_outbox import JumpClock, drain, on_virtual_time
from tests.conftest import RecordingCodeSender, make_settings
from tests.simulators.slack_sim import SlackSim


@pytest.fixture
async def on_time(sim: SlackSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine,
                  code_sender: RecordingCodeSender) -> AsyncIterator[tuple[JumpClock, OutboxWorker]]:
    clock = JumpClock(1_000.0)
    sim.clock = clock
    settings = make_settings(tmp_path, SLACK_BOT_TOKEN=sim.token, SLACK_SIGNING_SECRET=sim.signing_secret,
                             SLACK_API_BASE_URL=sim.api_url.rstrip("/"), SLACK_STAFF_CHANNEL=STAFF,
                             SLACK_STAFF_USERS=BOB)
    assert settings.rate_limit_scale == 1.0  # Slack's own windows
    core = UseCases(settings, sqlite_store, faq_engine, code_sender=code_sender)
    adapter = SlackAdapter(core)
    adapter.claim_desk()
    await adapter.start()
    adapter.limiter = adapter.sender.limiter = on_virtual_time(adapter.limiter, clock)
    try:
        yield clock, OutboxWorker(sqlite_store, {"slack": adapter}, clock=clock)
    finally:
        await adapter.stop()
        await core.aclose()


async def _statuses(store: SQLiteStore) -> list[str]:
    async with store.transaction() as tx:
        return [row.status for row in await tx.deliveries()]


async def test_a_burst_into_a_channel_another_process_just_posted_in_is_delivered_whole_in_order_once(
        sim: SlackSim, sqlite_store: SQLiteStore, on_time: tuple[JumpClock, OutboxWorker]) -> None:
    clock, worker = on_time
    assert sim.rate_limits is not None
    other = AsyncWebClient(token=sim.token, base_url=sim.api_url)  # a second process, its own limiter
    for n in range(3):
        await other.chat_postMessage(channel=COMMUNITY, text=f"other {n}")
    burst = [f"answer {n}" for n in range(12)]
    effects = Effects("burst")
    for text in burst:
        effects.send(ChatRef("slack", COMMUNITY), text)
    async with sqlite_store.transaction() as tx:
        await effects.flush(tx, clock())
    await drain(worker, sqlite_store, clock)
    assert [r.rule for r in sim.rate_limits.refused] == ["channel"]  # the burst's first post
    assert sim.rate_limits.early_retries() == []
    assert sim.texts_in(COMMUNITY)[3:] == burst
    assert await _statuses(sqlite_store) == ["sent"] * 12


async def test_more_acknowledgements_than_reactions_add_takes_in_a_minute_are_all_made_in_order(
        sim: SlackSim, sqlite_store: SQLiteStore, on_time: tuple[JumpClock, OutboxWorker]) -> None:
    clock, worker = on_time
    assert sim.rate_limits is not None
    # 60 staff replies in the ticket's thread, each to be marked ✅ (reactions.add: Tier 3, 50 a minute);
    # the adapter has no limiter for reactions, so the platform's 429 is what paces them
    replies = [sim.user_message_event(STAFF, BOB, f"reply {n}", ts=f"1700000000.{n:06d}")["ts"] for n in range(60)]
    effects = Effects("acks")
    for ts in replies:
        effects.desk(ChatRef("slack", STAFF), "desk_ack", 7, {"ref": ts, "ok": True})
    async with sqlite_store.transaction() as tx:
        await effects.flush(tx, clock())
    took = await drain(worker, sqlite_store, clock)
    assert {r.rule for r in sim.rate_limits.refused} == {"tier3"}
    assert sim.rate_limits.early_retries() == []
    assert [ts for _channel, ts, name in sim.reactions if name == "white_check_mark"] == replies
    assert await _statuses(sqlite_store) == ["sent"] * 60
    assert took >= 60.0  # the 51st waited for the minute to end
