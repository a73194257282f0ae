"""Photos through the shield on Telegram (issue 19 item 1): the real adapter
downloads each image (getFile, then the file URL), the real OCR worker reads it,
and a photo of a recovery phrase is deleted with the text leak's warning, while
other users' messages are answered in the meantime."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.i18n import t
from core.storage.sqlite import SQLiteStore
from tests.adapters.telegram.conftest import GROUP, USER, running_rig
from tests.conftest import RecordingCodeSender
from tests.fixtures.images import PHRASE, phrase_photo, wallet_screenshot
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import wait_until

OTHER = 502


async def test_a_phrase_photo_in_a_group_is_deleted_and_other_users_are_answered_meanwhile(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        await tg.user_message(USER, "/start", user_id=USER, chat_type="private", first_name="Alice")
        await rig.settle()
        images = rig.core.images
        images.hold = asyncio.Event()  # the check waits here, downloaded, before OCR
        photo = await tg.user_photo(GROUP, phrase_photo(), user_id=USER, first_name="Alice")
        await wait_until(lambda: images.held == 1, what="the photo downloaded, its check in flight")

        # another user's question is answered while the photo waits for OCR
        await tg.user_message(GROUP, "@walletdesk_bot my transfer has not arrived after 3 hours", user_id=OTHER,
                              first_name="Bob")
        await tg.wait_for_message(GROUP, lambda m: "block explorer" in m.plain_text)
        assert (GROUP, photo["message_id"]) not in tg.deleted

        images.hold.set()
        await tg.wait_for(lambda: (GROUP, photo["message_id"]) in tg.deleted)
        await tg.wait_for_message(GROUP, lambda m: m.plain_text == t("shield.public_notice", "en"))
        warning = await tg.wait_for_message(USER, lambda m: m.plain_text.startswith("⚠️"))
        assert t("shield.kind.seed_phrase", "en") in warning.plain_text
        await rig.settle()
        # the largest size was read, through getFile and the file URL
        largest = photo["photo"][-1]["file_id"]
        assert any(p.get("file_id") == largest for p in tg.calls_to("getFile"))
        assert [status for _, status in tg.file_downloads] == [200]
        assert images.statuses["leak"] == 1
        # the phrase reached no message the bot sent
        assert not any(" ".join(PHRASE[:3]) in m.plain_text for m in tg.sent)


async def test_an_image_file_with_a_phrase_is_deleted_and_a_screenshot_is_left_alone(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        images = rig.core.images
        screen = await tg.user_photo(GROUP, wallet_screenshot(), user_id=USER, first_name="Alice",
                                     caption="why is my balance so low?")
        await wait_until(lambda: images.statuses["clean"] == 1, what="the screenshot read")
        document = await tg.user_photo(GROUP, phrase_photo(), user_id=USER, first_name="Alice", as_document=True,
                                       mime_type="image/png", file_name="backup.png", caption="did I write it right?")
        await tg.wait_for(lambda: (GROUP, document["message_id"]) in tg.deleted)
        await rig.settle()
        assert (GROUP, screen["message_id"]) not in tg.deleted
        notices = [m for m in tg.messages_to(GROUP) if m.plain_text == t("shield.public_notice", "en")]
        assert len(notices) == 1
        assert dict(images.statuses) == {"clean": 1, "leak": 1}


async def test_a_caption_that_leaks_is_handled_as_a_text_and_the_photo_not_read(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        photo = await tg.user_photo(GROUP, wallet_screenshot(), user_id=USER, first_name="Alice",
                                    caption=f"my words: {' '.join(PHRASE)}")
        await tg.wait_for(lambda: (GROUP, photo["message_id"]) in tg.deleted)
        await rig.settle()
        await rig.core.images.drain()
        assert not rig.core.images.statuses and not tg.file_downloads
        assert len([m for m in tg.messages_to(GROUP) if m.plain_text == t("shield.public_notice", "en")]) == 1
