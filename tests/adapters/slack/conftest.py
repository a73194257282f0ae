"""A real SlackAdapter (slack-bolt + slack-sdk) served over HTTP on 127.0.0.1,
talking to SlackSim, with a real UseCases on SQLite and an OutboxWorker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.slack import SlackAdapter
from core.faq_engine import FaqEngine
from core.support.outbox import OutboxWorker
from core.use_cases import UseCases
from core.storage.sqlite import SQLiteStore
from tests.conftest import Clock, RecordingCodeSender, make_settings
from tests.simulators.chat_limits import scaled_clock
from tests.simulators.slack_sim import SlackSim
from tests.waiting import DEADLINE, wait_quiet, wait_until

STAFF = "C0STAFF"
COMMUNITY = "C0COMMUNITY"
ALICE = "U0ALICE"  # a community user
ALICE_DM = "D0ALICE"
BOB = "U0BOB"  # staff
CAROL = "U0CAROL"  # a community user, not staff
RATE_LIMIT_SCALE = 0.001  # the product's limiter and the simulator's documented windows, both 1,000 times faster


@dataclass
class Desk:
    sim: SlackSim
    adapter: SlackAdapter
    core: UseCases
    store: SQLiteStore
    url: str

    async def settle(self, timeout: float = DEADLINE) -> None:
        """Wait until interaction handlers are done and the outbox is empty (twice in a row,
        since delivered staff replies queue their ✅ afterwards). A handler may rebuild the
        FAQ (``/faq add``): half a minute on a busy machine, well within the deadline."""
        async def busy() -> list[str]:
            await self.adapter.drain(timeout=timeout)
            async with self.store.transaction() as tx:
                pending = int((await tx.outbox_stats(time.time()))["pending"])
            return [f"handler {t.get_name()}" for t in self.adapter._tasks] + ["outbox row"] * pending
        await wait_quiet(busy, timeout=timeout, interval=0.03, what="the Slack desk (handlers, outbox)")

    async def ticket_root(self) -> Any:
        """The latest ticket root message in the staff channel, once its ts is the ticket's desk_ref."""
        root = await self.sim.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
        ticket = await wait_until(lambda: self.core.ticket_for_desk_ref(root.ts), what="the root's desk_ref stored")
        return root, ticket


@pytest.fixture
async def sim() -> AsyncIterator[SlackSim]:
    async with SlackSim(clock=scaled_clock(RATE_LIMIT_SCALE)) as s:
        s.add_channel(STAFF, "staff-desk")
        s.add_channel(COMMUNITY, "community")
        s.add_user(ALICE, "alice", display_name="Alice", locale="en-US")
        s.add_channel(ALICE_DM, is_im=True, user=ALICE)
        s.add_user(BOB, "bob", display_name="Bob (support)")
        s.add_user(CAROL, "carol", locale="zh-CN")
        yield s


@pytest.fixture
async def make_desk(
    sim: SlackSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine, clock: Clock,
    code_sender: RecordingCodeSender,
) -> AsyncIterator[Callable[..., Awaitable[Desk]]]:
    cleanups: list[Callable[[], Awaitable[None]]] = []

    async def build(**env: str) -> Desk:
        env.setdefault("SLACK_STAFF_USERS", BOB)  # staff are always named (the policy fails closed)
        env = {k: v for k, v in env.items() if v is not None}
        settings = make_settings(
            tmp_path, SLACK_BOT_TOKEN=sim.token, SLACK_SIGNING_SECRET=sim.signing_secret,
            SLACK_API_BASE_URL=sim.api_url.rstrip("/"), SLACK_STAFF_CHANNEL=STAFF,
            WALLETDESK_RATE_LIMIT_SCALE=str(RATE_LIMIT_SCALE), **env,
        )
        core = UseCases(settings, sqlite_store, faq_engine, code_sender=code_sender, clock=clock)
        adapter = SlackAdapter(core)
        adapter.claim_desk()
        core.adopt(adapter.platform, await adapter.start())  # as core/wiring/app.py does
        worker = OutboxWorker(sqlite_store, {"slack": adapter}, poll_interval=0.05, max_attempts=3,
                              on_result=core.timers.delivery_finished)
        core.on_enqueue(worker.wake)
        core.dialogue.direct_delete.use(worker.deliver_now)  # as core/wiring/app.py does
        task = asyncio.create_task(worker.run())
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_routes(adapter.web_routes())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"

        async def cleanup() -> None:
            worker.stop()
            await asyncio.wait_for(task, DEADLINE)
            await adapter.stop()
            await core.aclose()  # the OCR worker, when an image started one
            await runner.cleanup()

        cleanups.append(cleanup)
        return Desk(sim, adapter, core, sqlite_store, url)

    yield build
    for cleanup in reversed(cleanups):
        await cleanup()


@pytest.fixture
async def desk(make_desk: Callable[..., Awaitable[Desk]]) -> Desk:
    return await make_desk()
