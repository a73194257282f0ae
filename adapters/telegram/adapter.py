"""Telegram adapter: python-telegram-bot in, core calls through, outbox deliveries out.

Development uses long polling; with ``WALLETDESK_PUBLIC_URL`` and
``TELEGRAM_WEBHOOK_SECRET`` set it registers a webhook and serves it on the
``web`` process, checking Telegram's secret-token header. Each update is
processed once: the core refuses a repeated ``update_id``.

An update is confirmed to Telegram only once the core kept it. When the store
fails while it is handled, the webhook answers 503 (Telegram sends it again)
and polling asks for it again (:mod:`adapters.telegram.polling`), so a store
outage delays messages instead of losing them.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import Bot, BotCommand, InputFile, Message, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from adapters.telegram.entry import configured
from adapters.telegram.polling import Poller
from adapters.telegram.setup import LANGUAGES, menu
from adapters.telegram.translate import author, chat_ref, inbound, is_edit
from core.contract import Started
from core.errors import (DeliveryError, InvalidInput, NotFound, PlatformStartError, RateLimited, RetryLater,
                         StoreError, WalletdeskError)
from core.i18n import t
from core.identity.policy import Actor, Permission
from core.models import Delivery, DeliveryResult, InboundImage, InboundMessage, UserRef
from core.support.parts import SentParts
from core.support.ratelimit import ChatRateLimiter
from core.text import split_text

if TYPE_CHECKING:
    from core.use_cases import UseCases

__all__ = ["TelegramAdapter"]

_LOGGER = logging.getLogger(__name__)


class _OneLine(logging.Filter):
    """python-telegram-bot logs an error page it cannot parse (a proxy's HTML, a 503
    body) with its traceback; the adapter reports that failure itself, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


logging.getLogger("telegram.request.BaseRequest").addFilter(_OneLine())

TEXT_LIMIT = 4096
WEBHOOK_PATH = "/telegram/webhook"
_ADMIN_CACHE_SECONDS = 300.0
# Telegram's Bot FAQ: about 30 messages a second overall, 1 a second per chat, 20 a minute per group
RATE_LIMITS: tuple[tuple[int, float], tuple[int, float], tuple[int, float]] = ((30, 1.0), (1, 1.0), (20, 60.0))
ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "edited_channel_post"]


class TelegramAdapter:
    name = "telegram"
    platform = "telegram"
    is_desk = False

    def __init__(self, core: "UseCases") -> None:
        self.core = core
        settings = core.settings
        assert settings.telegram_bot_token is not None
        self._token = settings.telegram_bot_token.get_secret_value()
        builder = ApplicationBuilder().token(self._token)
        if settings.telegram_api_base_url:
            base = settings.telegram_api_base_url.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        # no Updater: it confirms updates before they are handled (adapters/telegram/polling.py)
        self.app: Application = builder.updater(None).build()
        # new messages, edits and channel posts alike: every text and image reaches the shield
        updates = filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POSTS
        content = filters.TEXT | filters.CAPTION | filters.PHOTO | filters.Document.ALL
        self.app.add_handler(MessageHandler(updates & content, self._on_message))
        self.app.add_error_handler(self._on_error)
        self.limiter = ChatRateLimiter(*RATE_LIMITS, scale=settings.rate_limit_scale)
        self._parts = SentParts()  # parts of long messages already sent, per outbox row
        self._admins: dict[tuple[int, int], tuple[bool, float]] = {}
        self.connected = False
        self.username = ""
        self.bot_id = 0
        self.poller: Poller | None = None
        self._unkept: set[int] = set()  # update ids whose handling the store refused

    configured = staticmethod(configured)

    @property
    def _webhook_mode(self) -> bool:
        s = self.core.settings
        return bool(s.public_url and s.telegram_webhook_secret)

    @property
    def bot(self) -> Bot:
        return self.app.bot

    # lifecycle ------------------------------------------------------------------

    async def start(self) -> Started:
        """Log in (getMe), then poll or set the webhook. Fails with one
        :class:`PlatformStartError` naming the setting, never the library's traceback."""
        try:
            await self._start()
        except InvalidToken:
            raise PlatformStartError("TELEGRAM_BOT_TOKEN", "Telegram rejected the token",
                                     "copy it again from @BotFather (/mybots, API Token)", retry=False) from None
        except (NetworkError, OSError) as exc:  # TimedOut is a NetworkError; BadRequest is not
            if isinstance(exc, BadRequest):
                raise PlatformStartError(*self._refused(exc), retry=False) from None
            raise PlatformStartError.unreachable("Telegram", "TELEGRAM", self.core.settings.telegram_api_base_url,
                                                 "api.telegram.org", str(exc)) from None
        except TelegramError as exc:
            raise PlatformStartError(*self._refused(exc), retry=False) from None
        return Started(link_template=f"https://t.me/{self.username}?start=ticket_{{ticket_id}}",
                       fetch_image=self._fetch_image)

    def _refused(self, exc: TelegramError) -> tuple[str, str, str]:
        if self._webhook_mode:
            return ("WALLETDESK_PUBLIC_URL", f"Telegram refused the webhook ({exc.message})",
                    "set WALLETDESK_PUBLIC_URL to the public https:// address of this service "
                    "and TELEGRAM_WEBHOOK_SECRET to letters, digits, _ and - only")
        return ("TELEGRAM_BOT_TOKEN", f"Telegram refused to start the bot ({exc.message})",
                "check the bot with @BotFather, or unset TELEGRAM_BOT_TOKEN to run without Telegram")

    async def _start(self) -> None:
        await self.app.initialize()
        me = self.bot.bot
        self.username, self.bot_id = me.username or "", me.id
        await self.app.start()
        await self._register_commands()
        if self._webhook_mode:
            s = self.core.settings
            assert s.public_url and s.telegram_webhook_secret
            await self.bot.set_webhook(
                url=s.public_url.rstrip("/") + WEBHOOK_PATH, secret_token=s.telegram_webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while one is set
            self.poller = Poller(self.bot, self._process, allowed_updates=ALLOWED_UPDATES, timeout=10)
            self.poller.start()
        self.connected = True
        _LOGGER.info("telegram: connected as @%s", self.username)

    async def _register_commands(self) -> None:
        """The command menu, English by default and Chinese for zh (adapters/telegram/setup.py)."""
        for language_code in LANGUAGES:
            try:
                await self.bot.set_my_commands([BotCommand(name, text) for name, text in menu(language_code)],
                                               language_code=language_code)
            except TelegramError as exc:  # the bot works without its menu
                _LOGGER.warning("telegram: setMyCommands (%s) failed: %s", language_code or "default",
                                type(exc).__name__)

    async def stop(self) -> None:
        self.connected = False
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    # inbound -------------------------------------------------------------------

    async def _moderator(self, chat_id: int, user_id: int) -> Actor:
        """The facts about a would-be moderator; chat admin status is asked for only
        when the configured identities alone do not decide it."""
        actor = Actor(UserRef("telegram", str(user_id)))
        if self.core.policy.allows(actor, Permission.ESCALATE):
            return actor
        return Actor(actor.user, platform_moderator=await self._is_chat_admin(chat_id, user_id))

    async def _is_chat_admin(self, chat_id: int, user_id: int) -> bool:
        cached = self._admins.get((chat_id, user_id))
        if cached and time.monotonic() - cached[1] < _ADMIN_CACHE_SECONDS:
            return cached[0]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
            is_admin = member.status in ("administrator", "creator")
        except TelegramError:
            is_admin = False
        self._admins[(chat_id, user_id)] = (is_admin, time.monotonic())
        return is_admin

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or author(message) is None:
            return
        if is_edit(update) or message.from_user is None or message.sender_chat is not None:
            # edits, channel posts, messages sent as a channel: the shield, never a command
            await self.core.dialogue.handle_message(inbound(update, message, bot_id=self.bot_id,
                                                            username=self.username))
            return
        text = (message.text or "").strip()
        command = text.split()[0].split("@")[0].lower() if text.startswith("/") else ""
        if command == "/escalate":
            await self._escalate(update, message, text)
            return
        if command == "/block":
            await self._block(update, message, text)
            return
        if command == "/verify" and message.entities:
            target = self._mentioned_user(message)
            if target is not None:
                lang = "zh" if (message.from_user.language_code or "").startswith("zh") else "en"
                await self._reply_now(message, self.core.roster.describe(target[1], lang, user_key=target[0]))
                return
        await self.core.dialogue.handle_message(inbound(update, message, bot_id=self.bot_id, username=self.username))

    @staticmethod
    def _mentioned_user(message: Message) -> tuple[str, str] | None:
        for entity in message.entities:
            if entity.type == "text_mention" and entity.user is not None:
                return f"telegram:{entity.user.id}", entity.user.full_name
        return None

    async def _escalate(self, update: Update, message: Message, text: str) -> None:
        assert message.from_user is not None
        lang = "zh" if (message.from_user.language_code or "").startswith("zh") else "en"
        target = message.reply_to_message
        if target is None or target.from_user is None or message.chat.type == "private":
            await self._reply_now(message, t("escalate.need_reply", lang))
            return
        moderator = await self._moderator(message.chat_id, message.from_user.id)
        note = text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) > 1 else ""
        target_msg = InboundMessage(
            event_key=f"telegram:msg:{target.chat_id}:{target.message_id}",
            user=UserRef("telegram", str(target.from_user.id)), chat=chat_ref(target),
            text=target.text or target.caption or "", message_id=str(target.message_id),
            display_name=target.from_user.full_name, locale=target.from_user.language_code,
        )
        try:
            await self.core.escalation.escalate(moderator=moderator, target=target_msg, note=note,
                                                event_key=f"telegram:update:{update.update_id}")
        except InvalidInput as exc:
            await self._reply_now(message, t(exc.key or "error.generic", lang))

    async def _block(self, update: Update, message: Message, text: str) -> None:
        """A moderator (or staff) replies ``/block [reason]`` to a user's message: the core
        decides whether they may (core/support/abuse.py) and blocks the message's author."""
        assert message.from_user is not None
        lang = "zh" if (message.from_user.language_code or "").startswith("zh") else "en"
        target = message.reply_to_message
        if target is None or target.from_user is None or message.chat.type == "private":
            await self._reply_now(message, t("telegram.block_need_reply", lang))
            return
        moderator = await self._moderator(message.chat_id, message.from_user.id)
        reason = text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) > 1 else ""
        try:
            key = await self.core.blocking.block(moderator, f"telegram:{target.from_user.id}", reason,
                                                 event_key=f"telegram:update:{update.update_id}")
        except InvalidInput as exc:
            await self._reply_now(message, t(exc.key or "error.generic", lang, **exc.params))
            return
        await self._reply_now(message, t("abuse.blocked_done", lang, user=target.from_user.full_name or key))

    async def _reply_now(self, message: Message, text: str) -> None:
        """Direct answers to a command (not state changes), sent without the outbox."""
        try:
            await self.limiter.acquire(str(message.chat_id), is_group=message.chat.type != "private")
            await message.reply_text(text, do_quote=message.chat.type != "private")
        except TelegramError as exc:
            _LOGGER.warning("telegram: direct reply failed: %s", type(exc).__name__)

    async def _process(self, update: Update) -> bool:
        """Handle one update; False when the store failed, so that Telegram must
        deliver it again (nothing of it was kept). Never raises."""
        try:
            await self.app.process_update(update)
        except Exception as exc:  # python-telegram-bot hands handler errors to _on_error; this is its own
            _LOGGER.error("telegram: update %s could not be processed: %s", update.update_id, type(exc).__name__,
                          exc_info=exc)
        if update.update_id in self._unkept:
            self._unkept.discard(update.update_id)
            return False
        return True

    async def _fetch_image(self, image: InboundImage, limit: int) -> bytes:
        """A photo's or image file's bytes: ``getFile``, then its download URL
        (``/file/bot<token>/<file_path>``); Telegram serves bots files up to 20 MB."""
        file = await self.bot.get_file(image.ref)
        if file.file_size is not None and file.file_size > limit:
            raise InvalidInput(f"telegram: the file is {file.file_size} bytes, over the limit")
        return bytes(await file.download_as_bytearray())

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        err = context.error
        if isinstance(err, StoreError) and not isinstance(err, NotFound) and isinstance(update, Update):
            self._unkept.add(update.update_id)
            _LOGGER.warning("telegram: update %s not kept, the store failed (%s); Telegram delivers it again",
                            update.update_id, err)
        elif isinstance(err, WalletdeskError):
            _LOGGER.warning("telegram: update rejected: %s", err)
        else:
            _LOGGER.error("telegram: update handler failed: %s", type(err).__name__, exc_info=err)

    # webhook (web process) ------------------------------------------------------------

    def web_routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._webhook)] if self._webhook_mode else []

    async def _webhook(self, request: web.Request) -> web.Response:
        secret = self.core.settings.telegram_webhook_secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            return web.Response(status=401, text="bad secret token")
        try:
            data = await request.json()
            update = Update.de_json(data, self.bot)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError, KeyError, ValueError):
            return web.Response(status=400, text="malformed update")
        if update is None:
            return web.Response(status=400, text="malformed update")
        if not await self._process(update):
            return web.Response(status=503, text="store unavailable, send it again")
        return web.Response(text="ok")

    # deliveries ----------------------------------------------------------------------

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        try:
            if delivery.action == "send":
                return await self._send(int(delivery.chat_id), delivery.payload, delivery.thread_id, row=delivery.id)
            if delivery.action == "dm":
                return await self._dm(delivery)
            if delivery.action in ("send_file", "dm_file"):
                return await self._send_file(delivery)
            if delivery.action == "delete":
                try:
                    await self.bot.delete_message(int(delivery.chat_id), int(str(delivery.payload["message_id"])))
                except BadRequest as exc:
                    if "not found" not in str(exc).lower():
                        raise
                return DeliveryResult()
        except RetryAfter as exc:
            retry = exc.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise RateLimited("telegram 429", retry_after=seconds) from None
        except (BadRequest, Forbidden) as exc:  # BadRequest is a NetworkError subclass: test it first
            raise DeliveryError(f"telegram refused: {exc}") from None
        except (TimedOut, NetworkError) as exc:
            raise RetryLater(f"telegram unavailable: {type(exc).__name__}") from None
        except TelegramError as exc:
            raise DeliveryError(f"telegram error: {exc}") from None
        raise DeliveryError(f"telegram cannot {delivery.action!r}")

    async def _send(self, chat_id: int, payload: dict[str, Any], thread_id: str | None, *,
                    row: int | None = None) -> DeliveryResult:
        """``row``: the outbox row, so a retry after a refused part resumes there (core/support/parts.py)."""
        text = str(payload.get("text", ""))
        reply_to = payload.get("reply_to")
        chunks = split_text(text, TEXT_LIMIT)
        done, last_id = self._parts.done(row)
        for n, chunk in enumerate(chunks):
            if n < done:
                continue  # the platform took this part before a later one was refused
            await self.limiter.acquire(str(chat_id), is_group=chat_id < 0)
            # plain text: no parse_mode, so user-supplied markup is never interpreted
            sent = await self.bot.send_message(
                chat_id, chunk,
                reply_parameters=ReplyParameters(int(str(reply_to)), allow_sending_without_reply=True)
                if reply_to and n == 0 else None,
                message_thread_id=int(thread_id) if thread_id else None,
                disable_web_page_preview=True,
            )
            last_id = str(sent.message_id)
            self._parts.took(row, n + 1, last_id)
        self._parts.finished(row)
        return DeliveryResult(external_id=last_id)

    async def _send_file(self, delivery: Delivery) -> DeliveryResult:
        """A file from staff: ``sendPhoto`` for a PNG or JPEG (shown inline),
        ``sendDocument`` for the rest, both multipart uploads of the bytes."""
        blob = delivery.file
        if blob is None:
            raise DeliveryError("telegram: a file delivery without its file")
        chat_id = int(str(delivery.payload.get("user_id") or delivery.chat_id))
        caption = str(delivery.payload.get("text") or "")[:1024] or None
        await self.limiter.acquire(str(chat_id), is_group=chat_id < 0)
        thread = int(delivery.thread_id) if delivery.thread_id else None
        upload = InputFile(blob.data, filename=blob.name)
        if blob.content_type in ("image/png", "image/jpeg"):
            sent = await self.bot.send_photo(chat_id, upload, caption=caption, message_thread_id=thread)
        else:
            sent = await self.bot.send_document(chat_id, upload, caption=caption, message_thread_id=thread)
        return DeliveryResult(external_id=str(sent.message_id))

    async def _dm(self, delivery: Delivery) -> DeliveryResult:
        user_id = int(str(delivery.payload["user_id"]))
        try:
            # a private chat's id is the user's id
            return await self._send(user_id, delivery.payload, None, row=delivery.id)
        except Forbidden as exc:
            fallback = delivery.payload.get("fallback_chat_id")
            if not fallback:
                raise
            link = f"https://t.me/{self.username}?start=help"
            name = str(delivery.payload.get("name") or "")
            text = "\n".join(t("dm.fallback", lang, name=name, link=link).strip() for lang in ("en", "zh"))
            await self._send(int(str(fallback)), {"text": text}, None)
            # the notice went out, the message itself did not: a failed delivery, so the
            # desk marks it ⚠️ and says so instead of ✅ for a reply the user never got
            raise DeliveryError(f"telegram: the user has not opened a private chat with the bot ({exc}); "
                                "asked them in the group to open one") from None
