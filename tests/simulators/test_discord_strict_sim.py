"""The Discord simulator refuses what Discord refuses: rate-limit buckets, channel
permissions, 15-minute interaction tokens, a nonce window of minutes (issue 16 item 6).
Time-based rules run on an injected clock: no test waits them out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.conftest import Clock

from .discord_sim import DiscordSim, Perm
from .test_discord_sim import TOKEN, discord_pointed_at, new_client, running, no_discord_errors  # noqa: F401


@pytest.fixture
def clock() -> Clock:
    return Clock(1000.0)


@pytest.fixture
async def sim(clock: Clock) -> AsyncIterator[DiscordSim]:
    async with DiscordSim(token=TOKEN, clock=clock) as simulator:
        with discord_pointed_at(simulator.api_base, simulator.gateway_url):
            yield simulator


@pytest.fixture
async def http(sim: DiscordSim) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {TOKEN}"}) as session:
        yield session


async def _post(http: aiohttp.ClientSession, sim: DiscordSim, channel_id: int, body: dict[str, Any]
                ) -> tuple[int, Any, Any]:
    async with http.post(f"{sim.api_base}/channels/{channel_id}/messages", json=body) as resp:
        return resp.status, await resp.json(), resp.headers


async def test_message_bucket_runs_out_per_channel_and_resets(sim: DiscordSim, http: aiohttp.ClientSession,
                                                              clock: Clock) -> None:
    other = sim.guilds[sim.guild_id].channel_ids[1]
    remaining = []
    for n in range(5):
        status, _, headers = await _post(http, sim, sim.channel_id, {"content": f"m{n}"})
        assert status == 200
        remaining.append(headers["X-RateLimit-Remaining"])
        assert headers["X-RateLimit-Limit"] == "5" and headers["X-RateLimit-Bucket"]
    assert remaining == ["4", "3", "2", "1", "0"]
    clock.advance(2.0)
    status, body, headers = await _post(http, sim, sim.channel_id, {"content": "one too many"})
    assert status == 429
    assert body["global"] is False and body["retry_after"] == pytest.approx(3.0)
    assert headers["Retry-After"] == "3" and headers["X-RateLimit-Scope"] == "user" and headers["Via"]
    assert [m["content"] for m in sim.messages_in(sim.channel_id)] == [f"m{n}" for n in range(5)]
    # another channel is another bucket
    status, _, headers = await _post(http, sim, other, {"content": "elsewhere"})
    assert status == 200 and headers["X-RateLimit-Remaining"] == "4"
    clock.advance(3.0)
    status, _, headers = await _post(http, sim, sim.channel_id, {"content": "after the reset"})
    assert status == 200 and headers["X-RateLimit-Remaining"] == "4"
    assert sim.rate_limits is not None and sim.rate_limits.limited == [
        ("POST /channels/{channel_id}/messages", False)]


async def test_global_limit_is_fifty_per_second(sim: DiscordSim, http: aiohttp.ClientSession,
                                                clock: Clock) -> None:
    for _ in range(50):
        async with http.get(f"{sim.api_base}/users/@me") as resp:
            assert resp.status == 200
    async with http.get(f"{sim.api_base}/channels/{sim.channel_id}") as resp:
        assert resp.status == 429
        assert (await resp.json())["global"] is True and resp.headers["X-RateLimit-Global"] == "true"
    clock.advance(1.0)
    async with http.get(f"{sim.api_base}/users/@me") as resp:
        assert resp.status == 200


async def test_discord_py_waits_out_a_real_429(sim: DiscordSim, http: aiohttp.ClientSession, clock: Clock) -> None:
    """discord.py does not know a bucket someone else emptied: it gets a 429 and waits retry_after."""
    assert sim.rate_limits is not None
    sim.rate_limits.limits["POST /channels/{channel_id}/messages"] = (2, 0.2)
    # time passes only while the client waits out the 429 it got (at most 0.2 s, really waited)
    sim.rate_limits.on_limited = lambda limited: clock.advance(limited.retry_after)
    client = new_client()
    async with running(client):
        channel = client.get_channel(sim.channel_id)
        assert isinstance(channel, discord.TextChannel)
        for n in range(2):
            assert (await _post(http, sim, sim.channel_id, {"content": f"other {n}"}))[0] == 200
        await channel.send("after the 429")
    statuses = [c.status for c in sim.calls_to("POST /channels")]
    assert statuses == [200, 200, 429, 200]
    assert sim.messages_in(sim.channel_id)[-1]["content"] == "after the 429"


async def test_sending_needs_view_and_send_in_that_channel(sim: DiscordSim, http: aiohttp.ClientSession) -> None:
    guild = sim.guilds[sim.guild_id]
    sim.set_channel_overwrite(sim.channel_id, guild.bot_role_id, deny=Perm.SEND_MESSAGES)
    status, body, _ = await _post(http, sim, sim.channel_id, {"content": "hi"})
    assert (status, body["code"], body["message"]) == (403, 50013, "Missing Permissions")
    other = guild.channel_ids[1]
    assert (await _post(http, sim, other, {"content": "hi"}))[0] == 200  # only that channel
    # a member overwrite beats the role's
    sim.set_channel_overwrite(sim.channel_id, sim.bot_id, allow=Perm.SEND_MESSAGES, member=True)
    assert (await _post(http, sim, sim.channel_id, {"content": "hi"}))[0] == 200
    # hidden from @everyone, and the bot's role has no allow: Missing Access
    sim.set_channel_overwrite(other, sim.guild_id, deny=Perm.VIEW_CHANNEL)
    status, body, _ = await _post(http, sim, other, {"content": "hi"})
    assert (status, body["code"]) == (403, 50001)
    sim.set_channel_overwrite(other, guild.bot_role_id, allow=Perm.VIEW_CHANNEL)
    assert (await _post(http, sim, other, {"content": "hi"}))[0] == 200
    assert sim.channel_permissions_of(other, sim.owner_id) == Perm.ALL


async def test_deleting_needs_manage_messages_in_that_channel(sim: DiscordSim) -> None:
    client = new_client()
    async with running(client):
        target = await sim.user_message(sim.channel_id, "spam", author_id=51)
        sim.set_channel_overwrite(sim.channel_id, sim.guilds[sim.guild_id].bot_role_id, deny=Perm.MANAGE_MESSAGES)
        channel = client.get_channel(sim.channel_id)
        message = await channel.fetch_message(int(target["id"]))  # type: ignore[union-attr]
        with pytest.raises(discord.Forbidden) as info:
            await message.delete()
        assert info.value.code == 50013
        sim.set_channel_overwrite(sim.channel_id, sim.guild_id, deny=Perm.SEND_MESSAGES)
        with pytest.raises(discord.Forbidden) as info:  # the bot's role grants it, @everyone's overwrite takes it
            await channel.send("refused")  # type: ignore[union-attr]
        assert info.value.code == 50013


async def test_followup_after_fifteen_minutes_is_invalid_webhook_token(sim: DiscordSim, clock: Clock) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    later = asyncio.Event()
    outcome: list[Any] = []

    @tree.command(name="slow", description="Answers late")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("within the window")
        await later.wait()
        try:
            await interaction.followup.send("too late")
        except discord.HTTPException as exc:
            outcome.append(exc)
        else:
            outcome.append("sent")

    async with running(client):
        await tree.sync()
        payload = await sim.slash_command("slow", user_id=61)
        iid = int(payload["id"])
        await sim.wait_for(lambda: sim.followups.get(iid))
        clock.advance(15 * 60 + 1)
        later.set()
        await sim.wait_for(lambda: outcome)
    assert isinstance(outcome[0], discord.HTTPException)
    assert (outcome[0].status, outcome[0].code) == (401, 50027)
    assert [m["content"] for m in sim.followups[iid]] == ["within the window"]


async def test_enforce_nonce_deduplicates_for_minutes_not_forever(sim: DiscordSim, http: aiohttp.ClientSession,
                                                                  clock: Clock) -> None:
    body = {"content": "reply #1", "nonce": "wd-1", "enforce_nonce": True}
    first = (await _post(http, sim, sim.channel_id, body))[1]
    clock.advance(60)
    again = (await _post(http, sim, sim.channel_id, body))[1]
    assert again["id"] == first["id"] and sim.nonce_hits == 1
    clock.advance(5 * 60)
    later = (await _post(http, sim, sim.channel_id, body))[1]
    assert later["id"] != first["id"]
    assert len(sim.messages_in(sim.channel_id)) == 2
