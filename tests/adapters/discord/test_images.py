"""Image attachments through the shield on Discord (issue 19 item 1): the real
adapter downloads each attachment with an image content type from its CDN URL,
the real OCR worker reads it, and a photo of a recovery phrase is deleted with
the text leak's warning, while other users are answered in the meantime."""

from __future__ import annotations

import asyncio

from core.i18n import t
from tests.fixtures.images import PHRASE, phrase_photo, wallet_screenshot
from tests.waiting import wait_until

from .conftest import Rig

USER = 401234567890123456
OTHER = 403456789012345678


async def test_a_phrase_photo_is_deleted_and_other_users_are_answered_meanwhile(rig: Rig) -> None:
    sim, images = rig.sim, rig.core.images
    images.hold = asyncio.Event()  # the check waits here, downloaded, before OCR
    leak = await sim.user_message(sim.channel_id, "", author_id=USER,
                                  attachments=[("IMG_2041.jpg", "image/jpeg", phrase_photo("JPEG"))])
    await wait_until(lambda: images.held == 1, what="the attachment downloaded, its check in flight")

    question = await sim.user_message(sim.channel_id, "how much are gas fees?", author_id=OTHER, mentions_bot=True)
    await sim.wait_for_message(sim.channel_id, lambda m: (m.get("message_reference") or {}).get("message_id")
                               == question["id"])
    assert not any(d["message_id"] == int(leak["id"]) for d in sim.deleted)

    images.hold.set()
    await sim.wait_for(lambda: any(d["message_id"] == int(leak["id"]) for d in sim.deleted))
    dm = await sim.wait_for(lambda: sim.dm_channel_for(USER))
    warning = await sim.wait_for_message(dm)
    assert warning["content"].startswith("⚠️") and t("shield.kind.seed_phrase", "en") in warning["content"]
    await sim.wait_for_message(sim.channel_id, lambda m: m["content"] == t("shield.public_notice", "en"))
    await rig.settle()
    sent = [c.body for c in sim.calls if c.method == "POST" and isinstance(c.body, dict)]
    assert not any(" ".join(PHRASE[:3]) in str(body) for body in sent)
    assert [status for _, status in sim.attachment_downloads] == [200]
    assert images.statuses["leak"] == 1


async def test_a_screenshot_is_left_alone_and_other_files_are_not_read(rig: Rig) -> None:
    sim, images = rig.sim, rig.core.images
    sent = await sim.user_message(sim.channel_id, "my balance looks wrong", author_id=USER,
                                  attachments=[("screen.png", "image/png", wallet_screenshot()),
                                               ("notes.txt", "text/plain; charset=utf-8", " ".join(PHRASE).encode())])
    await wait_until(lambda: images.statuses["clean"] == 1, what="the screenshot read")
    await rig.barrier()
    assert not sim.deleted
    # only the image was fetched: in a public channel a text file is announced, never read or relayed
    assert [path.rsplit("/", 1)[-1] for path, _ in sim.attachment_downloads] == ["screen.png"]
    assert dict(images.statuses) == {"clean": 1, "not_image": 1}
    assert sent["attachments"][0]["content_type"] == "image/png"
