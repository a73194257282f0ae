"""The Slack simulator refuses what Slack refuses (issue 16 item 6): unknown channels,
channels the bot is not in, answers later than 3 s; and it retries failed event
deliveries as Slack does. Retry delays go through an injected sleep: nothing waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from .slack_sim import SlackSim


class App:
    """A stand-in app: answers each request with the next of ``plan`` (a status, or
    "hold": no answer until ``release`` is set) and records the retry headers."""

    def __init__(self) -> None:
        self.plan: list[int | str] = []
        self.seen: list[tuple[str | None, str | None]] = []
        self.release = asyncio.Event()
        self.no_retry = False
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.headers.get("X-Slack-Retry-Num"), request.headers.get("X-Slack-Retry-Reason")))
        step = self.plan.pop(0) if self.plan else 200
        if step == "hold":
            await self.release.wait()
            step = 200
        headers = {"X-Slack-No-Retry": "1"} if self.no_retry else {}
        return web.Response(status=int(step), text="", headers=headers)


@pytest.fixture
async def app() -> AsyncIterator[App]:
    stand_in = App()
    web_app = web.Application()
    web_app.router.add_post("/slack/events", stand_in.handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    stand_in.url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    stand_in.runner = runner
    yield stand_in
    stand_in.release.set()
    if stand_in.runner is not None:
        await runner.cleanup()


@pytest.fixture
async def sim() -> AsyncIterator[SlackSim]:
    async with SlackSim() as s:
        s.add_channel("C0STAFF", "staff-desk")
        yield s


def recording_sleep(delays: list[float]) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        delays.append(seconds)
    return sleep


async def test_unknown_channel_and_channel_without_the_bot_are_refused(sim: SlackSim) -> None:
    client = AsyncWebClient(token=sim.token, base_url=sim.api_url)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0NOSUCH", text="hello")
    assert info.value.response["error"] == "channel_not_found"
    sim.add_channel("C0OTHER", "other", bot_is_member=False)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C0OTHER", text="hello")
    assert info.value.response["error"] == "not_in_channel"
    assert (await client.chat_postMessage(channel="C0STAFF", text="hello"))["ok"]
    assert sim.texts_in("C0STAFF") == ["hello"] and "C0NOSUCH" not in sim.channels


async def test_public_channels_with_chat_write_public_and_private_ones_unseen(sim: SlackSim) -> None:
    client = AsyncWebClient(token=sim.token, base_url=sim.api_url)
    sim.add_channel("C0PUBLIC", "public", bot_is_member=False)
    sim.add_channel("G0PRIVATE", "private", is_private=True, bot_is_member=False)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="G0PRIVATE", text="hello")
    assert info.value.response["error"] == "channel_not_found"
    sim.scopes.append("chat:write.public")
    assert (await client.chat_postMessage(channel="C0PUBLIC", text="hello"))["ok"]
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="G0PRIVATE", text="hello")
    assert info.value.response["error"] == "channel_not_found"


async def test_lenient_channels_only_when_asked() -> None:
    async with SlackSim(strict_channels=False) as sim:
        client = AsyncWebClient(token=sim.token, base_url=sim.api_url)
        assert (await client.chat_postMessage(channel="C0NEW", text="hi"))["ok"]


async def test_an_answer_after_the_deadline_fails_and_slack_retries(sim: SlackSim, app: App) -> None:
    delays: list[float] = []
    sim.sleep = recording_sleep(delays)
    sim.ack_timeout = 0.2  # the app holds the first request until the test releases it
    app.plan = ["hold", 500, 200]
    first = await sim.send_event(app.url, sim.user_message_event("C0STAFF", "U0ALICE", "hi"))
    assert first.timed_out and first.failed and first.status == 0
    await sim.retries_done()
    app.release.set()
    assert app.seen == [(None, None), ("1", "http_timeout"), ("2", "http_error")]
    assert delays == [0.0, 60.0]  # Slack: nearly at once, then after a minute (then five)
    assert [d.retry_num for d in sim.deliveries_of(first.event_id or "")] == [None, 1, 2]
    assert all(d.sent["event_id"] == first.event_id for d in sim.deliveries_of(first.event_id or ""))


async def test_three_retries_at_most_and_no_retry_header_stops_them(sim: SlackSim, app: App) -> None:
    delays: list[float] = []
    sim.sleep = recording_sleep(delays)
    app.plan = [500, 500, 500, 500, 500]
    first = await sim.send_event(app.url, sim.user_message_event("C0STAFF", "U0ALICE", "hi"))
    await sim.retries_done()
    assert [n for n, _ in app.seen] == [None, "1", "2", "3"] and delays == [0.0, 60.0, 300.0]
    assert first.status == 500

    app.seen.clear()
    app.no_retry = True
    await sim.send_event(app.url, sim.user_message_event("C0STAFF", "U0ALICE", "again"))
    await sim.retries_done()
    assert app.seen == [(None, None)]


async def test_forged_and_hand_made_retries_are_not_retried(sim: SlackSim, app: App) -> None:
    app.plan = [401, 500, 500]
    event = sim.user_message_event("C0STAFF", "U0ALICE", "hi")
    forged = await sim.send_event(app.url, event, signature="v0=" + "0" * 64)
    await sim.send_event(app.url, {}, event_id=forged.event_id, retry_num=1)
    await sim.retries_done()
    assert [n for n, _ in app.seen] == [None, "1"]


async def test_a_prompt_answer_is_not_retried(sim: SlackSim, app: App) -> None:
    delivered = await sim.send_event(app.url, sim.user_message_event("C0STAFF", "U0ALICE", "hi"))
    await sim.retries_done()
    assert not delivered.failed and app.seen == [(None, None)]


async def test_an_app_that_went_away_is_retried_with_connection_failed(sim: SlackSim, app: App) -> None:
    reasons: list[str | None] = []
    app.plan = [500]

    async def sleep(seconds: float) -> None:
        if seconds == 0.0 and app.runner is not None:  # the app stops before Slack's first retry
            await app.runner.cleanup()
            app.runner = None
            return
        reasons.append("slept")

    sim.sleep = sleep
    first = await sim.send_event(app.url, sim.user_message_event("C0STAFF", "U0ALICE", "hi"))
    assert first.status == 500
    await sim.retries_done()
    assert [d.retry_num for d in sim.deliveries_of(first.event_id or "")] == [None]  # no answer from a gone app
    assert reasons == ["slept", "slept"]  # retries 2 and 3 were still tried
