"""The real TelegramAdapter (python-telegram-bot) around a real UseCases on SQLite,
talking to the Telegram simulator over sockets, with an outbox worker delivering and
the console as the staff desk. Polling by default; ``webhook=True`` serves the webhook
on 127.0.0.1 (port 0) and registers it with the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.console.adapter import ConsoleAdapter
from adapters.telegram import TelegramAdapter
from core.faq_engine import FaqEngine
from core.models import Delivery
from core.storage import Store
from core.support.outbox import OutboxWorker
from core.use_cases import UseCases
from tests.conftest import RecordingCodeSender, make_settings
from tests.simulators.chat_limits import scaled_clock
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import wait_quiet

GROUP = -1001
USER = 501
RATE_LIMIT_SCALE = 0.01  # the product's limiter and the simulator's documented windows, both 100 times faster
WEBHOOK_SECRET = "tg-hook-secret"


@dataclass
class Rig:
    sim: TelegramSim
    core: UseCases
    adapter: TelegramAdapter
    store: Store
    desk: io.StringIO
    results: list[tuple[Delivery, bool, str | None]] = field(default_factory=list)

    async def settle(self) -> None:
        """Wait until the outbox has nothing left to send, on two looks in a row."""
        async def busy() -> int:
            async with self.store.transaction() as tx:
                return int((await tx.outbox_stats(time.time()))["pending"])
        await wait_quiet(busy, what="the Telegram outbox")


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSim]:
    async with TelegramSim(webhook_max_attempts=10_000, clock=scaled_clock(RATE_LIMIT_SCALE)) as sim:
        sim.add_chat(GROUP, "supergroup", title="Wallet Community")
        sim.add_user(USER, first_name="Alice", language_code="en")
        yield sim


@contextlib.asynccontextmanager
async def running_rig(sim: TelegramSim, tmp_path: Path, store: Store, faq_engine: FaqEngine,
                      code_sender: RecordingCodeSender, *, webhook: bool = False, **env: str) -> AsyncIterator[Rig]:
    holder: dict[str, TelegramAdapter] = {}
    runner: web.AppRunner | None = None
    if webhook:
        async def hook(request: web.Request) -> web.StreamResponse:
            return await holder["adapter"]._webhook(request)

        app = web.Application()
        app.router.add_post("/telegram/webhook", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        env = {"WALLETDESK_PUBLIC_URL": f"http://127.0.0.1:{runner.addresses[0][1]}",
               "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, **env}
    settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=sim.token, TELEGRAM_API_BASE_URL=sim.base_url,
                             WALLETDESK_RATE_LIMIT_SCALE=str(RATE_LIMIT_SCALE), **env)
    core = UseCases(settings, store, faq_engine, code_sender=code_sender)
    adapter = holder["adapter"] = TelegramAdapter(core)
    desk_out = io.StringIO()
    rig = Rig(sim, core, adapter, store, desk_out)

    async def on_result(delivery: Delivery, ok: bool, error: str | None, external: Any) -> None:
        rig.results.append((delivery, ok, error))
        await core.timers.delivery_finished(delivery, ok, error, external)

    worker = OutboxWorker(store, {"telegram": adapter, "console": ConsoleAdapter(core, stdout=desk_out)},
                          poll_interval=0.05, max_attempts=3, on_result=on_result)
    core.on_enqueue(worker.wake)
    core.dialogue.direct_delete.use(worker.deliver_now)  # as core/wiring/app.py does
    core.adopt(adapter.platform, await adapter.start())  # as core/wiring/app.py does
    task = asyncio.create_task(worker.run())
    try:
        yield rig
    finally:
        worker.stop()
        await task
        await adapter.stop()
        await core.aclose()  # the OCR worker, when an image started one
        if runner is not None:
            await runner.cleanup()
