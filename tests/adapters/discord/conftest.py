"""The Discord adapter around a real UseCases on SQLite, talking to the local
Discord simulator over real sockets, with an outbox worker delivering."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import discord.gateway
import discord.http
import pytest

from adapters.console.adapter import ConsoleAdapter
from adapters.discord import DiscordAdapter
from core.faq_engine import FaqEngine
from core.models import Ticket
from core.support.outbox import OutboxWorker
from core.use_cases import UseCases
from core.storage.sqlite import SQLiteStore
from core.i18n import t
from tests.conftest import RecordingCodeSender, make_settings
from tests.simulators.discord_sim import DiscordSim
from tests.waiting import DEADLINE, wait_quiet, wait_until

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
        # Discord's 3 s to answer an interaction is real, but no test of how busy CI is
        async with DiscordSim(token=TOKEN, interaction_timeout=DEADLINE) as simulator:
            yield simulator
    finally:  # the adapter sets both process-wide
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


async def expect_leak_removed(sim: DiscordSim, message_id: int | str, user_id: int, leaked: str,
                              channel_id: int | None = None) -> None:
    """The message is deleted, its author warned by DM, the channel (the sim's first
    text channel unless ``channel_id``) told, and ``leaked`` is in nothing the bot sent."""
    await sim.wait_for(lambda: any(d["message_id"] == int(message_id) for d in sim.deleted))
    dm = await sim.wait_for(lambda: sim.dm_channel_for(user_id))
    warning = await sim.wait_for_message(dm)
    assert warning["content"].startswith("⚠️")
    notice = await sim.wait_for_message(channel_id or sim.channel_id)
    assert notice["content"] == t("shield.public_notice", "en")
    sent = [c.body for c in sim.calls if c.method == "POST" and isinstance(c.body, dict)]
    assert not any(leaked in str(body) for body in sent)


@dataclass
class Rig:
    sim: DiscordSim
    core: UseCases
    adapter: DiscordAdapter
    store: SQLiteStore
    desk: io.StringIO
    data_dir: Path

    async def ticket_of(self, user_id: int, timeout: float = DEADLINE) -> Ticket:
        async def find() -> Ticket | None:
            async with self.store.transaction() as tx:
                return await tx.active_ticket_for([f"discord:{user_id}"])
        return await wait_until(find, timeout=timeout, what=f"a ticket for discord:{user_id}")

    async def settle(self) -> None:
        """Wait until every event handler discord.py scheduled has finished and the outbox
        has nothing left to send, on two looks in a row: after this, nothing more happens
        for what the simulator has delivered so far."""
        async def busy() -> list[str]:
            handlers = [t.get_name() for t in asyncio.all_tasks() if not t.done()
                        and t.get_name().startswith(("discord.py: ", "CommandTree-invoker"))]
            async with self.store.transaction() as tx:
                pending = int((await tx.outbox_stats(time.time()))["pending"])
            return handlers + ["outbox row"] * pending
        await wait_quiet(busy)

    async def barrier(self, channel_id: int | None = None) -> None:
        """Wait until the bot has read everything the simulator sent it so far on the
        connection (shard) that serves ``channel_id``, then :meth:`settle`. The gateway delivers in
        order, so once a /faq sent now is answered, every earlier event has its handler
        scheduled (the answer is ephemeral: it adds no message to any channel)."""
        payload = await self.sim.slash_command("faq", {"question": "what are your support hours?"},
                                               user_id=999_000_000_000_000_001, channel_id=channel_id)
        iid = int(payload["id"])
        await self.sim.wait_for(lambda: self.sim.interaction_responses.get(iid))
        await self.settle()

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
    core.dialogue.direct_delete.use(worker.deliver_now)  # as core/wiring/app.py does
    core.adopt(adapter.platform, await adapter.start())  # as core/wiring/app.py does
    task = asyncio.create_task(worker.run())
    try:
        yield Rig(sim, core, adapter, store, desk_out, tmp_path)
    finally:
        worker.stop()
        await asyncio.wait_for(task, timeout=DEADLINE)
        await adapter.stop()
        await core.aclose()  # the OCR worker, when an image started one


@pytest.fixture
async def rig(sim: DiscordSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine,
              code_sender: RecordingCodeSender) -> AsyncIterator[Rig]:
    async with running_rig(sim, tmp_path, sqlite_store, faq_engine, code_sender,
                           WALLETDESK_STAFF_NAMES=f"discord:{STAFF_ID}=Alice Support") as running:
        yield running
