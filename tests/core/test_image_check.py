"""The core's image check (core/conversation/images.py) with the real OCR
worker: a platform's fetcher hands over bytes, the shield reads them off the
event loop, a leak is warned about once, and the worker lives only as long as
the use cases (started by the first image, shut down by ``aclose``)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.i18n import t
from core.shield.findings import MARKERS
from core.models import ChatRef, InboundImage, InboundMessage, UserRef
from core.use_cases import UseCases
from tests.core.test_service import outbox
from tests.fixtures.images import phrase_photo, wallet_screenshot
from tests.waiting import wait_until

ALICE = UserRef("telegram", "501")
GROUP = ChatRef("telegram", "-1001")
DM = ChatRef("telegram", "501", is_private=True)


class Library:
    """Stands in for an adapter's download: the bytes each image handle names."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.fetched: list[str] = []

    async def fetch(self, image: InboundImage, limit: int) -> bytes:
        self.fetched.append(image.ref)
        return self.files[image.ref][: limit + 1]


def photo_msg(key: str, ref: str, *, chat: ChatRef = GROUP, text: str = "", size: int | None = None) -> InboundMessage:
    return InboundMessage(event_key=key, user=ALICE, chat=chat, text=text, message_id=key.rsplit(":", 1)[-1],
                          display_name="Alice", images=(InboundImage(ref, "image/jpeg", size, "photo.jpg"),))


@pytest.fixture
def library(core: UseCases) -> Library:
    lib = Library({"phrase": phrase_photo("JPEG"), "screen": wallet_screenshot()})
    core.images.fetchers["telegram"] = lib.fetch
    return lib


async def test_the_worker_starts_on_the_first_image_and_stops_with_the_use_cases(core: UseCases,
                                                                                  library: Library) -> None:
    assert not core.images.shield.running  # nothing started before an image arrives
    outcome = await core.dialogue.handle_message(photo_msg("tg:1", "screen", text="why is my balance low?"))
    assert outcome.status == "handled"
    await wait_until(lambda: core.images.statuses["clean"] == 1, what="the screenshot read")
    assert core.images.shield.running
    workers = list(core.images.shield._pool._processes.values())  # type: ignore[union-attr]
    assert workers and all(w.is_alive() for w in workers)
    await core.aclose()
    assert not core.images.shield.running
    await wait_until(lambda: not any(w.is_alive() for w in workers), what="the OCR worker process gone")


async def test_a_private_phrase_photo_is_deleted_warned_once_and_opens_an_urgent_ticket(core: UseCases, library: Library) -> None:
    try:
        first = await core.dialogue.handle_message(photo_msg("tg:7", "phrase", chat=DM))
        await wait_until(lambda: core.images.statuses["leak"] == 1, what="the photo read")
        await core.images.drain()
        # Telegram delivers it again (a restart before the offset was confirmed): refused, read no more
        again = await core.dialogue.handle_message(photo_msg("tg:7", "phrase", chat=DM))
        assert (first.status, again.status) == ("handled", "duplicate")
        assert library.fetched == ["phrase"]
        rows = await outbox(core)
        assert [r["payload"]["message_id"] for r in rows if r["action"] == "delete"] == ["7"]
        sends = [r["payload"]["text"] for r in rows if r["action"] == "send" and r["chat_id"] == DM.chat_id]
        warning, opened = sends[0], sends[-1]
        assert warning == t("shield.warning", "en", kinds=t("shield.kind.seed_phrase", "en"))
        # as for a pasted phrase in private: an urgent ticket at once, its text the shield's marker only
        async with core.store.transaction() as tx:
            ticket = await tx.active_ticket_for([ALICE.key])
        assert ticket is not None and ticket.priority.value == "urgent"
        assert opened == t("urgent.opened", "en", ticket_id=ticket.id)
        assert ticket.subject == MARKERS["seed_phrase"]
    finally:
        await core.aclose()


async def test_an_image_over_the_limit_is_not_downloaded(core: UseCases, library: Library,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "core.conversation.images")
    try:
        await core.dialogue.handle_message(photo_msg("tg:9", "phrase", size=core.images.max_bytes + 1))
        await core.images.drain()
        assert dict(core.images.statuses) == {"too_large": 1}
        assert library.fetched == [] and not core.images.shield.running
        assert "over the 10485760 byte limit" in caplog.text
    finally:
        await core.aclose()


async def test_a_check_in_flight_is_cancelled_at_shutdown(core: UseCases, library: Library) -> None:
    core.images.hold = asyncio.Event()
    await core.dialogue.handle_message(photo_msg("tg:11", "phrase"))
    await wait_until(lambda: core.images.held == 1, what="the check waiting for OCR")
    await core.aclose()
    assert core.images.in_flight == 0 and not core.images.shield.running
    assert not [r for r in await outbox(core) if r["action"] == "delete"]
    # closed: a later image is not checked (the process is stopping)
    assert not core.images.submit(photo_msg("tg:12", "phrase"))
