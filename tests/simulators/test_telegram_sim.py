"""The real python-telegram-bot against TelegramSim, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dtm
import warnings
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.waiting import DEADLINE

from .chat_limits import Ticks
from .telegram_sim import TelegramSim

TOKEN = "123456789:TEST-walletdesk-token"
GROUP = -1001234567890
ALICE = 4242


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSim]:
    async with TelegramSim(token=TOKEN, clock=Ticks()) as s:  # a second between requests
        yield s


@pytest.fixture
async def bot(sim: TelegramSim) -> AsyncIterator[Bot]:
    # PTB appends the token to base_url: "<base>/bot" + token -> "<base>/bot<token>/<method>".
    async with Bot(TOKEN, base_url=f"{sim.base_url}/bot") as b:
        yield b


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def test_base_url_and_get_me(sim: TelegramSim, bot: Bot) -> None:
    assert bot.base_url == sim.api_url
    me = await bot.get_me()
    assert me.username == "walletdesk_bot" and me.is_bot and me.id == 123456789
    assert sim.calls[0][0] == "getMe"


async def test_wrong_token_is_unauthorized(sim: TelegramSim) -> None:
    async with ClientSession() as http:
        async with http.post(f"{sim.base_url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized"
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=f"{sim.base_url}/bot"):  # initialize() calls getMe
            pass


async def test_unknown_method_is_404(sim: TelegramSim) -> None:
    async with ClientSession() as http:
        async with http.post(f"{sim.api_url}/fooBar", json={}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_send_message_limits_and_reply(sim: TelegramSim, bot: Bot) -> None:
    question = await sim.user_message(ALICE, "/start ticket_7", user_id=ALICE, username="alice")
    assert question["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    sent = await bot.send_message(ALICE, "<b>Hi</b> &amp; welcome", parse_mode=ParseMode.HTML,
                                  reply_to_message_id=question["message_id"])
    assert sent.message_id == question["message_id"] + 1
    assert sent.text == "Hi & welcome" and sent.reply_to_message.message_id == question["message_id"]
    [record] = sim.messages_to(ALICE)
    assert record.text == "<b>Hi</b> &amp; welcome" and record.parse_mode == "HTML"

    await bot.send_message(ALICE, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ALICE, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(ALICE, "<blink>no</blink>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)reserved"):
        await bot.send_message(ALICE, "Version 1.2", parse_mode=ParseMode.MARKDOWN_V2)
    await bot.send_message(ALICE, r"*Version* 1\.2", parse_mode=ParseMode.MARKDOWN_V2)
    assert sim.messages_to(ALICE)[-1].plain_text == "Version 1.2"
    assert len(sim.texts_to(ALICE)) == 3


async def test_bot_cannot_message_user_first(sim: TelegramSim, bot: Bot) -> None:
    await sim.user_message(GROUP, "hello", user_id=ALICE)
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(ALICE, "psst")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(-42, "nobody")


async def test_delete_and_edit(sim: TelegramSim, bot: Bot) -> None:
    leak = await sim.user_message(GROUP, "my seed is ...", user_id=ALICE, chat_title="Wallet Help")
    assert await bot.delete_message(GROUP, leak["message_id"]) is True
    assert (GROUP, leak["message_id"]) in sim.deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(GROUP, leak["message_id"])

    sim.set_admins(GROUP, [], bot_is_admin=False)
    other = await sim.user_message(GROUP, "another", user_id=ALICE)
    with pytest.raises(BadRequest, match="can't be deleted"):
        await bot.delete_message(GROUP, other["message_id"])

    notice = await bot.send_message(GROUP, "notice")
    edited = await bot.edit_message_text("notice (edited)", GROUP, notice.message_id)
    assert edited.text == "notice (edited)" and sim.messages_to(GROUP)[0].edits == ["notice (edited)"]
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("notice (edited)", GROUP, notice.message_id)


async def test_chat_members_and_commands(sim: TelegramSim, bot: Bot) -> None:
    sim.add_user(7, first_name="Mod", username="mod")
    sim.add_chat(GROUP, "supergroup", title="Wallet Help", admins=[7], creator=1)
    sim.add_user(1, first_name="Owner")
    await sim.user_message(GROUP, "hi", user_id=ALICE)
    assert (await bot.get_chat_member(GROUP, 7)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 1)).status == "creator"
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "member"
    admins = await bot.get_chat_administrators(GROUP)
    assert {a.user.id for a in admins} == {1, 7, bot.id}
    chat = await bot.get_chat(GROUP)
    assert chat.title == "Wallet Help" and chat.type == "supergroup"

    await bot.set_my_commands([("faq", "Ask the FAQ"), ("escalate", "Escalate to staff")])
    assert [c.command for c in await bot.get_my_commands()] == ["faq", "escalate"]


async def test_retry_after_and_failure_window(sim: TelegramSim, bot: Bot) -> None:
    await sim.user_message(ALICE, "hi", user_id=ALICE)
    fault = sim.fail("sendMessage", status=429, times=1, retry_after=7)
    with pytest.raises(RetryAfter) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await bot.send_message(ALICE, "first")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _seconds(info.value.retry_after) == 7
    assert fault.hits == 1
    assert (await bot.send_message(ALICE, "second")).text == "second"

    outage = sim.fail_for(3600, status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(ALICE, "during outage")
    outage.until = asyncio.get_running_loop().time()  # the window has passed (no waiting for it)
    assert (await bot.send_message(ALICE, "after outage")).text == "after outage"
    assert sim.texts_to(ALICE) == ["second", "after outage"]


async def _start_polling_app(sim: TelegramSim) -> Application:
    app = ApplicationBuilder().token(TOKEN).base_url(f"{sim.base_url}/bot").build()
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=2, poll_interval=0)
    return app


async def _stop(app: Application) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_application_polling_receives_group_message_and_replies(sim: TelegramSim) -> None:
    seen: list[int] = []

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app = await _start_polling_app(sim)
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    try:
        question = await sim.user_message(
            GROUP, "@walletdesk_bot where is my transfer?", user_id=ALICE, username="alice",
            chat_type="supergroup", chat_title="Wallet Help",
        )
        assert question["entities"][0]["type"] == "mention"
        reply = await sim.wait_for_message(GROUP)
        assert reply.plain_text == "echo: @walletdesk_bot where is my transfer?"
        assert reply.reply_to_message_id == question["message_id"]

        # The same update delivered again (as after a crash before confirming the offset).
        dup = await sim.duplicate_last_update()
        await sim.wait_for_message(GROUP, since=1)
        assert seen == [dup["update_id"], dup["update_id"]]
    finally:
        await _stop(app)
    assert not sim.calls_to("getUpdates")[-1].get("timeout")  # PTB's cleanup call confirms the offset
    assert sim._pending == []


async def test_callback_query_roundtrip(sim: TelegramSim) -> None:
    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("noted")
        await update.callback_query.edit_message_text(f"rated {update.callback_query.data}")

    app = await _start_polling_app(sim)
    app.add_handler(CallbackQueryHandler(on_button))
    try:
        await sim.user_message(ALICE, "hi", user_id=ALICE)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("5", callback_data="csat:5")]])
        prompt = await app.bot.send_message(ALICE, "Rate us", reply_markup=markup)
        assert sim.messages_to(ALICE)[0].reply_markup == markup.to_dict()
        await sim.callback_query(ALICE, prompt.message_id, "csat:5", user_id=ALICE)
        await sim.wait_for(lambda: sim.messages_to(ALICE)[0].edits)
    finally:
        await _stop(app)
    assert sim.callback_answers[0]["text"] == "noted"
    assert sim.texts_to(ALICE) == ["rated csat:5"]


async def test_webhook_delivery_with_secret_and_conflict(sim: TelegramSim, bot: Bot) -> None:
    received: asyncio.Queue[tuple[str | None, dict]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/tg", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
    try:
        assert await bot.set_webhook(url, secret_token="s3cret")
        assert (await bot.get_webhook_info()).url == url
        with pytest.raises(Conflict):
            await bot.get_updates()
        message = await sim.user_message(GROUP, "hello", user_id=ALICE)
        secret, update = await asyncio.wait_for(received.get(), DEADLINE)
        assert secret == "s3cret" and update["message"]["message_id"] == message["message_id"]
        await sim.duplicate_last_update()
        _, again = await asyncio.wait_for(received.get(), DEADLINE)
        assert again["update_id"] == update["update_id"]
        await sim.drain()
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()
    finally:
        await runner.cleanup()


async def test_photos_get_file_and_the_file_download_url(sim: TelegramSim) -> None:
    """A photo arrives as PhotoSizes (a thumbnail, then the image re-encoded as JPEG);
    getFile names its path and the bytes are at /file/bot<token>/<path>, as on Telegram."""
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (1600, 800), "white").save(png, "PNG")
    async with Bot(TOKEN, base_url=f"{sim.base_url}/bot", base_file_url=f"{sim.base_url}/file/bot") as bot:
        message = await sim.user_photo(GROUP, png.getvalue(), user_id=ALICE, caption="look")
        update = Update.de_json((await bot.get_updates())[-1].to_dict(), bot)
        assert update is not None and update.message is not None and update.message.caption == "look"
        thumb, full = update.message.photo
        assert (full.width, full.height) == (1280, 640) and max(thumb.width, thumb.height) == 90
        file = await bot.get_file(full.file_id)
        data = bytes(await file.download_as_bytearray())
        assert data[:3] == b"\xff\xd8\xff" and len(data) == full.file_size  # a JPEG, as Telegram sends photos
        assert message["photo"][-1]["file_id"] == full.file_id
        document = await sim.user_photo(GROUP, png.getvalue(), user_id=ALICE, as_document=True, file_name="a.png")
        doc_file = await bot.get_file(document["document"]["file_id"])
        assert bytes(await doc_file.download_as_bytearray()) == png.getvalue()  # a file is sent as it was
        with pytest.raises(BadRequest, match="(?i)wrong file_id"):
            await bot.get_file("no-such-file")
    path = file.file_path.rsplit("/file/bot", 1)[1].split("/", 1)[1]  # type: ignore[union-attr]
    async with ClientSession() as http:
        async with http.get(f"{sim.base_url}/file/bot123:WRONG/{path}") as resp:
            assert resp.status == 401
    assert [status for _, status in sim.file_downloads] == [200, 200, 401]


async def test_send_photo_and_document_are_multipart_uploads_with_their_bytes_kept(sim: TelegramSim) -> None:
    """PTB uploads an InputFile as multipart/form-data; the simulator keeps the exact bytes."""
    from telegram import InputFile

    await sim.user_message(ALICE, "/start", user_id=ALICE)  # a private chat the bot may write to
    async with Bot(TOKEN, base_url=f"{sim.base_url}/bot", base_file_url=f"{sim.base_url}/file/bot") as bot:
        photo = await bot.send_photo(ALICE, InputFile(b"\x89PNG picture", filename="fix.png"), caption="see")
        doc = await bot.send_document(ALICE, InputFile(b"plain words\n", filename="steps.txt"))
        assert photo.photo and photo.caption == "see" and doc.document and doc.document.file_name == "steps.txt"
        with pytest.raises(BadRequest, match="(?i)no photo"):
            await bot.send_photo(ALICE, "not-a-file-id-or-upload")
        sim.add_user(777, first_name="Bob")
        with pytest.raises(Forbidden):
            await bot.send_document(777, InputFile(b"x", filename="x.txt"))  # never started the bot
    assert [(u.method, u.filename, u.data, u.caption) for u in sim.uploads] == [
        ("sendPhoto", "fix.png", b"\x89PNG picture", "see"), ("sendDocument", "steps.txt", b"plain words\n", None)]
