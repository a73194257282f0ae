"""A local Telegram Bot API simulator for end-to-end tests.

``TelegramSim`` serves the Bot API wire protocol (``POST|GET /bot<token>/<method>``
with query, form, multipart or JSON parameters) on 127.0.0.1 with an ephemeral
port, so the real python-telegram-bot talks to it over a real socket::

    async with TelegramSim(token="123456:TEST") as sim:
        bot = telegram.Bot(sim.token, base_url=f"{sim.base_url}/bot")
        await sim.user_message(-1001, "how do I reset my password?", user_id=42)
        reply = await sim.wait_for_message(-1001)

It records every call (``sim.calls``), every message the bot sends
(``sim.messages_to``), deletions (``sim.deleted``) and edits, lets a test inject
user activity (``user_message``, ``user_photo``, ``callback_query``, ``duplicate_last_update``),
files the bot uploads with ``sendPhoto`` / ``sendDocument`` (multipart/form-data, the
file in the ``photo`` / ``document`` part or ``attach://<name>``; ``sim.uploads`` keeps
each one's exact bytes; a photo over 10 MB or a document over 50 MB is refused),
delivers updates either to ``getUpdates`` long polling or to a webhook set with
``setWebhook`` (with the ``X-Telegram-Bot-Api-Secret-Token`` header), and
injects faults (``fail``, ``fail_for``).

Flood limits, on by default as on Telegram (tests/simulators/chat_limits.py, which cites the
Bot FAQ): per chat about one message a second (a burst of 3), 20 per minute per group, 30 a
second overall; a send over them is HTTP 429 ``Too Many Requests: retry after N`` with
``parameters.retry_after``. They run on ``sim.clock`` (``TelegramSim(clock=...)``: a virtual clock,
or ``chat_limits.scaled_clock(s)`` for a product run at ``WALLETDESK_RATE_LIMIT_SCALE=s``);
``sim.rate_limits.refused`` records each refusal, ``sim.rate_limits = None`` turns them off.

Validation follows the real API where tests are likely to hit it: the 4096
character limit (counted after entity parsing), ``parse_mode`` syntax errors
(HTML and MarkdownV2), unknown chats, private chats whose user never started the
bot, replies to unknown messages, deleting messages without the right, and
callback data longer than 64 bytes.

Group privacy mode is on (``privacy_mode=True``, as BotFather sets every new bot;
``getMe`` says ``can_read_all_group_messages: false``): in a group or supergroup
where the bot is not an administrator (``add_chat(..., bot_is_admin=False)``) only
commands (``/cmd``, ``/cmd@this_bot``), replies to the bot's messages, @mentions of
the bot and service messages are delivered; the rest is recorded in ``withheld``.
Channel senders: ``user_message(..., as_channel=ID)`` / ``anonymous_admin=True`` carry
``sender_chat``. Forum topics: ``add_chat(..., is_forum=True)``, ``await add_topic(chat,
name)`` (its ``forum_topic_created`` message; returns the ``message_thread_id``),
``user_message(..., topic_id=...)`` (``is_topic_message``); ``sendMessage`` with a
``message_thread_id`` that names no topic of a forum is "message thread not found",
and a reply lands in its message's topic.

Files: a ``user_photo`` carries ``photo`` (an array of PhotoSize, a thumbnail
and the full size, each with its ``file_id``) or, sent as a file, a
``document`` with its ``mime_type``. ``getFile`` answers a ``file_path``
(refusing files over the bots' 20 MB), and the bytes are served at
``/file/bot<token>/<file_path>``, as the Bot API does (``file_downloads``
records each request).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.simulators.chat_limits import TELEGRAM_SENDS, TelegramLimits
from tests.simulators.faults import Fault, FaultPlan
from tests.waiting import DEADLINE

__all__ = ["BotMessage", "BotUpload", "Fault", "TelegramApiError", "TelegramSim"]

JSONDict = dict[str, Any]

MAX_MESSAGE_LENGTH = 4096
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile: "file is too big" beyond this
MAX_CALLBACK_DATA_BYTES = 64
#: Methods that ``fail(None, ...)`` / ``fail_for(...)`` do not affect unless named.
POLLING_METHODS = frozenset({"getupdates"})

_INT_KEYS = {
    "chat_id", "user_id", "message_id", "reply_to_message_id", "offset", "limit",
    "timeout", "message_thread_id", "cache_time", "max_connections", "from_chat_id",
}
_BOOL_KEYS = {
    "disable_web_page_preview", "disable_notification", "protect_content",
    "allow_sending_without_reply", "drop_pending_updates", "show_alert",
    "only_if_banned", "revoke_messages",
}
_JSON_KEYS = {
    "reply_markup", "reply_parameters", "link_preview_options", "entities",
    "allowed_updates", "commands", "scope", "message_ids",
}
_HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji",
}
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9_]{5,32}")
_URL_RE = re.compile(r"https?://[^\s]+")
_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class TelegramApiError(Exception):
    """Raised inside a method handler; becomes an ``{"ok": false, ...}`` response."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(reason: str) -> TelegramApiError:
    return TelegramApiError(400, f"Bad Request: {reason}")


def _fault_error(fault: Fault) -> TelegramApiError:
    if fault.status == 429:
        desc = fault.message or f"Too Many Requests: retry after {fault.retry_after}"
        return TelegramApiError(429, desc, {"retry_after": fault.retry_after})
    default = {
        400: "Bad Request: simulated failure",
        403: "Forbidden: simulated failure",
        409: "Conflict: simulated failure",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(fault.status, "Simulated failure")
    return TelegramApiError(fault.status, fault.message or default)


@dataclass
class BotUpload:
    """A file the bot sent (``sendPhoto`` / ``sendDocument``), with the bytes it uploaded."""

    chat_id: int | str
    message_id: int
    method: str  # "sendPhoto" or "sendDocument"
    filename: str
    data: bytes
    caption: str | None


class _Uploads:
    """``sendPhoto`` / ``sendDocument`` with a multipart upload, a mixin of
    :class:`TelegramSim` (kept apart to ease merges)."""

    async def _handle_upload(self: Any, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        field_name = "photo" if method.lower() == "sendphoto" else "document"
        params: JSONDict = dict(request.query)
        parts: dict[str, tuple[str, bytes]] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                data = await part.read()  # type: ignore[union-attr]
                if part.filename is not None:  # type: ignore[union-attr]
                    parts[part.name or ""] = (part.filename, bytes(data))  # type: ignore[union-attr]
                else:
                    params[part.name or ""] = data.decode()  # type: ignore[union-attr]
        else:
            params.update(await self._read_params(request))
        self.calls.append((method, {k: v for k, v in params.items()}))
        try:
            fault = self.faults.take(method.lower())
            if fault is not None:
                raise _fault_error(fault)
            self._flood_check(method.lower(), _coerce_params(params))
            chat = self._chat_for_sending(_coerce_params(params).get("chat_id"))
            ref = params.get(field_name)
            if isinstance(ref, str) and ref.startswith("attach://"):
                found = parts.get(ref[len("attach://"):])
            else:
                found = parts.get(field_name)
            if found is None:
                raise _bad_request(f"there is no {field_name} in the request")
            filename, data = found
            if not data:
                raise _bad_request("file must be non-empty")
            if len(data) > (10 if field_name == "photo" else 50) * 1024 * 1024:
                raise TelegramApiError(413, "Request Entity Too Large")
            caption = params.get("caption")
            if isinstance(caption, str) and len(caption) > 1024:
                raise _bad_request("message caption is too long")
        except TelegramApiError as exc:
            await self._notify()
            return web.json_response(exc.payload(), status=exc.status)
        chat_id = chat["id"]
        file = self._add_file(data, "photos" if field_name == "photo" else "documents",
                              filename.rsplit(".", 1)[-1] if "." in filename else "bin")
        message: JSONDict = {"message_id": self._new_message_id(chat_id), "from": self.bot_user, "chat": chat,
                             "date": int(time.time())}
        if field_name == "photo":
            message["photo"] = [{"file_id": file["file_id"], "file_unique_id": file["file_unique_id"],
                                 "file_size": len(data), "width": 0, "height": 0}]
        else:
            message["document"] = {"file_id": file["file_id"], "file_unique_id": file["file_unique_id"],
                                   "file_name": filename, "file_size": len(data)}
        if caption:
            message["caption"] = caption
        self.messages[(chat_id, message["message_id"])] = message
        self.uploads.append(BotUpload(chat_id, message["message_id"], method, filename, data,
                                      caption if isinstance(caption, str) else None))
        await self._notify()
        return web.json_response({"ok": True, "result": message})


@dataclass
class BotMessage:
    """A message the bot sent, with the request details tests like to assert on."""

    chat_id: int | str
    message_id: int
    text: str  # as sent, including markup
    plain_text: str  # after parse_mode entity parsing (what the user sees)
    parse_mode: str | None
    reply_to_message_id: int | None
    reply_markup: JSONDict | None
    link_preview_disabled: bool
    params: JSONDict
    message: JSONDict  # the Message object returned to the bot
    edits: list[str] = field(default_factory=list)
    deleted: bool = False


# --------------------------------------------------------------------------- helpers


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _auto_entities(text: str) -> list[JSONDict]:
    """Entities Telegram would attach to a user's plain text (offsets in UTF-16 units)."""
    spans: list[tuple[int, int, str]] = []
    cmd = _COMMAND_RE.match(text)
    if cmd:
        spans.append((cmd.start(), cmd.end(), "bot_command"))
    spans += [(m.start(), m.end(), "mention") for m in _MENTION_RE.finditer(text)]
    spans += [(m.start(), m.end(), "url") for m in _URL_RE.finditer(text)]
    spans.sort()
    return [
        {"type": kind, "offset": _utf16_len(text[:start]), "length": _utf16_len(text[start:end])}
        for start, end, kind in spans
    ]


class _HtmlChecker(HTMLParser):
    """Validates Telegram's HTML subset and extracts the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise _bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise _bad_request(f'can\'t parse entities: Unexpected end tag "{tag}"')
        expected = self.stack.pop()
        if expected != tag:
            raise _bad_request(
                f'can\'t parse entities: Unmatched end tag, expected "</{expected}>", found "</{tag}>"'
            )

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise _bad_request("can't parse entities: Unsupported start tag \"\"")
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        table = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
        if name not in table:
            raise _bad_request(f'can\'t parse entities: Unsupported HTML entity "&{name};"')
        self.out.append(table[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name.lower().startswith("x") else int(name)
        self.out.append(chr(code))


def _plain_from_html(text: str) -> str:
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.rawdata:  # an unterminated "<..." left in the buffer
        raise _bad_request("can't parse entities: Unclosed start tag")
    if checker.stack:
        raise _bad_request(
            f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
        )
    return "".join(checker.out)


def _plain_from_markdown_v2(text: str) -> str:
    """Strict MarkdownV2 check: unescaped reserved characters and open entities fail."""
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    names = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough",
             "||": "Spoiler", "`": "Code", "```": "Pre", "[": "TextUrl"}

    def toggle(kind: str) -> None:
        if stack and stack[-1] == kind:
            stack.pop()
        elif kind in stack:
            raise _bad_request(f"can't parse entities: Can't find end of {names[stack[-1]]} entity")
        else:
            stack.append(kind)

    while i < n:
        c = text[i]
        in_code = bool(stack) and stack[-1] in ("`", "```")
        if c == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        if text.startswith("```", i):
            toggle("```")
            i += 3
            if stack and stack[-1] == "```":  # optional language on the opening line
                while i < n and text[i] not in "\n":
                    i += 1
            continue
        if c == "`":
            toggle("`")
            i += 1
            continue
        if in_code:
            out.append(c)
            i += 1
            continue
        if text.startswith("__", i) or text.startswith("||", i):
            toggle(text[i : i + 2])
            i += 2
            continue
        if c in "*_~":
            toggle(c)
            i += 1
            continue
        if c == "[":
            stack.append("[")
            i += 1
            continue
        if c == "]" and stack and stack[-1] == "[" and text.startswith("(", i + 1):
            end = i + 2
            while end < n and text[end] != ")":
                end += 2 if text[end] == "\\" else 1
            if end >= n:
                raise _bad_request("can't parse entities: Can't find end of a URL")
            stack.pop()
            i = end + 1
            continue
        if c == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # block quotation marker
            continue
        if c in _MDV2_RESERVED:
            raise _bad_request(
                f"can't parse entities: Character '{c}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        out.append(c)
        i += 1
    if stack:
        raise _bad_request(f"can't parse entities: Can't find end of {names[stack[-1]]} entity")
    return "".join(out)


def _plain_from_markdown(text: str) -> str:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    stripped = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    for delim in ("```", "`", "*", "_"):
        if stripped.count(delim) % 2:
            raise _bad_request("can't parse entities: Can't find end of the entity")
        stripped = stripped.replace(delim, "")
    return stripped


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees after Telegram parses ``parse_mode`` (raises on bad markup)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _plain_from_html(text)
    if mode == "markdownv2":
        return _plain_from_markdown_v2(text)
    if mode == "markdown":
        return _plain_from_markdown(text)
    if mode:
        raise _bad_request(f"unsupported parse_mode {parse_mode}")
    return text


def _coerce_params(raw: JSONDict) -> JSONDict:
    """Turn form/query strings into the types the JSON interface would carry."""
    params: JSONDict = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_KEYS:
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise _bad_request(f"can't parse {key} JSON object") from exc
            elif key in _INT_KEYS:
                if re.fullmatch(r"-?\d+", value):
                    value = int(value)
                elif key != "chat_id" and key != "from_chat_id":
                    raise _bad_request(f"invalid {key} specified")
            elif key in _BOOL_KEYS:
                value = value.lower() in ("true", "1")
        params[key] = value
    return params


# --------------------------------------------------------------------------- simulator


class TelegramSim(_Uploads):
    """Telegram Bot API simulator; use as ``async with TelegramSim(...) as sim``."""

    def __init__(
        self,
        token: str = "123456789:TEST-walletdesk-token",
        *,
        bot_username: str = "walletdesk_bot",
        bot_first_name: str = "WalletDesk",
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_retry_delay: float = 0.05,
        webhook_max_attempts: int = 3,
        privacy_mode: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        # the time source of the send limits (tests inject a virtual or a scaled clock)
        self.clock = clock
        # Telegram's documented flood limits (tests/simulators/chat_limits.py); None turns them off
        self.rate_limits: TelegramLimits | None = TelegramLimits(lambda: self.clock())
        # BotFather's group privacy (on for every new bot): in a group where the bot is not an
        # admin it gets only commands, replies to its messages and @mentions of it
        self.privacy_mode = privacy_mode
        self.withheld: list[JSONDict] = []  # update bodies privacy mode kept from the bot (no update_id)
        self.topics: dict[int | str, dict[int, str]] = {}  # forum chat -> topic id -> name
        bot_id = token.split(":", 1)[0]
        self.bot_id = int(bot_id) if bot_id.isdigit() else 123456789
        self.bot_username = bot_username
        self.bot_user: JSONDict = {
            "id": self.bot_id, "is_bot": True, "first_name": bot_first_name,
            "username": bot_username,
        }
        self.host, self._port = host, port
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_attempts = webhook_max_attempts

        # records
        self.calls: list[tuple[str, JSONDict]] = []
        self.sent: list[BotMessage] = []
        self.deleted: set[tuple[int | str, int]] = set()
        self.updates: list[JSONDict] = []  # every update injected, in order
        self.callback_answers: list[JSONDict] = []
        self.webhook_deliveries: list[tuple[int, int | str]] = []  # (update_id, status|error)
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.file_downloads: list[tuple[str, int]] = []  # (file_path, HTTP status)
        self.files: dict[str, tuple[JSONDict, bytes]] = {}  # file_id -> (File object, bytes)
        self.uploads: list[BotUpload] = []  # sendPhoto / sendDocument, with the bytes

        # state
        self.chats: dict[int | str, JSONDict] = {}
        self.users: dict[int, JSONDict] = {}
        self.started_private: set[int] = set()  # users who opened a private chat with the bot
        self.blocked_by: set[int] = set()  # users who blocked the bot
        self.admins: dict[int | str, set[int]] = {}
        self.creators: dict[int | str, int] = {}
        self.bot_admin_in: dict[int | str, bool] = {}
        self.members: dict[int | str, set[int]] = {}
        self.messages: dict[tuple[int | str, int], JSONDict] = {}
        self.faults = FaultPlan(normalise=str.lower, spared=POLLING_METHODS)
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None
        self._allowed_updates: list[str] | None = None
        self._last_webhook_error: tuple[int, str] | None = None
        self._attempts: dict[int, int] = {}  # id(update) -> webhook delivery attempts

        self._next_update_id = 1000
        self._next_message_id: dict[int | str, int] = {}
        self._next_callback_id = 1
        self._pending: list[JSONDict] = []  # not yet confirmed updates
        self._redeliver: list[JSONDict] = []  # duplicates returned regardless of offset
        self._open_callbacks: set[str] = set()
        self._cond: asyncio.Condition | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.base_url = ""

        self._methods: dict[str, Callable[[JSONDict], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "deletemessage": self._delete_message,
            "deletemessages": self._delete_messages,
            "getfile": self._get_file,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "getchatadministrators": self._get_chat_administrators,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._true,
            "setmydescription": self._true,
            "setmyshortdescription": self._true,
            "setchatmenubutton": self._true,
            "close": self._true,
            "logout": self._true,
        }

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> TelegramSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind to ``host`` on an ephemeral port and start serving."""
        self._cond = asyncio.Condition()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post(r"/bot{token:[^/]*}/{method:(?i:sendphoto|senddocument)}", self._handle_upload)
        app.router.add_route("*", r"/bot{token:[^/]*}/{method:[^/]*}", self._handle)
        app.router.add_get(r"/file/bot{token:[^/]*}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{port}"
        self._session = ClientSession(timeout=ClientTimeout(total=10))

    async def stop(self) -> None:
        """Wake long polls, stop webhook delivery and close the server."""
        self._closing = True
        await self._notify()
        await self._stop_webhook_worker()
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The full method prefix, ``{base_url}/bot{token}``."""
        return f"{self.base_url}/bot{self.token}"

    # ------------------------------------------------------------------ faults

    def fail(
        self,
        method: str | Iterable[str] | None = None,
        status: int = 429,
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
    ) -> Fault:
        """Fail the next ``times`` calls of ``method`` (None: any method but getUpdates)."""
        return self.faults.add(method, status, retry_after, description, times=times)

    def fail_for(
        self,
        seconds: float,
        status: int = 500,
        method: str | Iterable[str] | None = None,
        retry_after: int = 1,
        description: str | None = None,
    ) -> Fault:
        """Fail every matching call for the next ``seconds`` seconds."""
        return self.faults.add(method, status, retry_after, description, seconds=seconds)

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------ configuration

    def add_chat(
        self,
        chat_id: int | str,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        username: str | None = None,
        admins: Iterable[int] = (),
        creator: int | None = None,
        bot_is_admin: bool = True,
        is_forum: bool = False,
    ) -> JSONDict:
        """Register a chat (groups get ``title``; a supergroup with ``is_forum`` has topics,
        see :meth:`add_topic`); returns its Chat object."""
        chat_type = chat_type or self._infer_chat_type(chat_id)
        chat: JSONDict = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            user = self.users.get(int(chat_id), {})
            chat["first_name"] = user.get("first_name", "User")
            if user.get("username"):
                chat["username"] = user["username"]
        else:
            chat["title"] = title or f"Chat {chat_id}"
            if username:
                chat["username"] = username
            if is_forum:
                chat["is_forum"] = True
        self.chats[chat_id] = chat
        self.admins.setdefault(chat_id, set()).update(admins)
        if creator is not None:
            self.creators[chat_id] = creator
        self.bot_admin_in.setdefault(chat_id, bot_is_admin)
        return chat

    def set_admins(
        self, chat_id: int | str, user_ids: Iterable[int], *, creator: int | None = None,
        bot_is_admin: bool | None = None,
    ) -> None:
        """Replace the administrators of ``chat_id`` (and optionally the bot's own status)."""
        self.admins[chat_id] = set(user_ids)
        if creator is not None:
            self.creators[chat_id] = creator
        if bot_is_admin is not None:
            self.bot_admin_in[chat_id] = bot_is_admin

    def add_user(
        self, user_id: int, *, first_name: str = "User", username: str | None = None,
        language_code: str | None = "en", last_name: str | None = None,
    ) -> JSONDict:
        """Register (or update) a user; returns the User object."""
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    @staticmethod
    def _infer_chat_type(chat_id: int | str) -> str:
        if isinstance(chat_id, str):
            return "channel" if chat_id.startswith("@") else "supergroup"
        if chat_id > 0:
            return "private"
        return "supergroup" if str(chat_id).startswith("-100") else "group"

    # ------------------------------------------------------------------ injection

    async def user_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int,
        username: str | None = None,
        first_name: str = "User",
        language_code: str | None = "en",
        chat_type: str | None = None,
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JSONDict] | None = None,
        as_channel: int | None = None,
        anonymous_admin: bool = False,
        topic_id: int | None = None,
    ) -> JSONDict:
        """A user sends ``text`` in ``chat_id``; queues a ``message`` update and returns the Message.

        ``as_channel``: sent on behalf of that channel id (``from`` is Telegram's
        Channel_Bot, ``sender_chat`` the channel); ``anonymous_admin``: sent by an
        anonymous group admin (``from`` is GroupAnonymousBot, ``sender_chat`` the group).

        ``topic_id``: posted in that forum topic (``message_thread_id``, ``is_topic_message``,
        and, unless it replies to another message, ``reply_to_message`` the topic's first message).

        ``entities`` default to what Telegram would detect (bot commands at the start,
        @mentions, URLs). ``chat_type`` defaults to the registered type or is inferred
        from the id (positive: private, ``-100...``: supergroup, other negative: group).
        """
        user = self.add_user(user_id, first_name=first_name, username=username,
                             language_code=language_code)
        chat = self._ensure_chat(chat_id, chat_type, chat_title)
        if chat["type"] == "private":
            self.started_private.add(user_id)
            self.blocked_by.discard(user_id)
        self.members.setdefault(chat_id, set()).add(user_id)
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if as_channel is not None:
            message["from"] = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
            message["sender_chat"] = {"id": as_channel, "type": "channel", "title": f"Channel {as_channel}"}
        elif anonymous_admin:
            message["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                               "username": "GroupAnonymousBot"}
            message["sender_chat"] = {k: v for k, v in chat.items() if k in ("id", "type", "title")}
        ents = _auto_entities(text) if entities is None else entities
        if ents:
            message["entities"] = ents
        if topic_id is not None:
            if topic_id not in self.topics.get(chat_id, {}):
                raise ValueError(f"no topic {topic_id} in chat {chat_id}")
            message.update(message_thread_id=topic_id, is_topic_message=True)
            reply_to_message_id = reply_to_message_id or topic_id
        if reply_to_message_id is not None:
            replied = self.messages.get((chat_id, reply_to_message_id))
            if replied is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
            message["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        self.messages[(chat_id, message["message_id"])] = message
        await self._enqueue({"message": message})
        return message

    async def add_topic(self, chat_id: int, name: str, *, creator_id: int | None = None) -> int:
        """Open a topic in a forum supergroup (its ``forum_topic_created`` service message is
        delivered); returns its ``message_thread_id`` (the id of that first message)."""
        chat = self.chats[chat_id]
        if not chat.get("is_forum"):
            raise ValueError(f"chat {chat_id} is not a forum")
        creator = self.users.get(creator_id) if creator_id is not None else None
        mid = self._new_message_id(chat_id)
        message: JSONDict = {
            "message_id": mid, "from": creator or self.bot_user, "chat": chat, "date": int(time.time()),
            "message_thread_id": mid, "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": 7322096},
        }
        self.topics.setdefault(chat_id, {})[mid] = name
        self.messages[(chat_id, mid)] = message
        await self._enqueue({"message": message})
        return mid

    def _add_file(self, data: bytes, kind: str, ext: str) -> JSONDict:
        n = len(self.files) + 1
        file = {"file_id": f"AgAC{kind}{n:06d}-sim", "file_unique_id": f"AQAD{n:06d}", "file_size": len(data),
                "file_path": f"{kind}/file_{n}.{ext}"}
        self.files[file["file_id"]] = (file, data)
        return file

    async def user_photo(
        self,
        chat_id: int,
        data: bytes,
        *,
        user_id: int,
        caption: str | None = None,
        as_document: bool = False,
        mime_type: str = "image/png",
        file_name: str = "screenshot.png",
        first_name: str = "User",
        language_code: str | None = "en",
    ) -> JSONDict:
        """A user posts an image in ``chat_id``: as a photo (``photo``: a 90 px
        thumbnail and the image, as Telegram sends sizes) or, ``as_document``, as
        a file (``document`` with ``mime_type``); ``caption`` optional. Queues the
        ``message`` update and returns the Message."""
        import io

        from PIL import Image  # the simulator's only use of Pillow: a real thumbnail

        message = await self._user_base(chat_id, user_id, first_name, language_code)
        if as_document:
            file = self._add_file(data, "documents", file_name.rsplit(".", 1)[-1])
            message["document"] = {"file_id": file["file_id"], "file_unique_id": file["file_unique_id"],
                                   "file_name": file_name, "mime_type": mime_type, "file_size": len(data)}
        else:
            # Telegram re-encodes a photo as JPEG (at most 1280 px) and adds smaller sizes
            with Image.open(io.BytesIO(data)) as img:
                rgb = img.convert("RGB")
            rgb.thumbnail((1280, 1280))
            width, height = rgb.size
            thumb = rgb.copy()
            thumb.thumbnail((90, 90))
            encoded = []
            for picture in (thumb, rgb):
                buf = io.BytesIO()
                picture.save(buf, "JPEG", quality=87)
                encoded.append(buf.getvalue())
            small = self._add_file(encoded[0], "photos", "jpg")
            full = self._add_file(encoded[1], "photos", "jpg")
            message["photo"] = [
                {"file_id": small["file_id"], "file_unique_id": small["file_unique_id"],
                 "file_size": small["file_size"], "width": thumb.width, "height": thumb.height},
                {"file_id": full["file_id"], "file_unique_id": full["file_unique_id"],
                 "file_size": full["file_size"], "width": width, "height": height},
            ]
        if caption is not None:
            message["caption"] = caption
        self.messages[(chat_id, message["message_id"])] = message
        await self._enqueue({"message": message})
        return message

    async def _user_base(self, chat_id: int, user_id: int, first_name: str, language_code: str | None) -> JSONDict:
        user = self.add_user(user_id, first_name=first_name, language_code=language_code)
        chat = self._ensure_chat(chat_id, None, None)
        if chat["type"] == "private":
            self.started_private.add(user_id)
            self.blocked_by.discard(user_id)
        self.members.setdefault(chat_id, set()).add(user_id)
        return {"message_id": self._new_message_id(chat_id), "from": user, "chat": chat, "date": int(time.time())}

    async def user_edits_message(self, chat_id: int, message_id: int, text: str) -> JSONDict:
        """The author edits an earlier message; queues an ``edited_message`` update."""
        message = dict(self.messages[(chat_id, message_id)])
        message.update(text=text, edit_date=int(time.time()))
        message.pop("entities", None)
        if ents := _auto_entities(text):
            message["entities"] = ents
        self.messages[(chat_id, message_id)] = message
        await self._enqueue({"edited_message": message})
        return message

    async def callback_query(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int,
        username: str | None = None,
        first_name: str = "User",
        language_code: str | None = "en",
    ) -> JSONDict:
        """A user presses an inline button with ``data`` under message ``message_id``."""
        user = self.add_user(user_id, first_name=first_name, username=username,
                             language_code=language_code)
        message = self.messages.get((chat_id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        query_id = str(4_000_000_000 + self._next_callback_id)
        self._next_callback_id += 1
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": str(abs(hash(chat_id))),
            "data": data,
        }
        await self._enqueue({"callback_query": query})
        return query

    async def duplicate_last_update(self) -> JSONDict:
        """Deliver the last injected update again with the same ``update_id``.

        With polling it is returned by the next ``getUpdates`` even if the bot has
        already confirmed it (as after a crash before the offset was committed);
        with a webhook it is POSTed again.
        """
        if not self.updates:
            raise ValueError("no update to duplicate")
        update = self.updates[-1]
        if self.webhook_url:
            self._pending.append(update)
        else:
            self._redeliver.append(update)
        await self._notify()
        return update

    async def inject_update(self, payload: JSONDict) -> JSONDict:
        """Queue an arbitrary update body (``update_id`` is added); for malformed-input tests."""
        return await self._enqueue(payload)

    def _ensure_chat(self, chat_id: int, chat_type: str | None, title: str | None) -> JSONDict:
        chat = self.chats.get(chat_id)
        if chat is None or (chat_type and chat["type"] != chat_type):
            chat = self.add_chat(chat_id, chat_type, title=title)
        elif title and chat.get("title") != title:
            chat["title"] = title
        return chat

    def _new_message_id(self, chat_id: int | str) -> int:
        mid = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = mid + 1
        return mid

    async def _enqueue(self, payload: JSONDict) -> JSONDict:
        if not self._bot_may_read(payload):  # never an update for the bot: no update_id either
            self.withheld.append(payload)
            return payload
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self.updates.append(update)
        self._pending.append(update)
        await self._notify()
        return update

    def _bot_may_read(self, payload: JSONDict) -> bool:
        """Privacy mode (https://core.telegram.org/bots/features#privacy-mode): in a group or
        supergroup where the bot is not an administrator, only commands (``/cmd`` or
        ``/cmd@this_bot``, not another bot's), replies to the bot's messages, @mentions of
        the bot and service messages reach it."""
        message = payload.get("message") or payload.get("edited_message")
        if not self.privacy_mode or not isinstance(message, dict):
            return True
        chat = message.get("chat")
        if not isinstance(chat, dict):
            return True  # a malformed body a test injects: the bot must cope with it
        if chat.get("type") not in ("group", "supergroup") or self.bot_admin_in.get(chat.get("id"), False):
            return True
        text = message.get("text") or message.get("caption") or ""
        if "text" not in message and "caption" not in message and "photo" not in message \
                and "document" not in message:
            return True  # a service message (members joined, topic created, ...)
        command = _COMMAND_RE.match(text)
        if command and ("@" not in command.group(0)
                        or command.group(0).split("@", 1)[1].lower() == self.bot_username.lower()):
            return True
        replied = message.get("reply_to_message") or {}
        if (replied.get("from") or {}).get("id") == self.bot_id and "forum_topic_created" not in replied:
            return True  # a reply to the bot (a topic's first message is no reply to its creator)
        return f"@{self.bot_username}".lower() in text.lower()

    async def _notify(self) -> None:
        if self._cond is None:
            return
        async with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ inspection

    def messages_to(self, chat_id: int | str) -> list[BotMessage]:
        """Messages the bot sent to ``chat_id`` (including later-deleted ones), in order."""
        return [m for m in self.sent if m.chat_id == chat_id]

    def texts_to(self, chat_id: int | str) -> list[str]:
        """The current visible texts of the bot's messages to ``chat_id``."""
        return [m.message["text"] for m in self.messages_to(chat_id)]

    def calls_to(self, method: str) -> list[JSONDict]:
        """Parameters of every call of ``method`` (case-insensitive)."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = DEADLINE) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every call) and return it."""
        assert self._cond is not None, "simulator not started"
        async with self._cond:
            return await asyncio.wait_for(self._cond.wait_for(predicate), timeout)

    async def wait_for_message(
        self,
        chat_id: int | str,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        since: int = 0,
        timeout: float = DEADLINE,
    ) -> BotMessage:
        """Wait for a bot message to ``chat_id`` (index ``>= since`` among them) matching ``predicate``."""

        def find() -> BotMessage | None:
            for msg in self.messages_to(chat_id)[since:]:
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self.wait_for(find, timeout)

    async def wait_for_call(
        self, method: str, predicate: Callable[[JSONDict], bool] | None = None,
        *, since: int = 0, timeout: float = DEADLINE,
    ) -> JSONDict:
        """Wait for a call of ``method`` (index ``>= since`` among them) matching ``predicate``."""

        def find() -> JSONDict | None:
            for params in self.calls_to(method)[since:]:
                if predicate is None or predicate(params):
                    return params
            return None

        return await self.wait_for(find, timeout)

    async def drain(self, timeout: float = DEADLINE) -> None:
        """Wait until every queued update was confirmed (polling) or delivered (webhook)."""
        await self.wait_for(lambda: not (self._pending or self._redeliver), timeout)

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        name = request.match_info["method"]
        method = name.lower()
        try:
            params = _coerce_params(await self._read_params(request))
        except TelegramApiError as exc:
            return web.json_response(exc.payload(), status=exc.status)
        self.calls.append((name, params))
        handler = self._methods.get(method)
        try:
            if handler is None:
                raise TelegramApiError(404, "Not Found")
            fault = self.faults.take(method)
            if fault is not None:
                raise _fault_error(fault)
            self._flood_check(method, params)
            result = await handler(params)
        except TelegramApiError as exc:
            await self._notify()
            return web.json_response(exc.payload(), status=exc.status)
        await self._notify()
        return web.json_response({"ok": True, "result": result})

    def _flood_check(self, method: str, params: JSONDict) -> None:
        """A send over Telegram's flood limits is a 429 with ``retry_after`` (whole seconds)."""
        if self.rate_limits is None or method not in TELEGRAM_SENDS:
            return
        chat_id = params.get("chat_id")
        if chat_id is None:
            return
        known = self.chats.get(chat_id)
        kind = known["type"] if known else self._infer_chat_type(chat_id)
        refusal = self.rate_limits.take(chat_id, is_group=kind in ("group", "supergroup"))
        if refusal is not None:
            raise TelegramApiError(429, f"Too Many Requests: retry after {refusal.retry_after}",
                                   {"retry_after": refusal.retry_after})

    @staticmethod
    async def _read_params(request: web.Request) -> JSONDict:
        params: JSONDict = dict(request.query)
        if not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError as exc:
                raise _bad_request("can't parse JSON") from exc
            if not isinstance(body, dict):
                raise _bad_request("JSON object expected")
            params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = value if isinstance(value, str) else getattr(value, "filename", "file")
        return params

    # ------------------------------------------------------------------ methods

    async def _true(self, params: JSONDict) -> bool:
        return True

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise TelegramApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if "allowed_updates" in params and params["allowed_updates"] is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        if isinstance(offset, int):
            self._confirm(offset)

        def ready() -> bool:
            return self._closing or bool(self._redeliver) or any(map(self._wanted, self._pending))

        assert self._cond is not None
        async with self._cond:
            if timeout > 0 and not ready():
                try:
                    await asyncio.wait_for(self._cond.wait_for(ready), timeout)
                except TimeoutError:
                    pass
            batch = self._redeliver[:limit]
            del self._redeliver[: len(batch)]
            batch += [u for u in self._pending if self._wanted(u)][: limit - len(batch)]
        return batch

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            self._pending = self._pending[-keep:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _wanted(self, update: JSONDict) -> bool:
        allowed = self.webhook_allowed_updates if self.webhook_url else self._allowed_updates
        if not allowed:
            return True
        return any(key in allowed for key in update if key != "update_id")

    async def _set_webhook(self, params: JSONDict) -> bool:
        url = params.get("url") or ""
        if not url:
            return await self._delete_webhook(params)
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = url
        self.webhook_secret = secret
        self.webhook_allowed_updates = params.get("allowed_updates") or None
        self._start_webhook_worker()
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = None
        self.webhook_secret = None
        await self._stop_webhook_worker()
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
            "max_connections": 40,
        }
        if self.webhook_allowed_updates:
            info["allowed_updates"] = self.webhook_allowed_updates
        if self._last_webhook_error:
            info["last_error_date"], info["last_error_message"] = self._last_webhook_error
        return info

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for_sending(params.get("chat_id"))
        chat_id = chat["id"]
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        parse_mode = params.get("parse_mode")
        plain = visible_text(text, parse_mode)
        if len(plain) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        if not plain.strip():
            raise _bad_request("message text is empty")
        reply_markup = params.get("reply_markup")
        self._check_reply_markup(reply_markup)
        reply_to = params.get("reply_to_message_id")
        allow_without = bool(params.get("allow_sending_without_reply"))
        if isinstance(params.get("reply_parameters"), dict):
            rp = params["reply_parameters"]
            reply_to = rp.get("message_id")
            allow_without = bool(rp.get("allow_sending_without_reply", allow_without))
        replied = self.messages.get((chat_id, int(reply_to))) if reply_to is not None else None
        if reply_to is not None and replied is None and not allow_without:
            raise _bad_request("message to be replied not found")
        thread_id = self._thread_for_sending(chat, params.get("message_thread_id"), replied)
        preview = params.get("link_preview_options") or {}
        preview_disabled = bool(params.get("disable_web_page_preview") or preview.get("is_disabled"))

        message: JSONDict = {
            "message_id": self._new_message_id(chat_id),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            "text": plain,
        }
        if replied is not None:
            message["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if isinstance(reply_markup, dict) and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        if preview:
            message["link_preview_options"] = preview
        self.messages[(chat_id, message["message_id"])] = message
        self.sent.append(
            BotMessage(
                chat_id=chat_id, message_id=message["message_id"], text=text, plain_text=plain,
                parse_mode=parse_mode, reply_to_message_id=int(reply_to) if replied else None,
                reply_markup=reply_markup if isinstance(reply_markup, dict) else None,
                link_preview_disabled=preview_disabled, params=params, message=message,
            )
        )
        return message

    def _thread_for_sending(self, chat: JSONDict, thread_id: Any, replied: JSONDict | None) -> int | None:
        """The forum topic a sent message lands in: ``message_thread_id`` must name a topic of
        a forum ("message thread not found" otherwise); a reply lands in its message's topic."""
        if thread_id not in (None, "", 0):
            if int(thread_id) not in self.topics.get(chat["id"], {}):
                raise _bad_request("message thread not found")
            return int(thread_id)
        if replied is not None and replied.get("is_topic_message"):
            return int(replied["message_thread_id"])
        return None

    def _chat_for_sending(self, chat_id: Any) -> JSONDict:
        if chat_id in (None, ""):
            raise _bad_request("chat_id is empty")
        chat = self.chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, int) and chat_id > 0 and chat_id in self.users:
                raise TelegramApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise _bad_request("chat not found")
        if chat["type"] == "private":
            if chat_id in self.blocked_by:
                raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self.started_private:
                raise TelegramApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    @staticmethod
    def _check_reply_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad_request("BUTTON_TEXT_INVALID")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")

    def _bot_message(self, chat_id: Any, message_id: int) -> BotMessage | None:
        for msg in self.sent:
            if msg.chat_id == chat_id and msg.message_id == message_id:
                return msg
        return None

    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not simulated")
        key = (chat_id, message_id)
        message = self.messages.get(key) if message_id is not None else None
        if message is None or key in self.deleted:
            raise _bad_request("message to edit not found")
        record = self._bot_message(chat_id, message_id)
        if record is None:
            raise _bad_request("message can't be edited")
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        plain = visible_text(text, params.get("parse_mode"))
        if len(plain) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        markup = params.get("reply_markup")
        self._check_reply_markup(markup)
        if plain == message["text"] and markup == message.get("reply_markup"):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message = {**message, "text": plain, "edit_date": int(time.time())}
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        self.messages[key] = message
        record.message = message
        record.edits.append(text)
        return message

    def _can_delete(self, chat_id: Any, message_id: int) -> None:
        key = (chat_id, message_id)
        message = self.messages.get(key)
        if message is None or key in self.deleted:
            raise _bad_request("message to delete not found")
        own = message.get("from", {}).get("id") == self.bot_id
        chat_type = self.chats.get(chat_id, {}).get("type")
        if not own and chat_type != "private" and not self.bot_admin_in.get(chat_id, False):
            raise _bad_request("message can't be deleted")

    def _mark_deleted(self, chat_id: Any, message_id: int) -> None:
        self.deleted.add((chat_id, message_id))
        record = self._bot_message(chat_id, message_id)
        if record is not None:
            record.deleted = True

    async def _delete_message(self, params: JSONDict) -> bool:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request("message identifier is not specified")
        self._can_delete(chat_id, message_id)
        self._mark_deleted(chat_id, message_id)
        return True

    async def _delete_messages(self, params: JSONDict) -> bool:
        chat_id = params.get("chat_id")
        ids = params.get("message_ids") or []
        if not 1 <= len(ids) <= 100:
            raise _bad_request("message_ids must contain 1-100 identifiers")
        for message_id in ids:
            key = (chat_id, int(message_id))
            if key in self.messages and key not in self.deleted:
                self._mark_deleted(*key)
        return True

    async def _get_file(self, params: JSONDict) -> JSONDict:
        found = self.files.get(str(params.get("file_id") or ""))
        if found is None:
            raise _bad_request("wrong file_id or the file is temporarily unavailable")
        file, data = found
        if len(data) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return dict(file)

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        if request.match_info["token"] != self.token:
            self.file_downloads.append((path, 401))
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        for file, data in self.files.values():
            if file["file_path"] == path:
                self.file_downloads.append((path, 200))
                return web.Response(body=data, content_type="application/octet-stream")
        self.file_downloads.append((path, 404))
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self.chats.get(params.get("chat_id"))
        if chat is None:
            raise _bad_request("chat not found")
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                "premium_subscription": False, "gifts_from_channels": False,
            },
        }

    def _member(self, chat_id: Any, user_id: int) -> JSONDict:
        if user_id == self.bot_id:
            if self.bot_admin_in.get(chat_id, False):
                return self._admin_member(self.bot_user)
            return {"status": "member", "user": self.bot_user}
        user = self.users.get(user_id)
        if user is None:
            raise _bad_request("user not found")
        if self.creators.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self.admins.get(chat_id, set()):
            return self._admin_member(user)
        if user_id in self.members.get(chat_id, set()):
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    @staticmethod
    def _admin_member(user: JSONDict) -> JSONDict:
        rights = (
            "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_change_info", "can_invite_users",
            "can_post_stories", "can_edit_stories", "can_delete_stories", "can_pin_messages",
        )
        return {
            "status": "administrator", "user": user, "can_be_edited": False,
            "is_anonymous": False, "can_promote_members": False,
            **{right: True for right in rights},
        }

    async def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        if chat_id not in self.chats:
            raise _bad_request("chat not found")
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad_request("invalid user_id specified")
        return self._member(chat_id, user_id)

    async def _get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        chat_id = params.get("chat_id")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        if chat["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        ids = ([self.creators[chat_id]] if chat_id in self.creators else []) + sorted(
            self.admins.get(chat_id, set()) - {self.creators.get(chat_id)}
        )
        members = [self._member(chat_id, uid) for uid in ids if uid in self.users]
        if self.bot_admin_in.get(chat_id, False):
            members.append(self._admin_member(self.bot_user))
        return members

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("commands must be an array of at most 100 BotCommand")
        for cmd in commands:
            if not _BOT_COMMAND_NAME_RE.match(str(cmd.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_callbacks.discard(query_id)
        self.callback_answers.append(params)
        return True

    # ------------------------------------------------------------------ webhook delivery

    def _start_webhook_worker(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_worker(), name="tg-sim-webhook")

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _webhook_worker(self) -> None:
        """POST pending updates to the webhook one at a time, like Telegram does."""
        assert self._cond is not None and self._session is not None
        while True:
            async with self._cond:
                await self._cond.wait_for(lambda: bool(self._pending) or self._closing)
            if self._closing or not self.webhook_url:
                return
            update = self._pending[0]
            if not self._wanted(update):
                self._pending.pop(0)
                continue
            delivered = await self._post_update(update)
            if delivered or self._attempts.get(id(update), 0) >= self.webhook_max_attempts:
                self._attempts.pop(id(update), None)
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                await self._notify()
            else:
                await asyncio.sleep(self.webhook_retry_delay)

    async def _post_update(self, update: JSONDict) -> bool:
        assert self._session is not None and self.webhook_url is not None
        self._attempts[id(update)] = self._attempts.get(id(update), 0) + 1
        headers = {"Content-Type": "application/json"}
        if self.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook_secret
        try:
            async with self._session.post(self.webhook_url, data=json.dumps(update), headers=headers) as resp:
                await resp.read()
                status: int | str = resp.status
        except Exception as exc:  # connection refused, timeouts: Telegram just retries
            status = f"{type(exc).__name__}: {exc}"
        self.webhook_deliveries.append((update["update_id"], status))
        if isinstance(status, int) and 200 <= status < 300:
            return True
        self._last_webhook_error = (int(time.time()), f"Wrong response from the webhook: {status}")
        return False
