"""DISCORD_SHARDS: the adapter on discord.py's AutoShardedClient against a
shard-aware simulator (guild events only on the guild's shard, DMs on shard 0)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from adapters.discord import DiscordAdapter
from core.errors import ConfigError
from core.faq_engine import FaqEngine
from core.storage.sqlite import SQLiteStore
from tests.fixtures.faq_file import is_bundled_answer
from tests.conftest import RecordingCodeSender, make_settings
from tests.simulators.discord_sim import DiscordSim

from .conftest import Rig, running_rig

USER = 401234567890123456
QUESTION = "how much are gas fees?"


class _Recording(DiscordAdapter):
    """Keeps every value ``connected`` was set to."""

    history: list[bool]

    @property
    def connected(self) -> bool:
        return self.__dict__["_connected"]

    @connected.setter
    def connected(self, value: bool) -> None:
        self.__dict__["_connected"] = value
        self.__dict__.setdefault("history", []).append(value)


@dataclass
class World:
    """Two guilds, one on each of two shards."""

    guilds: dict[int, int]  # shard id -> guild id
    channels: dict[int, int]  # shard id -> its guild's first channel


@pytest.fixture
def world(sim: DiscordSim) -> World:
    first = sim.shard_of(sim.guild_id, 2)
    second = sim.add_guild("Second Community", shard=(1 - first, 2))
    guilds = {first: sim.guild_id, 1 - first: second}
    assert sim.shard_of(second, 2) != sim.shard_of(sim.guild_id, 2)
    return World(guilds, {shard: sim.guilds[gid].channel_ids[0] for shard, gid in guilds.items()})


@pytest.fixture
async def start(sim: DiscordSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine,
                code_sender: RecordingCodeSender) -> AsyncIterator[Callable[[str], Awaitable[Rig]]]:
    """``await start("2")``: the adapter running with that DISCORD_SHARDS."""
    async with contextlib.AsyncExitStack() as stack:
        async def run(shards: str) -> Rig:
            return await stack.enter_async_context(running_rig(
                sim, tmp_path, sqlite_store, faq_engine, code_sender, adapter_class=_Recording, DISCORD_SHARDS=shards))
        yield run


def _shards_identified(sim: DiscordSim) -> list[list[int]]:
    return sorted(identify["shard"] for identify in sim.identifies)


def _got(sim: DiscordSim, shard_id: int, event: str, key: str, value: str) -> bool:
    return any(e == event and d.get(key) == value for e, d in sim.dispatched_to(shard_id))


async def _answered_once(rig: Rig, channel_id: int, sent: dict) -> dict:
    """The bot's one reply to ``sent`` in ``channel_id``."""
    sim = rig.sim
    reply = await sim.wait_for_message(channel_id)
    await rig.barrier(channel_id)  # everything sent on that shard so far is handled
    replies = sim.messages_in(channel_id)
    assert len(replies) == 1 and replies[0]["message_reference"]["message_id"] == sent["id"]
    return reply


async def test_two_shards_split_the_guilds_and_answer_each_once(start: Callable[[str], Awaitable[Rig]],
                                                               world: World) -> None:
    rig = await start("2")
    sim, adapter = rig.sim, rig.adapter
    assert isinstance(adapter.client, discord.AutoShardedClient) and adapter.client.shard_count == 2
    assert _shards_identified(sim) == [[0, 2], [1, 2]]
    assert not sim.calls_to("GET /gateway/bot")  # the count was given
    assert adapter.connected
    for shard, gid in world.guilds.items():  # each shard got its own guild only
        assert [d["id"] for e, d in sim.dispatched_to(shard) if e == "GUILD_CREATE"] == [str(gid)]
        guild = adapter.client.get_guild(gid)
        assert guild is not None and guild.shard_id == shard

    for shard, channel in world.channels.items():
        sent = await sim.user_message(channel, QUESTION, author_id=USER + shard, mentions_bot=True)
        assert _got(sim, shard, "MESSAGE_CREATE", "id", sent["id"])
        assert not _got(sim, 1 - shard, "MESSAGE_CREATE", "id", sent["id"])
        assert is_bundled_answer((await _answered_once(rig, channel, sent))["content"], "gas-fees", "en")

    # a slash command in the guild on shard 1 arrives on shard 1 and is answered
    payload = await sim.slash_command("faq", {"question": QUESTION}, user_id=USER, channel_id=world.channels[1])
    assert _got(sim, 1, "INTERACTION_CREATE", "id", payload["id"])
    response = await sim.wait_for(lambda: sim.interaction_responses.get(int(payload["id"])))
    assert is_bundled_answer(response["data"]["content"], "gas-fees", "en")

    # a DM arrives on shard 0 only
    dm = sim.open_dm(USER)
    sent = await sim.user_message(dm, "human", author_id=USER, username="bob")
    assert _got(sim, 0, "MESSAGE_CREATE", "id", sent["id"]) and not _got(sim, 1, "MESSAGE_CREATE", "id", sent["id"])
    ticket = await rig.ticket_of(USER)
    assert ticket.origin.chat_id == str(dm)
    assert f"#{ticket.id}" in (await sim.wait_for_message(dm))["content"]
    assert adapter.connected and len(sim.identifies) == 2


async def test_auto_asks_discord_for_the_shard_count(start: Callable[[str], Awaitable[Rig]], world: World,
                                                    sim: DiscordSim) -> None:
    sim.shards = 2
    rig = await start("auto")
    assert rig.adapter.client is not None and rig.adapter.client.shard_count == 2
    assert len(sim.calls_to("GET /gateway/bot")) == 1
    assert _shards_identified(sim) == [[0, 2], [1, 2]] and rig.adapter.connected
    sent = await sim.user_message(world.channels[1], QUESTION, author_id=USER, mentions_bot=True)
    await _answered_once(rig, world.channels[1], sent)


async def test_auto_with_one_recommended_shard(start: Callable[[str], Awaitable[Rig]], world: World) -> None:
    rig = await start("auto")
    sim = rig.sim
    assert sim.calls_to("GET /gateway/bot") and _shards_identified(sim) == [[0, 1]]
    assert rig.adapter.connected
    assert {g.id for g in rig.adapter.client.guilds} == set(world.guilds.values())  # type: ignore[union-attr]


async def test_a_gateway_drop_resumes_every_shard(start: Callable[[str], Awaitable[Rig]], world: World) -> None:
    rig = await start("2")
    sim, adapter = rig.sim, rig.adapter
    assert isinstance(adapter, _Recording) and adapter.history[-1] is True
    seen = len(adapter.history)
    await sim.disconnect_gateway()
    await sim.wait_for(lambda: len(sim.resumes) == 2)
    await sim.wait_for(lambda: adapter.connected)
    after = adapter.history[seen:]
    assert False in after and after[-1] is True  # down while a shard was, up once all were back
    sessions = {d["session_id"] for e, d in sim.dispatched_to(0) + sim.dispatched_to(1) if e == "READY"}
    assert len(sessions) == 2 and {r["session_id"] for r in sim.resumes} == sessions
    assert len(sim.identifies) == 2
    sent = await sim.user_message(world.channels[1], QUESTION, author_id=USER, mentions_bot=True)
    await _answered_once(rig, world.channels[1], sent)


async def test_a_malformed_event_on_a_second_shard_is_dropped(start: Callable[[str], Awaitable[Rig]], world: World,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    rig = await start("2")
    sim = rig.sim
    guild, channel = world.guilds[1], world.channels[1]
    await sim.dispatch("MESSAGE_CREATE", {"id": "1", "channel_id": str(channel), "guild_id": str(guild),
                                          "content": "no author"})
    assert _got(sim, 1, "MESSAGE_CREATE", "id", "1") and not _got(sim, 0, "MESSAGE_CREATE", "id", "1")
    sent = await sim.user_message(channel, QUESTION, author_id=USER, mentions_bot=True)
    await _answered_once(rig, channel, sent)
    assert any("dropped a malformed MESSAGE_CREATE" in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)
    assert rig.adapter.connected and len(sim.identifies) == 2


async def test_unset_means_one_plain_connection(rig: Rig) -> None:
    assert rig.core.settings.discord_shards == ""
    assert not isinstance(rig.adapter.client, discord.AutoShardedClient)
    assert [i.get("shard") for i in rig.sim.identifies] == [None]
    assert not rig.sim.calls_to("GET /gateway/bot")


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "auto,2"])
def test_a_bad_value_is_a_one_line_config_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(tmp_path, DISCORD_SHARDS=value)
    message = str(info.value)
    assert message.startswith("DISCORD_SHARDS: ") and repr(value) in message and "\n" not in message


@pytest.mark.parametrize(("value", "stored"), [("", ""), (" Auto ", "auto"), ("4", "4"), ("08", "8")])
def test_good_values(tmp_path: Path, value: str, stored: str) -> None:
    assert make_settings(tmp_path, DISCORD_SHARDS=value).discord_shards == stored
