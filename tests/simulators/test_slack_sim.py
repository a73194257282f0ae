"""The real slack-sdk and slack-bolt against SlackSim, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from .chat_limits import Ticks
from .slack_sim import SlackSim

STAFF = "C0STAFF"
ALICE = "U0ALICE"
BOB = "U0BOB"

TICKET_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*Ticket 7* transfer not arrived"}},
    {"type": "actions", "block_id": "ticket-7", "elements": [
        {"type": "button", "action_id": "claim", "value": "7", "text": {"type": "plain_text", "text": "Claim"}},
        {"type": "button", "action_id": "resolve", "value": "7", "style": "primary",
         "text": {"type": "plain_text", "text": "Resolve"}},
    ]},
]


@pytest.fixture
async def sim() -> AsyncIterator[SlackSim]:
    async with SlackSim(clock=Ticks()) as s:  # a second between requests: the limits are tested apart
        s.add_channel(STAFF, "staff-desk")
        s.add_user(ALICE, "alice", display_name="Alice", locale="zh-CN")
        s.add_user(BOB, "bob", is_admin=True)
        yield s


@pytest.fixture
def client(sim: SlackSim) -> AsyncWebClient:
    # slack-sdk concatenates base_url + method, so the trailing slash matters.
    return AsyncWebClient(token=sim.token, base_url=sim.api_url)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def test_web_api_roundtrip(sim: SlackSim, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0WALLET", "U0BOT", "B0BOT")

    root = await client.chat_postMessage(channel=STAFF, text="Ticket 7", blocks=TICKET_BLOCKS)
    reply = await client.chat_postMessage(channel=STAFF, text="on it", thread_ts=root["ts"])
    assert root["channel"] == STAFF and float(reply["ts"]) > float(root["ts"])
    assert len(root["ts"].split(".")[1]) == 6
    assert [m.text for m in sim.messages_in(STAFF, thread_ts=root["ts"])] == ["on it"]

    updated = await client.chat_update(channel=STAFF, ts=root["ts"], text="Ticket 7 (claimed)", blocks=TICKET_BLOCKS[:1])
    assert updated["message"]["text"] == "Ticket 7 (claimed)"
    assert sim.updated[-1].blocks == TICKET_BLOCKS[:1] and sim.messages_in(STAFF)[0].edits

    sim.user_message_event(STAFF, BOB, "internal: looks like a bridge delay", thread_ts=root["ts"])
    thread = await client.conversations_replies(channel=STAFF, ts=root["ts"])
    assert [m["text"] for m in thread["messages"]] == ["Ticket 7 (claimed)", "on it", "internal: looks like a bridge delay"]

    user = (await client.users_info(user=ALICE, include_locale=True))["user"]
    assert user["profile"]["display_name"] == "Alice" and user["locale"] == "zh-CN" and not user["is_admin"]
    assert "locale" not in (await client.users_info(user=ALICE))["user"]
    dm = (await client.conversations_open(users=ALICE))["channel"]["id"]
    assert dm.startswith("D")
    await client.chat_postMessage(channel=dm, text="Please enter your code")
    assert sim.texts_in(dm) == ["Please enter your code"]
    assert (await client.conversations_info(channel=dm))["channel"]["is_im"]

    await client.reactions_add(channel=STAFF, timestamp=reply["ts"], name="white_check_mark")
    assert sim.reactions == [(STAFF, reply["ts"], "white_check_mark")]
    link = await client.chat_getPermalink(channel=STAFF, message_ts=reply["ts"])
    assert link["permalink"].startswith("https://walletdesk.slack.com/archives/C0STAFF/p")
    await client.chat_postEphemeral(channel=STAFF, user=BOB, text="only you")
    assert sim.ephemerals[0].ephemeral_to == BOB
    await client.chat_delete(channel=STAFF, ts=reply["ts"])
    assert (STAFF, reply["ts"]) in sim.deleted


async def test_web_api_errors(sim: SlackSim, client: AsyncWebClient) -> None:
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=STAFF, text="x", blocks=too_many)
    assert info.value.response["error"] == "invalid_blocks"
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        await client.chat_postMessage(channel=STAFF, text="x", blocks=long_section)
    with pytest.raises(SlackApiError, match="msg_too_long"):
        await client.chat_postMessage(channel=STAFF, text="x" * 40_001)
    await client.chat_postMessage(channel=STAFF, text="x" * 40_000)
    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("foo.bar")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient(token="xoxb-wrong", base_url=sim.api_url).auth_test()
    user_msg = sim.user_message_event(STAFF, ALICE, "my seed phrase is ...")
    with pytest.raises(SlackApiError, match="cant_delete_message"):
        await client.chat_delete(channel=STAFF, ts=user_msg["ts"])
    sim.add_channel("C0OTHER", "other", bot_is_member=False)
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await client.chat_postMessage(channel="C0OTHER", text="hi")
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id="nope", view={"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []})


async def test_rate_limit_and_outage(sim: SlackSim, client: AsyncWebClient) -> None:
    fault = sim.fail("chat.postMessage", status=429, times=1, retry_after=3)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=STAFF, text="first")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "3"
    assert info.value.response["error"] == "ratelimited" and fault.hits == 1
    assert (await client.chat_postMessage(channel=STAFF, text="second"))["ok"]

    outage = sim.fail_for(3600, status=500)
    with pytest.raises(SlackApiError) as info:
        await client.chat_update(channel=STAFF, ts=sim.posted[0].ts, text="during outage")
    assert info.value.response.status_code == 500
    outage.until = asyncio.get_running_loop().time()  # the window has passed (no waiting for it)
    await client.chat_update(channel=STAFF, ts=sim.posted[0].ts, text="after outage")
    assert sim.texts_in(STAFF) == ["after outage"]


async def test_event_signing_and_envelope(sim: SlackSim) -> None:
    received: asyncio.Queue[tuple[bytes, Any]] = asyncio.Queue()

    async def capture(request: web.Request) -> web.Response:
        await received.put((await request.read(), request.headers))
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/events", capture)
    runner, url = await _serve(app)
    verifier = SignatureVerifier(sim.signing_secret)
    try:
        event = sim.user_message_event(STAFF, ALICE, "hello")
        delivery = await sim.send_event(f"{url}/events", event, retry_num=None)
        body, headers = await received.get()
        assert delivery.status == 200
        assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
        envelope = json.loads(body)
        assert envelope["type"] == "event_callback" and envelope["event"] == event
        assert envelope["event_id"].startswith("Ev") and envelope["team_id"] == "T0WALLET"
        assert "X-Slack-Retry-Num" not in headers

        await sim.redeliver(f"{url}/events", delivery.event_id or "", retry_num=1)
        body2, headers2 = await received.get()
        assert json.loads(body2)["event_id"] == envelope["event_id"]
        assert (headers2["X-Slack-Retry-Num"], headers2["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
        assert verifier.is_valid(body2, headers2["X-Slack-Request-Timestamp"], headers2["X-Slack-Signature"])

        await sim.block_action(f"{url}/events", "claim", "7", user=BOB, channel=STAFF)
        body3, headers3 = await received.get()
        assert verifier.is_valid(body3, headers3["X-Slack-Request-Timestamp"], headers3["X-Slack-Signature"])
        payload = json.loads(parse_qs(body3.decode())["payload"][0])
        assert payload["type"] == "block_actions" and payload["actions"][0]["value"] == "7"
    finally:
        await runner.cleanup()


@pytest.fixture
async def bolt(sim: SlackSim) -> AsyncIterator[str]:
    """A minimal slack-bolt AsyncApp served by its own aiohttp web_app on an ephemeral port."""
    client = AsyncWebClient(token=sim.token, base_url=sim.api_url)
    # With `client=` given, bolt ignores (and warns about) `token=`; the token lives in the client.
    app = AsyncApp(signing_secret=sim.signing_secret, client=client)

    @app.event("message")
    async def on_message(event: dict[str, Any], say: Any) -> None:
        await say(text=f"got: {event['text']}", thread_ts=event.get("thread_ts") or event["ts"])

    @app.action("claim")
    async def on_claim(ack: Any, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        await ack()
        message = body["message"]
        await client.chat_update(channel=body["channel"]["id"], ts=message["ts"],
                                 text=f"claimed by <@{body['user']['id']}>", blocks=message["blocks"][:1])
        await respond(text="You claimed ticket 7", replace_original=False)

    @app.command("/note")
    async def on_note(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"noted: {command['text']}")

    @app.shortcut("add_note")
    async def on_shortcut(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=shortcut["trigger_id"], view={
            "type": "modal", "callback_id": "note", "title": {"type": "plain_text", "text": "Internal note"},
            "submit": {"type": "plain_text", "text": "Save"},
            "blocks": [{"type": "input", "block_id": "n", "label": {"type": "plain_text", "text": "Note"},
                        "element": {"type": "plain_text_input", "action_id": "text"}}],
        })

    @app.view("note")
    async def on_note_submit(ack: Any, view: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postEphemeral(channel=STAFF, user=BOB, text=view["state"]["values"]["n"]["text"]["value"])

    # AsyncApp.web_app() returns an aiohttp web.Application routing POST <path> to the app.
    runner, url = await _serve(app.web_app(path="/slack/events"))
    try:
        yield f"{url}/slack/events"
    finally:
        await runner.cleanup()


async def test_bolt_app_events_and_signatures(sim: SlackSim, bolt: str) -> None:
    challenge = await sim.url_verification(bolt, challenge="abc123")
    assert challenge.status == 200 and challenge.json() == {"challenge": "abc123"}

    delivery = await sim.user_says(bolt, STAFF, ALICE, "where is my transfer?")
    assert delivery.status == 200 and delivery.elapsed < 3
    reply = await sim.wait_for_post(STAFF)
    assert reply.text == "got: where is my transfer?"
    assert reply.thread_ts == delivery.sent["event"]["ts"]
    assert sim.calls_to("auth.test")  # bolt authorised against the simulator

    forged = await sim.send_event(bolt, sim.user_message_event(STAFF, ALICE, "x"), signature="v0=" + "0" * 64)
    assert forged.status == 401
    stale = await sim.send_event(bolt, sim.user_message_event(STAFF, ALICE, "x"), timestamp=int(time.time()) - 600)
    assert stale.status == 401
    assert len(sim.posted) == 1


async def test_bolt_app_interactivity(sim: SlackSim, bolt: str, client: AsyncWebClient) -> None:
    root = await client.chat_postMessage(channel=STAFF, text="Ticket 7", blocks=TICKET_BLOCKS)
    delivery = await sim.block_action(bolt, "claim", "7", user=BOB, channel=STAFF, message_ts=root["ts"])
    assert delivery.status == 200
    assert delivery.sent["actions"][0]["block_id"] == "ticket-7"
    await sim.wait_for(lambda: sim.updated and sim.responses)
    assert sim.message(STAFF, root["ts"]).text == "claimed by <@U0BOB>"  # type: ignore[union-attr]
    assert sim.responses[0].body["text"] == "You claimed ticket 7"
    assert sim.ephemerals[-1].ephemeral_to == BOB

    note = await sim.slash_command(bolt, "/note", "bridge delay", user=BOB, channel=STAFF)
    assert note.status == 200 and note.body == "noted: bridge delay"  # bolt acks a str as text/plain

    await sim.message_shortcut(bolt, "add_note", root["ts"], user=BOB, channel=STAFF)
    view = await sim.wait_for(lambda: sim.views and sim.views[-1])
    assert view["callback_id"] == "note"
    submitted = await sim.view_submission(bolt, view["id"], {"n": {"text": {"type": "plain_text_input", "value": "checked"}}}, user=BOB)
    assert submitted.status == 200
    await sim.wait_for(lambda: any(m.text == "checked" for m in sim.ephemerals))


async def test_shared_files_are_served_only_to_the_bot_token(sim: SlackSim) -> None:
    event = sim.user_message_event(STAFF, ALICE, "", files=[("shot.png", "image/png", b"\x89PNG fake")])
    assert event["subtype"] == "file_share"
    (file,) = event["files"]
    assert (file["name"], file["mimetype"], file["size"]) == ("shot.png", "image/png", 9)
    async with aiohttp.ClientSession() as http:
        for url in (file["url_private"], file["url_private_download"]):
            async with http.get(url, headers={"Authorization": f"Bearer {sim.token}"}) as resp:
                assert resp.status == 200 and await resp.read() == b"\x89PNG fake"
        async with http.get(file["url_private"]) as resp:
            assert resp.status == 401
        sim.scopes.remove("files:read")
        async with http.get(file["url_private"], headers={"Authorization": f"Bearer {sim.token}"}) as resp:
            assert resp.status == 403
    assert [status for _, status in sim.file_downloads] == [200, 200, 401, 403]


async def test_the_external_upload_flow_shares_the_exact_bytes_in_a_thread(sim: SlackSim,
                                                                           client: AsyncWebClient) -> None:
    """slack-sdk's files_upload_v2: files.getUploadURLExternal, the POST to the URL, then
    files.completeUploadExternal with channel_id and thread_ts."""
    root = await client.chat_postMessage(channel=STAFF, text="ticket 7")
    resp = await client.files_upload_v2(channel=STAFF, thread_ts=root["ts"], file=b"\x89PNG shot", filename="a.png",
                                        title="a.png", initial_comment="from Alice")
    (upload,) = sim.uploads
    assert (upload.channel, upload.thread_ts, upload.name, upload.data, upload.initial_comment) == (
        STAFF, root["ts"], "a.png", b"\x89PNG shot", "from Alice")
    assert resp["file"]["id"] == upload.file_id
    assert [m for m, _ in sim.calls][-2:] == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    with pytest.raises(SlackApiError, match="invalid_thread_ts"):
        await client.files_upload_v2(channel=STAFF, thread_ts="1.000", file=b"x", filename="b.png")
    sim.scopes.remove("files:write")
    with pytest.raises(SlackApiError, match="missing_scope"):
        await client.files_upload_v2(channel=STAFF, file=b"x", filename="c.png")
    async with aiohttp.ClientSession() as http:  # an upload URL nobody was given
        async with http.post(f"{sim.base_url}/upload/v1/nope", data=b"x") as r:
            assert r.status == 404
