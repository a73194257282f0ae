"""Files between a user and the desk (core/conversation/files.py), with the real
OCR worker and store: a private chat's clean screenshot waits in the store for
its ticket's desk thread, a refusal is one line in the user's language and
keeps nothing, a group's file goes nowhere, staff files go to the user, and
the bytes go once delivered, purged or forgotten."""

from __future__ import annotations

import time

from mnemonic import Mnemonic

from core.errors import RetryLater
from core.i18n import t
from core.identity.policy import Actor
from core.models import ChatRef, Delivery, DeliveryResult, FileBlob, InboundImage, InboundMessage, Priority, UserRef
from core.ops.privacy import forget_user, purge_closed_transcripts
from core.storage import Store
from core.support.outbox import OutboxWorker
from core.use_cases import UseCases
from tests.conftest import Clock
from tests.core.test_image_check import Library  # the same stand-in for an adapter download
from tests.core.test_service import outbox
from tests.fixtures.images import phrase_photo, wallet_screenshot

ALICE = UserRef("telegram", "501")
GROUP = ChatRef("telegram", "-1001")
DM = ChatRef("telegram", "501", is_private=True)
STAFF = Actor.at_desk("console:operator")
PHRASE_TEXT = Mnemonic("english").to_mnemonic(bytes(range(16)))


def file_msg(key: str, *files: InboundImage, chat: ChatRef = DM, text: str = "") -> InboundMessage:
    return InboundMessage(event_key=key, user=ALICE, chat=chat, text=text, message_id=key.rsplit(":", 1)[-1],
                          display_name="Alice", addressed=chat.is_private, images=files)


def screen(size: int | None = None, ref: str = "screen") -> InboundImage:
    return InboundImage(ref, "image/png", size, "error dialog.png")


def setup(core: UseCases) -> Library:
    lib = Library({"screen": wallet_screenshot(), "phrase": phrase_photo("PNG"), "notes": b"tx stuck since noon\n",
                   "phrase.txt": f"my words: {PHRASE_TEXT}\n".encode()})
    core.images.fetchers["telegram"] = lib.fetch
    core.images.fetchers["console"] = lib.fetch  # the console desk's (Slack's url_private in production)
    return lib


async def open_ticket(core: UseCases) -> int:
    out = await core.dialogue.handle_message(file_msg("tg:1", text="human"))
    assert out.ticket_id is not None
    return out.ticket_id


async def file_rows(store: Store) -> list[int]:
    async with store.transaction() as tx:
        return await tx.file_ids()


def texts_to_user(rows: list[dict]) -> list[str]:
    return [str(r["payload"]["text"]) for r in rows if r["chat_id"] == DM.chat_id and r["action"] == "send"]


async def test_a_dm_screenshot_waits_in_the_store_for_the_tickets_desk_thread(core: UseCases) -> None:
    setup(core)
    tid = await open_ticket(core)
    await core.dialogue.handle_message(file_msg("tg:2", screen()))
    await core.images.drain()
    rows = await outbox(core)
    (desk_file,) = [r for r in rows if r["action"] == "desk_file"]
    assert desk_file["ticket_id"] == tid and "error dialog.png" in desk_file["payload"]["text"]
    assert "data" not in desk_file["payload"]  # the bytes are in the files table, not the outbox
    async with core.store.transaction() as tx:
        blob = await tx.get_file(int(desk_file["payload"]["file_id"]))
    assert blob is not None and blob.data == wallet_screenshot() and blob.content_type == "image/png"
    assert texts_to_user(rows)[-1] == t("files.relayed", "en", ticket_id=tid)


async def test_too_large_or_wrong_type_is_one_line_in_the_users_language_and_nothing_is_kept(core: UseCases) -> None:
    lib = setup(core)
    await open_ticket(core)
    big = InboundImage("notes", "text/plain", 11 * 1024 * 1024, "log.txt")
    await core.dialogue.handle_message(file_msg("tg:2", big))
    zip_ = InboundImage("notes", "application/zip", 100, "wallet.zip")
    await core.dialogue.handle_message(file_msg("tg:3", zip_))
    huge_photo = screen(size=30 * 1024 * 1024)
    await core.dialogue.handle_message(file_msg("tg:4", huge_photo))
    await core.images.drain()
    said = texts_to_user(await outbox(core))
    assert said[-3:] == [t("files.text_too_large", "en", max_kb=256), t("files.wrong_type", "en"),
                         t("files.too_large", "en", max_mb="10")]
    assert lib.fetched == []  # refused on what the platform announced: nothing downloaded
    assert await file_rows(core.store) == []
    assert not [r for r in await outbox(core) if r["action"] == "desk_file"]


async def test_a_refusal_in_chinese(core: UseCases) -> None:
    setup(core)
    await core.dialogue.handle_message(file_msg("tg:1", text="我要人工客服"))
    await core.dialogue.handle_message(file_msg("tg:2", InboundImage("notes", "application/x-msdownload", 10, "a.exe")))
    await core.images.drain()
    assert texts_to_user(await outbox(core))[-1] == t("files.wrong_type", "zh")


async def test_a_file_from_a_group_goes_nowhere_and_without_a_ticket_the_user_is_told(core: UseCases) -> None:
    setup(core)
    await core.dialogue.handle_message(file_msg("tg:1", screen(), chat=GROUP))
    await core.dialogue.handle_message(file_msg("tg:2", screen()))  # a DM, no ticket yet
    await core.images.drain()
    rows = await outbox(core)
    assert not [r for r in rows if r["action"] == "desk_file"] and await file_rows(core.store) == []
    assert not [r for r in rows if r["chat_id"] == GROUP.chat_id]  # never re-posted in public
    assert texts_to_user(rows)[-1] == t("files.no_ticket", "en")


async def test_a_text_file_with_a_phrase_is_a_leak_and_nothing_is_kept(core: UseCases) -> None:
    setup(core)
    await open_ticket(core)
    await core.dialogue.handle_message(file_msg("tg:2", InboundImage("phrase.txt", "text/plain", 80, "backup.txt")))
    await core.images.drain()
    rows = await outbox(core)
    assert any(r["action"] == "delete" and r["payload"]["message_id"] == "2" for r in rows)
    assert await file_rows(core.store) == [] and not [r for r in rows if r["action"] == "desk_file"]
    assert not any(PHRASE_TEXT.split()[3] in str(r["payload"]) for r in rows)


async def test_a_staff_file_with_a_phrase_never_reaches_the_user(core: UseCases) -> None:
    setup(core)
    tid = await open_ticket(core)
    sent = await core.files.from_staff(STAFF, tid, event_key="s1", files=[
        InboundImage("phrase", "image/png", None, "phrase.png"), InboundImage("screen", "image/png", None, "fix.png"),
        InboundImage("notes", "application/pdf", None, "guide.pdf")])
    assert sent == 1
    rows = await outbox(core)
    (to_user,) = [r for r in rows if r["action"] in ("send_file", "dm_file")]
    assert to_user["payload"]["name"] == "fix.png" and to_user["chat_id"] == DM.chat_id
    desk_lines = [str(r["payload"].get("text")) for r in rows if r["action"] == "desk_post"]
    assert any("phrase.png" in line and "recovery phrase" in line for line in desk_lines)
    assert any("guide.pdf" in line and "not allowed" in line for line in desk_lines)
    assert len(await file_rows(core.store)) == 1
    assert await core.files.from_staff(STAFF, tid, event_key="s1", files=[screen()]) == 0  # a redelivery


class Recording:
    def __init__(self) -> None:
        self.got: list[Delivery] = []

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        self.got.append(delivery)
        return DeliveryResult(external_id="171.1")


async def test_delivered_files_are_handed_over_with_their_bytes_then_deleted(core: UseCases) -> None:
    setup(core)
    tid = await open_ticket(core)
    await core.dialogue.handle_message(file_msg("tg:2", screen()))
    await core.images.drain()
    await core.files.from_staff(STAFF, tid, event_key="s1", files=[screen()])
    assert len(await file_rows(core.store)) == 2
    sender = Recording()
    worker = OutboxWorker(core.store, {"console": sender, "telegram": sender}, clock=core.clock)
    while await worker.run_once():
        pass
    files = {d.action: d.file for d in sender.got if d.file is not None}
    assert set(files) == {"desk_file", "send_file"}
    assert all(f.data == wallet_screenshot() for f in files.values())
    assert await file_rows(core.store) == []


async def test_purge_and_forget_remove_kept_files(store: Store) -> None:
    now = time.time()
    blob = FileBlob("shot.png", "image/png", b"\x89PNG bytes")
    async with store.transaction() as tx:
        ids = []
        for n, user in enumerate(("telegram:1", "telegram:2")):
            ref = UserRef.parse(user)
            ticket = await tx.create_ticket(user=ref, origin=ChatRef("telegram", ref.user_id, is_private=True),
                                            origin_message_id=None, priority=Priority.NORMAL, category=None,
                                            lang="en", subject="help", now=now - 200 * 86400)
            ids.append(ticket.id)
            await tx.save_file(ticket_id=ticket.id, user_key=user, direction="to_desk", blob=blob, now=now)
        await tx.update_ticket(ids[0], state="closed", closed_at=now - 100 * 86400)
        kept = await tx.file_ids()
        assert len(kept) == 2 and (await tx.get_file(kept[0])) == blob
    await purge_closed_transcripts(store, 90, now=now)
    async with store.transaction() as tx:
        assert [await tx.get_file(i) is None for i in kept] == [True, False]  # only the closed, old ticket's
    await forget_user(store, "telegram:2")
    async with store.transaction() as tx:
        assert await tx.file_ids() == []


class DownThenUp:
    """A desk that is down for the first worker (a restart comes between)."""

    def __init__(self) -> None:
        self.up = False
        self.got: list[Delivery] = []

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        if delivery.action == "desk_file" and not self.up:
            raise RetryLater("slack down", retry_after=0.0)
        self.got.append(delivery)
        return DeliveryResult(external_id="171.1")


async def test_a_file_waits_in_the_store_across_a_restart(core: UseCases, clock: Clock) -> None:
    setup(core)
    await open_ticket(core)
    await core.dialogue.handle_message(file_msg("tg:2", screen()))
    await core.images.drain()
    sender = DownThenUp()
    first = OutboxWorker(core.store, {"console": sender, "telegram": sender}, clock=core.clock)
    for _ in range(5):
        await first.run_once()
    assert len(await file_rows(core.store)) == 1 and not [d for d in sender.got if d.action == "desk_file"]
    sender.up = True
    clock.advance(600)  # past the backoff and the first worker's lease
    second = OutboxWorker(core.store, {"console": sender, "telegram": sender}, clock=core.clock)  # a new process
    while await second.run_once():
        pass
    (delivered,) = [d for d in sender.got if d.action == "desk_file"]
    assert delivered.file is not None and delivered.file.data == wallet_screenshot()
    assert await file_rows(core.store) == []


async def test_a_clean_text_file_from_a_dm_reaches_the_desk_scanned(core: UseCases) -> None:
    lib = setup(core)
    await open_ticket(core)
    await core.dialogue.handle_message(file_msg("tg:2", InboundImage("notes", "text/plain; charset=utf-8", 20, "a.txt")))
    await core.images.drain()
    assert lib.fetched == ["notes"]
    (row,) = [r for r in await outbox(core) if r["action"] == "desk_file"]
    async with core.store.transaction() as tx:
        blob = await tx.get_file(int(row["payload"]["file_id"]))
    assert blob == FileBlob("a.txt", "text/plain", b"tx stuck since noon\n")
