"""Images shared in Slack through the shield (issue 19 item 1): the real adapter
downloads each image file from its ``url_private`` with the bot token, the real
OCR worker reads it, and a photo of a recovery phrase is deleted (with the
workspace admin's token) and warned about like a text leak, while other users
are answered in the meantime."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from core.i18n import t
from tests.fixtures.images import PHRASE, phrase_photo, wallet_screenshot
from tests.simulators.slack_sim import SlackSim
from tests.waiting import wait_until

from .conftest import ALICE, ALICE_DM, CAROL, COMMUNITY, STAFF, Desk


async def test_a_phrase_photo_is_deleted_and_other_users_are_answered_meanwhile(
        make_desk: Callable[..., Awaitable[Desk]], sim: SlackSim) -> None:
    desk = await make_desk(SLACK_ADMIN_USER_TOKEN=sim.admin_user_token)
    images = desk.core.images
    images.hold = asyncio.Event()  # the check waits here, downloaded, before OCR
    event = sim.user_message_event(COMMUNITY, ALICE, "", files=[("IMG_0042.png", "image/png", phrase_photo())])
    delivery = await sim.send_event(desk.url, event)
    assert delivery.status == 200  # Slack has its answer before the image is read
    await wait_until(lambda: images.held == 1, what="the file downloaded, its check in flight")

    question = sim.app_mention_event(COMMUNITY, CAROL, f"<@{sim.bot_user_id}> how long does a transfer take?")
    await sim.send_event(desk.url, question)
    await sim.wait_for_post(COMMUNITY, thread_ts=question["ts"])
    assert (COMMUNITY, event["ts"]) not in sim.deleted

    images.hold.set()
    await sim.wait_for(lambda: (COMMUNITY, event["ts"]) in sim.deleted)
    await desk.settle()
    (warning,) = [m.text for m in sim.messages_in(ALICE_DM)]
    assert "We removed it" in warning and t("shield.kind.seed_phrase", "en") in warning
    assert any(m.text == t("shield.public_notice", "en") for m in sim.posted if m.channel == COMMUNITY)
    assert [status for _, status in sim.file_downloads] == [200]
    assert not any(" ".join(PHRASE[:3]) in m.text for m in sim.posted)


async def test_without_an_admin_token_the_photo_stays_and_the_desk_is_told(desk: Desk) -> None:
    sim, images = desk.sim, desk.core.images
    event = sim.user_message_event(COMMUNITY, ALICE, "is this backup ok?",
                                   files=[("backup.jpg", "image/jpeg", phrase_photo("JPEG"))])
    await sim.send_event(desk.url, event)
    await wait_until(lambda: images.statuses["leak"] == 1, what="the photo read")
    await desk.settle()
    assert not sim.deleted
    (warning,) = [m.text for m in sim.messages_in(ALICE_DM)]
    assert "Its sender should delete it now" in [m.text for m in sim.posted if m.channel == COMMUNITY][-1]
    assert warning.startswith("⚠️")
    assert any(f"posted by slack:{ALICE} in slack:{COMMUNITY}" in m.text and event["ts"] in m.text
               for m in sim.posted if m.channel == STAFF)


async def test_a_screenshot_is_left_alone_and_files_are_fetched_only_with_the_token(desk: Desk) -> None:
    sim, images = desk.sim, desk.core.images
    event = sim.user_message_event(COMMUNITY, ALICE, "my balance looks wrong",
                                   files=[("screen.png", "image/png", wallet_screenshot()),
                                          ("words.txt", "text/plain", " ".join(PHRASE).encode())])
    await sim.send_event(desk.url, event)
    await wait_until(lambda: images.statuses["clean"] == 1, what="the screenshot read")
    await desk.settle()
    assert not sim.deleted and not sim.messages_in(ALICE_DM)
    (path, status), = sim.file_downloads
    assert status == 200 and path.endswith("/download/screen.png")
    # the same URL without the bot token is refused, as on Slack
    url = event["files"][0]["url_private_download"]
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.status == 401
        async with session.get(url, headers={"Authorization": "Bearer xoxb-someone-else"}) as resp:
            assert resp.status == 401


async def test_a_file_url_off_slack_never_gets_the_bot_token(desk: Desk) -> None:
    """An event naming a file on another host: not fetched, so the token goes nowhere but Slack."""
    sim, images = desk.sim, desk.core.images
    seen: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.Response(body=wallet_screenshot(), content_type="image/png")

    app = web.Application()
    app.router.add_get("/{name}", elsewhere)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "localhost", 0).start()  # another host name than the simulator's 127.0.0.1
    try:
        event = sim.user_message_event(COMMUNITY, ALICE, "look", files=[("a.png", "image/png", b"x")])
        event["files"][0]["url_private_download"] = f"http://localhost:{runner.addresses[0][1]}/a.png"
        await sim.send_event(desk.url, event)
        await wait_until(lambda: images.statuses["fetch_failed"] == 1, what="the foreign URL refused")
    finally:
        await runner.cleanup()
    assert seen == [] and not sim.file_downloads
