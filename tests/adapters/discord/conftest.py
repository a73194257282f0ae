"""The Discord adapter around a real UseCases on SQLite, talking to the local
Discord simulator over real sockets, with an outbox worker delivering."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import discord.gateway
import discord.http
import pytest

from adapters.console import ConsoleAdapter
from adapters.discord import DiscordAdapter
from core.faq_engine import FaqEngine
from core.models import Ticket
from core.support.outbox import OutboxWorker
from core.use_cases import UseCases
from core.storage.sqlite import SQLiteStore
from tests.conftest import RecordingCodeSender, make_settings
from tests.simulators.discord_sim import DiscordSim

TOKEN = "sim-token-walletdesk"
STAFF_ID = 712345678901234567  # on the staff roster as "Alice Support"


@pytest.fixture(autouse=True)
def no_discord_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """discord.py and the adapter log (rather than raise) handler errors: fail on any."""
    caplog.set_level(logging.INFO)
    yield
    errors = [r for r in caplog.records
              if r.name.startswith(("discord", "adapters.discord")) and r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSim]:
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with DiscordSim(token=TOKEN) as simulator:
            yield simulator
    finally:  # the adapter sets both process-wide
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@dataclass
class Rig:
    sim: DiscordSim
    core: UseCases
    adapter: DiscordAdapter
    store: SQLiteStore
    desk: io.StringIO
    data_dir: Path

    async def ticket_of(self, user_id: int, timeout: float = 5.0) -> Ticket:
        async def find() -> Ticket | None:
            async with self.store.transaction() as tx:
                return await tx.active_ticket_for([f"discord:{user_id}"])
        deadline = asyncio.get_running_loop().time() + timeout
        while (ticket := await find()) is None:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no ticket for discord:{user_id}")
            await asyncio.sleep(0.02)
        return ticket

    async def no_ticket(self, user_id: int) -> bool:
        async with self.store.transaction() as tx:
            return await tx.active_ticket_for([f"discord:{user_id}"]) is None


@contextlib.asynccontextmanager
async def running_rig(sim: DiscordSim, tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine,
                      code_sender: RecordingCodeSender, *, adapter_class: type[DiscordAdapter] = DiscordAdapter,
                      identify_interval: float = 0.05, **env: str) -> AsyncIterator[Rig]:
    """The adapter started against ``sim`` with an outbox worker, for ``env`` settings."""
    # the base URL without /api/v10 on purpose: the adapter appends it
    settings = make_settings(
        tmp_path, DISCORD_BOT_TOKEN=TOKEN, DISCORD_API_BASE_URL=sim.base_url, DISCORD_GATEWAY_URL=sim.gateway_url,
        WALLETDESK_RATE_LIMIT_SCALE="0.01", **env,
    )
    core = UseCases(settings, store, faq_engine, code_sender=code_sender)
    desk_out = io.StringIO()
    adapter = adapter_class(core, guild_ready_timeout=0.05, ready_timeout=5.0, identify_interval=identify_interval)
    worker = OutboxWorker(store, {"discord": adapter, "console": ConsoleAdapter(core, stdout=desk_out)},
                          poll_interval=0.05, on_result=core.timers.delivery_finished)
    core.on_enqueue(worker.wake)
    await adapter.start()
    task = asyncio.create_task(worker.run())
    try:
        yield Rig(sim, core, adapter, store, desk_out, tmp_path)
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=5)
        await adapter.stop()


@pytest.fixture
async def rig(sim: DiscordSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine,
              code_sender: RecordingCodeSender) -> AsyncIterator[Rig]:
    async with running_rig(sim, tmp_path, sqlite_store, faq_engine, code_sender,
                           WALLETDESK_STAFF_NAMES=f"discord:{STAFF_ID}=Alice Support") as running:
        yield running
