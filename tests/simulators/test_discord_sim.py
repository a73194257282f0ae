"""The REAL discord.py against the local Discord simulator, over real sockets.

``discord_pointed_at`` is the minimal way to aim discord.py at another server
(the Discord adapter does the same with DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from typing import Any, AsyncIterator, Iterator

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands

from tests.waiting import DEADLINE

from .discord_sim import DiscordSim, Perm

TOKEN = "sim-token-123"


@contextlib.contextmanager
def discord_pointed_at(api_base: str, gateway_url: str) -> Iterator[None]:
    """Point discord.py's REST (Route.BASE) and gateway (DEFAULT_GATEWAY) at other URLs, then restore."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def make_intents(message_content: bool = True) -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = message_content
    return intents


@pytest.fixture(autouse=True)
def no_discord_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """discord.py logs (rather than raises) parse and handler errors: fail on any."""
    yield
    errors = [r for r in caplog.records if r.name.startswith("discord") and r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSim]:
    async with DiscordSim(token=TOKEN) as simulator:
        with discord_pointed_at(simulator.api_base, simulator.gateway_url):
            yield simulator


class SimClient(discord.Client):
    """A discord.Client that records every dispatched event (``events["message"]`` etc.)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.ready_event = asyncio.Event()

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        self.events[event].append(args)
        if event == "ready":
            self.ready_event.set()
        super().dispatch(event, *args, **kwargs)


@contextlib.asynccontextmanager
async def running(client: SimClient, token: str = TOKEN) -> AsyncIterator[SimClient]:
    """Start ``client`` in the background, wait for on_ready, close it cleanly afterwards."""
    task = asyncio.create_task(client.start(token))
    waiter = asyncio.create_task(client.ready_event.wait())
    await asyncio.wait({task, waiter}, timeout=DEADLINE, return_when=asyncio.FIRST_COMPLETED)
    if not client.ready_event.is_set():
        waiter.cancel()
        await client.close()
        if task.done():
            task.result()  # surface the startup error
        raise TimeoutError("on_ready did not fire")
    try:
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(task, timeout=DEADLINE)
        assert client.is_closed()


def new_client(**kwargs: Any) -> SimClient:
    return SimClient(intents=kwargs.pop("intents", make_intents()), guild_ready_timeout=0.1, **kwargs)


async def test_login_ready_and_guild_create(sim: DiscordSim) -> None:
    client = new_client()
    async with running(client):
        assert client.user is not None and client.user.id == sim.bot_id
        assert client.application_id == sim.application_id
        guild = client.get_guild(sim.guild_id)
        assert guild is not None and guild.name == "Wallet Community"
        assert guild.get_channel(sim.channel_id) is not None
        moderator = guild.get_role(sim.moderator_role_id)
        assert moderator is not None and moderator.permissions.manage_messages
        assert guild.default_role.id == sim.guild_id
        assert guild.me.guild_permissions.manage_messages
        assert sim.calls_to("GET /users/@me") and sim.calls_to("GET /oauth2/applications/@me")
        assert sim.identifies[0]["token"] == TOKEN
        assert sim.identifies[0]["intents"] & (1 << 15)  # message_content
        assert sim.gateway_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert not sim.connected


async def test_message_create_and_reply_without_mentions(sim: DiscordSim) -> None:
    client = new_client()
    seen: list[discord.Message] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        seen.append(message)
        await message.reply(f"echo: {message.content}", allowed_mentions=discord.AllowedMentions.none())

    async with running(client):
        sent = await sim.user_message(sim.channel_id, "@everyone how do I pay gas fees?",
                                      author_id=4242, username="alice")
        reply = await sim.wait_for_message(sim.channel_id)
        assert seen[0].content == "@everyone how do I pay gas fees?"
        assert seen[0].author.name == "alice" and isinstance(seen[0].author, discord.Member)
        assert reply["content"] == "echo: @everyone how do I pay gas fees?"
        assert reply["allowed_mentions"] == {"parse": []}
        assert reply["mention_everyone"] is False and reply["mentions"] == []
        assert reply["message_reference"]["message_id"] == sent["id"]
        assert reply["type"] == 19


async def test_message_content_intent_is_honoured(sim: DiscordSim) -> None:
    client = new_client(intents=make_intents(message_content=False))
    async with running(client):
        await sim.user_message(sim.channel_id, "hidden", author_id=1)
        await sim.user_message(sim.channel_id, "hi bot", author_id=1, mentions_bot=True)
        await sim.wait_for(lambda: len(client.events["message"]) == 2)
    assert [m.content for (m,) in client.events["message"]] == ["", f"<@{sim.bot_id}> hi bot"]


async def test_slash_command_sync_and_ephemeral_answer(sim: DiscordSim) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="faq", description="Ask the FAQ")
    async def faq(interaction: discord.Interaction, question: str) -> None:
        await interaction.response.send_message(f"answer to {question} ({interaction.locale})", ephemeral=True)

    async with running(client):
        synced = await tree.sync()
        assert [c.name for c in synced] == ["faq"]
        assert sim.registered_commands[None][0]["options"][0]["name"] == "question"
        payload = await sim.slash_command("faq", {"question": "gas"}, user_id=77, locale="zh-CN")
        iid = int(payload["id"])
        response = await sim.wait_for(lambda: sim.interaction_responses.get(iid))
        assert response["type"] == 4
        assert response["data"]["flags"] == 64
        assert response["data"]["content"] == "answer to gas (zh-CN)"
        assert sim.messages_in(sim.channel_id) == []  # ephemeral: not in channel history


async def test_message_context_command_defer_edit_and_followup(sim: DiscordSim) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.context_menu(name="Escalate to staff", guild=discord.Object(sim.guild_id))
    @app_commands.default_permissions(manage_messages=True)
    async def escalate(interaction: discord.Interaction, message: discord.Message) -> None:
        assert interaction.permissions.manage_messages
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content=f"escalated {message.id}: {message.content}")
        await interaction.followup.send("ticket opened", ephemeral=True)

    async with running(client):
        await tree.sync(guild=discord.Object(sim.guild_id))
        assert sim.registered_commands[sim.guild_id][0]["type"] == 3
        target = await sim.user_message(sim.channel_id, "my funds are gone", author_id=5)
        with pytest.raises(PermissionError):
            await sim.message_context_command("Escalate to staff", target, user_id=6)
        payload = await sim.message_context_command("Escalate to staff", target, user_id=7,
                                                    member_roles=[sim.moderator_role_id])
        iid = int(payload["id"])
        await sim.wait_for(lambda: sim.followups.get(iid))
        assert sim.interaction_responses[iid] == {"type": 5, "data": {"flags": 64}}
        assert sim.original_responses[iid]["content"] == f"escalated {target['id']}: my funds are gone"
        assert sim.followups[iid][0]["content"] == "ticket opened"


async def test_rate_limit_is_waited_out(sim: DiscordSim) -> None:
    client = new_client()
    async with running(client):
        channel = client.get_channel(sim.channel_id)
        assert isinstance(channel, discord.TextChannel)
        sim.fail("POST /channels", status=429, times=1, retry_after=0.4)
        start = time.monotonic()
        await channel.send("hello after the limit")
        assert time.monotonic() - start >= 0.4
        assert [c.status for c in sim.calls_to("POST /channels")] == [429, 200]
        assert sim.messages_in(sim.channel_id)[0]["content"] == "hello after the limit"

        sim.fail_for(0.3, 429, retry_after=0.1)
        await channel.send("after a 429 storm")
        assert sim.messages_in(sim.channel_id)[-1]["content"] == "after a 429 storm"
        assert sim.calls[-1].status == 200 and sim.calls[-2].status == 429


async def test_server_error_is_retried(sim: DiscordSim) -> None:
    client = new_client()
    async with running(client):
        channel = client.get_channel(sim.channel_id)
        sim.fail("/messages", status=500, times=1)
        await channel.send("survived a 500")  # type: ignore[union-attr]
        assert [c.status for c in sim.calls_to("POST /channels")] == [500, 200]


async def test_too_long_message_raises(sim: DiscordSim) -> None:
    client = new_client()
    async with running(client):
        channel = client.get_channel(sim.channel_id)
        with pytest.raises(discord.HTTPException) as info:
            await channel.send("x" * 2001)  # type: ignore[union-attr]
        assert info.value.status == 400 and info.value.code == 50035
        await channel.send("x" * 2000)  # type: ignore[union-attr]


async def test_private_thread_dm_and_delete(sim: DiscordSim) -> None:
    client = new_client()
    async with running(client):
        channel = client.get_channel(sim.channel_id)
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(name="ticket-1", type=discord.ChannelType.private_thread)
        await thread.add_user(discord.Object(sim.owner_id))
        await thread.send("continue here", allowed_mentions=discord.AllowedMentions.none())
        assert sim.threads[thread.id]["type"] == 12
        assert sim.thread_members[thread.id] == {sim.bot_id, sim.owner_id}
        assert sim.messages_in(thread.id)[0]["content"] == "continue here"

        user = await client.fetch_user(sim.owner_id)
        await user.send("private hello")
        dm = sim.dm_channel_for(sim.owner_id)
        assert dm is not None and sim.messages_in(dm)[0]["content"] == "private hello"

        leak = await sim.user_message(sim.channel_id, "my seed is ...", author_id=9)
        await channel.get_partial_message(int(leak["id"])).delete()
        assert sim.deleted[-1]["message_id"] == int(leak["id"])
        sim.set_bot_permissions(sim.guild_id, Perm.BOT_DEFAULT & ~Perm.MANAGE_MESSAGES)
        other = await sim.user_message(sim.channel_id, "again", author_id=9)
        with pytest.raises(discord.Forbidden):
            await channel.get_partial_message(int(other["id"])).delete()


async def test_gateway_resume_after_disconnect(sim: DiscordSim) -> None:
    client = new_client()
    async with running(client):
        await sim.disconnect_gateway()
        await sim.user_message(sim.channel_id, "sent while away", author_id=3)  # replayed on RESUME
        await sim.wait_for(lambda: client.events["resumed"])
        assert sim.resumes and len(sim.identifies) == 1
        await sim.user_message(sim.channel_id, "still there?", author_id=3)
        await sim.wait_for(lambda: len(client.events["message"]) == 2)
        assert [m.content for (m,) in client.events["message"]] == ["sent while away", "still there?"]


async def test_bad_token_fails_login(sim: DiscordSim) -> None:
    client = new_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("wrong-token")
    await client.close()
    assert sim.calls[-1].status == 401


async def test_direct_messages_both_ways(sim: DiscordSim) -> None:
    client = new_client()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot and message.guild is None:
            await message.channel.send(f"dm got: {message.content}")

    async with running(client):
        dm = sim.open_dm(31)
        await sim.user_message(dm, "123456", author_id=31, username="bob")
        reply = await sim.wait_for_message(dm)
        assert reply["content"] == "dm got: 123456"
        sim.block_dms(31)
        with pytest.raises(discord.Forbidden) as info:
            await (await client.fetch_user(31)).send("hello?")
        assert info.value.code == 50007


async def test_late_interaction_response_is_rejected(sim: DiscordSim) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    failures: list[BaseException] = []

    @tree.command(name="ticket", description="Open a ticket")
    async def ticket(interaction: discord.Interaction) -> None:
        sim.interaction_timeout = -1.0  # Discord's window has passed by now (no waiting it out)
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as exc:
            failures.append(exc)

    async with running(client):
        await tree.sync()
        await sim.slash_command("ticket", user_id=8)
        await sim.wait_for(lambda: failures)
        assert failures[0].code == 10062  # type: ignore[attr-defined]


async def test_auto_sharded_client_uses_gateway_bot(sim: DiscordSim) -> None:
    client = discord.AutoShardedClient(intents=make_intents(), guild_ready_timeout=0.1)
    task = asyncio.create_task(client.start(TOKEN))
    try:
        await sim.wait_until_ready()
        assert sim.calls_to("GET /gateway/bot")
        assert sim.identifies[0]["shard"] == [0, 1]
        await sim.wait_for(lambda: client.get_guild(sim.guild_id))
    finally:
        await client.close()
        await asyncio.wait_for(task, timeout=DEADLINE)


async def test_restarted_bot_identifies_fresh(sim: DiscordSim) -> None:
    async with running(new_client()):
        assert sim.connected
    assert not sim.connected
    second = new_client()
    async with running(second):
        assert len(sim.identifies) == 2 and sim.connected
        await sim.user_message(sim.channel_id, "after restart", author_id=2)
        await sim.wait_for(lambda: second.events["message"])


async def test_attachments_are_served_by_their_signed_cdn_url(sim: DiscordSim) -> None:
    client = new_client()
    seen: list[discord.Message] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    async with running(client):
        sent = await sim.user_message(sim.channel_id, "see this", author_id=4242,
                                      attachments=[("shot.png", "image/png", b"\x89PNG fake bytes")])
        await sim.wait_for(lambda: seen)
        (attachment,) = seen[0].attachments
        assert (attachment.filename, attachment.content_type, attachment.size) == ("shot.png", "image/png", 15)
        assert await attachment.read() == b"\x89PNG fake bytes"  # discord.py's CDN fetch, no token
    unsigned = sent["attachments"][0]["url"].split("?", 1)[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(unsigned) as resp:
            assert resp.status == 404
    assert [status for _, status in sim.attachment_downloads] == [200, 404]


async def test_a_message_with_a_file_is_a_multipart_upload_with_its_bytes_kept(sim: DiscordSim) -> None:
    """discord.py sends ``payload_json`` and ``files[0]``; the attachment gets a signed CDN URL."""
    import io

    client = new_client()
    async with running(client):
        channel = client.get_partial_messageable(sim.channel_id)
        sent = await channel.send("here", file=discord.File(io.BytesIO(b"\x89PNG staff file"), filename="fix.png"))
        (attachment,) = sent.attachments
        assert attachment.filename == "fix.png" and await attachment.read() == b"\x89PNG staff file"
    (upload,) = sim.uploads
    assert (upload.channel_id, upload.filename, upload.data) == (sim.channel_id, "fix.png", b"\x89PNG staff file")


async def test_an_upload_over_the_limit_is_refused(sim: DiscordSim) -> None:
    import io

    client = new_client()
    async with running(client):
        channel = client.get_partial_messageable(sim.channel_id)
        with pytest.raises(discord.HTTPException) as info:
            await channel.send(file=discord.File(io.BytesIO(b"x" * (sim.MAX_UPLOAD_BYTES + 1)), filename="big.bin"))
        assert info.value.status == 413 and info.value.code == 40005
    assert sim.uploads == []
