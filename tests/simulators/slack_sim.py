"""A local Slack simulator (Web API + signed Events API / interactivity) for end-to-end tests.

``SlackSim`` serves the Web API (``GET|POST /api/<method>``, query, form or JSON
parameters, token in ``Authorization: Bearer xoxb-...`` or a ``token`` field) on
127.0.0.1 with an ephemeral port, so the real slack-sdk / slack-bolt talk to it
over a real socket::

    async with SlackSim() as sim:
        client = AsyncWebClient(token=sim.token, base_url=sim.api_url)  # ".../api/"
        event = sim.user_message_event("C0STAFF", "U0ALICE", "hello")
        delivery = await sim.send_event(app_url, event)

Towards the app under test it plays Slack's side: Events API envelopes,
``url_verification``, block actions, slash commands, message shortcuts and view
submissions, each signed exactly like Slack (``X-Slack-Signature: v0=HMAC_SHA256(
signing_secret, "v0:{timestamp}:{body}")``), with optional ``X-Slack-Retry-Num`` /
``X-Slack-Retry-Reason`` redelivery headers. Every ``response_url`` points back at
the simulator, which records what is posted there and applies
``replace_original`` / ``delete_original`` / ``response_type``.

Validation follows the real API where tests are likely to hit it: ``no_text``,
``msg_too_long`` (40,000 chars), ``invalid_blocks`` (at most 50 blocks, section
text at most 3000 chars, header 150, button text 75, duplicate ``action_id`` /
``block_id``...), ``not_in_channel``, ``cant_update_message``,
``cant_delete_message`` (bot tokens cannot delete other people's messages),
``message_not_found``, trigger ids for ``views.open``. Faults: ``fail`` /
``fail_for`` answer HTTP 429 with ``Retry-After`` (body ``ratelimited``) or 5xx.

Rate limits, on by default as on Slack (tests/simulators/chat_limits.py, which cites Slack's
rate-limit page): chat.postMessage about one a second per channel (a burst of 3), other
methods per minute by their tier (Tier 2: 20, Tier 3: 50, Tier 4: 100); a call over them is
HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``. They run on
``sim.clock`` (``SlackSim(clock=...)``: a virtual clock, or ``chat_limits.scaled_clock(s)`` for a
product run at ``WALLETDESK_RATE_LIMIT_SCALE=s``); ``sim.rate_limits.refused`` records each
refusal, ``sim.rate_limits = None`` turns them off.

Strict by default, as Slack is: a channel the workspace does not have is
``channel_not_found`` and one the bot is not in ``not_in_channel``
(``strict_channels=False``: unknown channels are created on first use, the bot a
member); with the ``chat:write.public`` scope the bot may post in public channels it is
not in, and a private channel it is not in is ``channel_not_found``. Every POST to the app must be answered within ``ack_timeout`` (3 s): a
later answer is a failed delivery (``timed_out``, status 0). A failed event
delivery (a timeout or any non-2xx) is retried by the simulator as Slack does, in
the background: up to three times, after ``retry_delays`` (at once, 1 min, 5 min,
waited with ``sim.sleep``: tests inject one), each with ``X-Slack-Retry-Num`` and
``X-Slack-Retry-Reason`` (``http_timeout`` / ``http_error``), until one succeeds or
the app answers ``X-Slack-No-Retry: 1``; ``retries_done()`` waits for them and
``deliveries_of(event_id)`` lists them. Forged requests (own ``timestamp`` /
``signature``) and hand-made retries (``retry_num``) are not retried;
``auto_retry=False`` turns retries off for a test that plays them by hand.

Files people share: ``user_message_event(..., files=[(name, mimetype, bytes)])``
is a ``file_share`` message with a ``files`` array (Slack's file objects, with
``url_private`` and ``url_private_download`` on the simulator), served only to
``Authorization: Bearer <bot token>`` with the ``files:read`` scope (401
without a valid token, 403 without the scope); ``file_downloads`` records each
request as ``(path, status)``.

Files the bot uploads, Slack's external upload flow: ``files.getUploadURLExternal``
(``filename``, ``length``; scope ``files:write``) answers an ``upload_url`` on the
simulator and a ``file_id``; a POST of the bytes there (raw body or a multipart
``file`` field) stores them (the URL is the credential, as on Slack; a wrong
length is refused); ``files.completeUploadExternal`` (``files`` JSON, ``channel_id``,
``thread_ts``, ``initial_comment``) shares them: ``uploads`` lists each as a
:class:`SlackUpload` with the exact bytes, and the channel's history gets the
``file_share`` message.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import mimetypes
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from tests.simulators.chat_limits import SlackLimits
from tests.simulators.faults import Fault, FaultPlan
from tests.waiting import DEADLINE

__all__ = ["Fault", "SlackApiFailure", "SlackDelivery", "SlackMessage", "SlackSim", "SlackUpload", "validate_blocks"]

JSONDict = dict[str, Any]

MAX_TEXT = 40_000
ACK_TIMEOUT = 3.0  # Slack fails a delivery not answered within 3 seconds
RETRY_DELAYS = (0.0, 60.0, 300.0)  # its retries: nearly at once, after a minute, after five
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTION_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_ID = 255
MAX_VALUE = 2000
MAX_MODAL_BLOCKS = 100
_BLOCK_TYPES = {
    "section", "divider", "header", "context", "actions", "image", "input", "rich_text",
    "markdown", "file", "video", "call", "table",
}


class SlackApiFailure(Exception):
    """Raised inside a method handler; becomes an ``{"ok": false, "error": ...}`` response."""

    def __init__(self, error: str, status: int = 200, *, extra: JSONDict | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}


def _failure(fault: Fault) -> SlackApiFailure:
    if fault.status == 429:
        return SlackApiFailure(fault.message or "ratelimited", 429, headers={"Retry-After": str(fault.retry_after)})
    default = {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable"}
    return SlackApiFailure(fault.message or default.get(fault.status, "fatal_error"), fault.status)


@dataclass
class SlackUpload:
    """A file the bot shared through the external upload flow."""

    file_id: str
    channel: str
    thread_ts: str | None
    name: str
    title: str
    data: bytes
    initial_comment: str | None

    @property
    def filename(self) -> str:
        return self.name

    @property
    def comment(self) -> str | None:
        return self.initial_comment

    @property
    def content(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass
class SlackMessage:
    """A message in the simulated workspace (bot posts are also listed in ``sim.posted``)."""

    channel: str
    ts: str
    text: str
    blocks: list[JSONDict] | None
    thread_ts: str | None
    user: str
    bot_id: str | None = None
    ephemeral_to: str | None = None  # user id for chat.postEphemeral / ephemeral responses
    via: str = "api"  # "api", "response_url" or "user"
    params: JSONDict = field(default_factory=dict)
    reactions: list[str] = field(default_factory=list)
    deleted: bool = False
    edits: list[JSONDict] = field(default_factory=list)  # previous {"text","blocks"} versions

    def to_api(self, team_id: str) -> JSONDict:
        """The message as the Web API returns it."""
        msg: JSONDict = {"type": "message", "text": self.text, "user": self.user, "ts": self.ts,
                         "team": team_id}
        if self.bot_id:
            msg["bot_id"] = self.bot_id
        if self.blocks is not None:
            msg["blocks"] = self.blocks
        if self.thread_ts:
            msg["thread_ts"] = self.thread_ts
        if self.edits:
            msg["edited"] = {"user": self.user, "ts": self.ts}
        if self.reactions:
            msg["reactions"] = [{"name": n, "users": [self.user], "count": 1} for n in self.reactions]
        return msg


@dataclass
class SlackDelivery:
    """What the app under test answered to a POST from the simulator."""

    status: int
    body: str
    headers: dict[str, str]
    sent: JSONDict  # the envelope / payload / form that was POSTed
    elapsed: float
    event_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    retry_num: int | None = None  # the X-Slack-Retry-Num this delivery carried
    timed_out: bool = False  # no answer within Slack's 3 s (``status`` is then 0)

    @property
    def failed(self) -> bool:
        """What Slack counts as a failed delivery: a timeout or any non-2xx answer."""
        return self.timed_out or not 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class ResponseUrlPost:
    """A POST the app made to a ``response_url`` the simulator handed out."""

    response_url: str
    body: JSONDict
    context: JSONDict  # channel / user / message_ts of the interaction


# --------------------------------------------------------------------------- block validation


def _text_obj_errors(obj: Any, ptr: str, *, max_len: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"must provide an object with type plain_text or mrkdwn [json-pointer:{ptr}]"]
    if plain_only and obj["type"] != "plain_text":
        return [f"must be a plain_text object [json-pointer:{ptr}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{ptr}/text]"]
    if len(text) > max_len:
        return [f"must be less than {max_len + 1} characters [json-pointer:{ptr}/text]"]
    return []


def _element_errors(el: Any, ptr: str, action_ids: set[str]) -> list[str]:
    if not isinstance(el, dict) or "type" not in el:
        return [f"must provide an object [json-pointer:{ptr}]"]
    errors: list[str] = []
    action_id = el.get("action_id")
    if action_id is not None:
        if not isinstance(action_id, str) or len(action_id) > MAX_ID:
            errors.append(f"must be less than {MAX_ID + 1} characters [json-pointer:{ptr}/action_id]")
        elif action_id in action_ids:
            errors.append(f"action_id '{action_id}' already exists [json-pointer:{ptr}/action_id]")
        else:
            action_ids.add(action_id)
    if el["type"] == "button":
        errors += _text_obj_errors(el.get("text"), f"{ptr}/text", max_len=MAX_BUTTON_TEXT, plain_only=True)
        if len(str(el.get("value", ""))) > MAX_VALUE:
            errors.append(f"must be less than {MAX_VALUE + 1} characters [json-pointer:{ptr}/value]")
        if el.get("style") not in (None, "primary", "danger"):
            errors.append(f"must be one of primary, danger [json-pointer:{ptr}/style]")
        if len(str(el.get("url", ""))) > 3000:
            errors.append(f"must be less than 3001 characters [json-pointer:{ptr}/url]")
    return errors


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_BLOCKS) -> list[str]:
    """Block Kit errors in Slack's wording (empty list: valid)."""
    if not isinstance(blocks, list):
        return ["must provide an array [json-pointer:/blocks]"]
    if len(blocks) > max_blocks:
        return [f"must be less than {max_blocks + 1} items [json-pointer:/blocks]"]
    errors: list[str] = []
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"/blocks/{i}"
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            errors.append(f"unsupported type: {block.get('type') if isinstance(block, dict) else block!r} [json-pointer:{ptr}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > MAX_ID:
                errors.append(f"must be less than {MAX_ID + 1} characters [json-pointer:{ptr}/block_id]")
            elif block_id in block_ids:
                errors.append(f"block_id '{block_id}' already exists [json-pointer:{ptr}/block_id]")
            block_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"must provide either text or fields [json-pointer:{ptr}]")
            if "text" in block:
                errors += _text_obj_errors(block["text"], f"{ptr}/text", max_len=MAX_SECTION_TEXT)
            fields = block.get("fields")
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
                    errors.append(f"must be less than {MAX_FIELDS + 1} items [json-pointer:{ptr}/fields]")
                else:
                    for j, f in enumerate(fields):
                        errors += _text_obj_errors(f, f"{ptr}/fields/{j}", max_len=MAX_FIELD_TEXT)
            if "accessory" in block:
                errors += _element_errors(block["accessory"], f"{ptr}/accessory", action_ids)
        elif kind == "header":
            errors += _text_obj_errors(block.get("text"), f"{ptr}/text", max_len=MAX_HEADER_TEXT, plain_only=True)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_ACTION_ELEMENTS:
                errors.append(f"must provide 1 to {MAX_ACTION_ELEMENTS} items [json-pointer:{ptr}/elements]")
            else:
                for j, el in enumerate(elements):
                    errors += _element_errors(el, f"{ptr}/elements/{j}", action_ids)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
                errors.append(f"must provide 1 to {MAX_CONTEXT_ELEMENTS} items [json-pointer:{ptr}/elements]")
            else:
                for j, el in enumerate(elements):
                    if isinstance(el, dict) and el.get("type") in ("plain_text", "mrkdwn"):
                        errors += _text_obj_errors(el, f"{ptr}/elements/{j}", max_len=MAX_SECTION_TEXT)
        elif kind == "input":
            errors += _text_obj_errors(block.get("label"), f"{ptr}/label", max_len=2000, plain_only=True)
            errors += _element_errors(block.get("element"), f"{ptr}/element", action_ids)
    return errors


def _text_of_blocks(blocks: list[JSONDict] | None) -> str:
    parts: list[str] = []
    for block in blocks or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for f in block.get("fields") or []:
            parts.append(str(f.get("text", "")))
    return "\n".join(p for p in parts if p)


# --------------------------------------------------------------------------- simulator


# a bot token's scopes when the test does not set SlackSim.scopes (every scope walletdesk asks for)
DEFAULT_SCOPES = (
    "app_mentions:read", "channels:history", "channels:read", "chat:write", "commands", "groups:history",
    "groups:read", "im:history", "im:write", "reactions:write", "usergroups:read", "users:read", "files:read",
    "files:write",
)


class _ExternalUploads:
    """Slack's external upload flow, a mixin of :class:`SlackSim` (kept apart to ease merges)."""

    async def _files_get_upload_url_external(self: Any, params: JSONDict) -> JSONDict:
        if "files:write" not in self.scopes:
            raise SlackApiFailure("missing_scope", extra={"needed": "files:write", "provided": ",".join(self.scopes)})
        filename = params.get("filename")
        try:
            length = int(str(params.get("length")))
        except ValueError:
            raise SlackApiFailure("invalid_arguments") from None
        if not filename or length <= 0:
            raise SlackApiFailure("invalid_arguments")
        file_id = self._new_id("F")
        upload_id = uuid.uuid4().hex
        self._pending_uploads[file_id] = {"filename": str(filename), "length": length, "data": None,
                                          "upload_id": upload_id}
        return {"upload_url": f"{self.base_url}/upload/v1/{upload_id}", "file_id": file_id}

    async def _handle_upload(self: Any, request: web.Request) -> web.Response:
        upload_id = request.match_info["upload_id"]
        pending = next((p for p in self._pending_uploads.values() if p["upload_id"] == upload_id), None)
        if pending is None:
            return web.Response(status=404, text="Not Found")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            file_field = form.get("file") or form.get("filename")
            data = file_field.file.read() if hasattr(file_field, "file") else str(file_field or "").encode()
        else:
            data = await request.read()
        if len(data) != pending["length"]:
            return web.Response(status=400, text=f"length mismatch: {len(data)} != {pending['length']}")
        pending["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _files_complete_upload_external(self: Any, params: JSONDict) -> JSONDict:
        files = params.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except json.JSONDecodeError:
                raise SlackApiFailure("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise SlackApiFailure("invalid_arguments")
        channel_id = params.get("channel_id") or None
        channel = self._resolve_channel(channel_id, posting=True) if channel_id else None
        thread_ts = params.get("thread_ts") or None
        if thread_ts and channel is not None and self._find(channel["id"], str(thread_ts)) is None:
            raise SlackApiFailure("invalid_thread_ts")
        shared: list[JSONDict] = []
        for item in files:
            pending = self._pending_uploads.get(str((item or {}).get("id")))
            if pending is None or pending["data"] is None:
                raise SlackApiFailure("file_not_found")
        for item in files:
            file_id = str(item["id"])
            pending = self._pending_uploads.pop(file_id)
            title = str(item.get("title") or pending["filename"])
            ts = self.next_ts()
            mimetype = self._mimetype(pending["filename"])
            file = self._add_file(self.bot_user_id, pending["filename"], mimetype, pending["data"], ts)
            old_id = file["id"]
            self.files[file_id] = self.files.pop(old_id)
            for key in ("url_private", "url_private_download", "permalink"):
                file[key] = file[key].replace(old_id, file_id)
            file["id"], file["title"] = file_id, title
            shared.append(file)
            if channel is not None:
                self.uploads.append(SlackUpload(file_id, channel["id"], thread_ts, pending["filename"], title,
                                                pending["data"], params.get("initial_comment") or None))
        if channel is not None:
            msg = SlackMessage(channel["id"], self.next_ts(), str(params.get("initial_comment") or ""), None, thread_ts,
                               self.bot_user_id, None, params={**params, "files": shared})
            self.history[channel["id"]].append(msg)
        return {"files": [{"id": f["id"], "title": f["title"], "name": f["name"]} for f in shared]}

    @staticmethod
    def _mimetype(name: str) -> str:
        return mimetypes.guess_type(name)[0] or "application/octet-stream"


class SlackSim(_ExternalUploads):
    """Slack Web API + Events API simulator; use as ``async with SlackSim(...) as sim``."""

    def __init__(
        self,
        token: str = "xoxb-test-walletdesk",
        signing_secret: str = "test-signing-secret",
        *,
        team_id: str = "T0WALLET",
        team_domain: str = "walletdesk",
        api_app_id: str = "A0WALLET",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_name: str = "walletdesk",
        verification_token: str = "legacy-verification-token",
        strict_channels: bool = True,
        ack_timeout: float = ACK_TIMEOUT,
        auto_retry: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.signing_secret = signing_secret
        # the time source of the rate limits (tests inject a virtual or a scaled clock)
        self.clock = clock
        # Slack's documented Web API limits (tests/simulators/chat_limits.py); None turns them off
        self.rate_limits: SlackLimits | None = SlackLimits(lambda: self.clock())
        self.team_id, self.team_domain, self.api_app_id = team_id, team_domain, api_app_id
        self.bot_user_id, self.bot_id, self.bot_name = bot_user_id, bot_id, bot_name
        self.verification_token = verification_token
        # unknown channels are channel_not_found (False: created on first use, bot a member)
        self.strict_channels = strict_channels
        # Slack's acknowledgement deadline and its retries of failed event deliveries
        self.ack_timeout = ack_timeout
        self.auto_retry = auto_retry
        self.retry_delays: tuple[float, ...] = RETRY_DELAYS
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between retries; tests inject one
        self._retry_tasks: set[asyncio.Task[None]] = set()
        self.holds: dict[str, asyncio.Event] = {}  # method -> gate (see hold())
        self.bot_can_delete_others = False
        # a workspace admin's user token (xoxp-): chat.delete with it removes anyone's message
        self.admin_user_token = "xoxp-test-admin"
        # the bot token's scopes, sent back in every authenticated response's x-oauth-scopes header
        self.scopes: list[str] = list(DEFAULT_SCOPES)
        self.host, self._port = host, port
        self.base_url = ""

        # records
        self.calls: list[tuple[str, JSONDict]] = []
        self.posted: list[SlackMessage] = []  # bot messages (API and response_url in_channel)
        self.updated: list[SlackMessage] = []  # snapshots after each chat.update / replace_original
        self.deleted: set[tuple[str, str]] = set()
        self.ephemerals: list[SlackMessage] = []
        self.reactions: list[tuple[str, str, str]] = []  # (channel, ts, name)
        self.views: list[JSONDict] = []
        self.responses: list[ResponseUrlPost] = []
        self.deliveries: list[SlackDelivery] = []
        self.file_downloads: list[tuple[str, int]] = []  # (path, HTTP status)
        self.files: dict[str, tuple[JSONDict, bytes]] = {}  # file id -> (file object, bytes)
        self.uploads: list[SlackUpload] = []  # files the bot shared (files.completeUploadExternal)
        self._pending_uploads: dict[str, JSONDict] = {}  # file id -> {"filename", "length", "data"}

        # state
        self.channels: dict[str, JSONDict] = {}
        self.members: dict[str, list[str]] = {}  # channel -> member user ids (conversations.members)
        self.usergroups: dict[str, list[str]] = {}  # S... id -> member user ids (usergroups.users.list)
        self.users: dict[str, JSONDict] = {}
        self.history: dict[str, list[SlackMessage]] = {}
        self.faults = FaultPlan()
        self._envelopes: dict[str, JSONDict] = {}
        self._response_urls: dict[str, JSONDict] = {}
        self._triggers: dict[str, bool] = {}  # trigger_id -> used
        self._ids = itertools.count(1)
        self._ts_sec = int(time.time())
        self._ts_micro = 0
        self._cond: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

        self.add_user(bot_user_id, bot_name, is_bot=True)
        self._methods: dict[str, Callable[[JSONDict], Any]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "conversations.members": self._conversations_members,
            "usergroups.users.list": self._usergroups_users_list,
            "users.info": self._users_info,
            "reactions.add": self._reactions_add,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }
        self._install_home_methods()

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> SlackSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind to ``host`` on an ephemeral port and start serving."""
        self._cond = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{rid}", self._handle_response_url)
        app.router.add_get("/files-pri/{team_file}/{name}", self._handle_file)
        app.router.add_post("/upload/v1/{upload_id}", self._handle_upload)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._handle_file)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self._port).start()
        self.base_url = f"http://{self.host}:{self._runner.addresses[0][1]}"
        self._session = ClientSession(timeout=ClientTimeout(total=10))

    async def stop(self) -> None:
        for gate in self.holds.values():
            gate.set()
        for task in list(self._retry_tasks):
            task.cancel()
        if self._retry_tasks:
            await asyncio.gather(*self._retry_tasks, return_exceptions=True)
        if self._session:
            await self._session.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """What slack-sdk wants as ``base_url`` (note the trailing slash)."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ configuration

    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        display_name: str | None = None,
        real_name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        locale: str = "en-US",
        tz: str = "Europe/London",
    ) -> JSONDict:
        """Register (or replace) a workspace member; returns the users.info ``user`` object."""
        name = name or user_id.lower()
        real = real_name or name.title()
        user: JSONDict = {
            "id": user_id, "team_id": self.team_id, "name": name, "deleted": False,
            "real_name": real, "tz": tz, "tz_label": tz, "tz_offset": 0,
            "is_admin": is_admin, "is_owner": is_owner, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": is_bot,
            "is_app_user": False, "updated": int(time.time()), "locale": locale,
            "profile": {
                "display_name": display_name if display_name is not None else name,
                "display_name_normalized": display_name if display_name is not None else name,
                "real_name": real, "real_name_normalized": real, "team": self.team_id,
                **({"bot_id": self.bot_id} if user_id == self.bot_user_id else {}),
            },
        }
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        is_private: bool = False,
        is_im: bool = False,
        user: str | None = None,
        bot_is_member: bool = True,
        members: Iterable[str] = (),
    ) -> JSONDict:
        """Register a channel (``C...``), private channel (``G...``) or DM (``D...``, with ``user``);
        ``members`` (and the bot, when it is a member) answer ``conversations.members``."""
        channel: JSONDict = {
            "id": channel_id, "created": int(time.time()), "is_archived": False,
            "is_im": is_im, "is_mpim": False, "is_private": is_private or is_im,
            "is_channel": not is_im and not is_private, "is_group": is_private and not is_im,
            "is_member": bot_is_member, "context_team_id": self.team_id,
        }
        if is_im:
            channel["user"] = user
            channel["is_open"] = True
        else:
            channel["name"] = name or channel_id.lower()
            channel["name_normalized"] = channel["name"]
        self.channels[channel_id] = channel
        self.history.setdefault(channel_id, [])
        self.members[channel_id] = ([self.bot_user_id] if bot_is_member else []) + [
            u for u in ([user] if is_im and user else list(members)) if u != self.bot_user_id]
        return channel

    def add_usergroup(self, group_id: str, users: Iterable[str]) -> None:
        """A user group (``S...``) and its members."""
        self.usergroups[group_id] = list(users)

    # ------------------------------------------------------------------ faults

    def fail(
        self,
        method: str | Iterable[str] | None = None,
        status: int = 429,
        times: int = 1,
        retry_after: int = 1,
        error: str | None = None,
    ) -> Fault:
        """Fail the next ``times`` calls of ``method`` (None: any Web API method)."""
        return self.faults.add(method, status, retry_after, error, times=times)

    def fail_for(
        self,
        seconds: float,
        status: int = 500,
        method: str | Iterable[str] | None = None,
        retry_after: int = 1,
        error: str | None = None,
    ) -> Fault:
        """Fail every matching call for the next ``seconds`` seconds."""
        return self.faults.add(method, status, retry_after, error, seconds=seconds)

    def hold(self, method: str) -> asyncio.Event:
        """Make calls of ``method`` hang until the returned event is set (a slow API)."""
        return self.holds.setdefault(method, asyncio.Event())

    def clear_faults(self) -> None:
        self.faults.clear()

    # ------------------------------------------------------------------ ids and signing

    def next_ts(self) -> str:
        """A message timestamp, unique and strictly increasing (``"1700000000.000100"`` style)."""
        self._ts_micro += 100
        if self._ts_micro >= 1_000_000:
            self._ts_sec, self._ts_micro = self._ts_sec + 1, 100
        now = int(time.time())
        if now > self._ts_sec:
            self._ts_sec, self._ts_micro = now, 100
        return f"{self._ts_sec}.{self._ts_micro:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):010d}"

    def sign(self, body: str, timestamp: str) -> str:
        """``v0=`` + HMAC-SHA256(signing_secret, ``"v0:{timestamp}:{body}"``)."""
        base = f"v0:{timestamp}:{body}".encode()
        return "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()

    # ------------------------------------------------------------------ user-side events

    def _channel_type(self, channel: str) -> str:
        info = self.channels.get(channel)
        if info is None:
            return "im" if channel.startswith("D") else "channel"
        if info["is_im"]:
            return "im"
        return "group" if info["is_private"] else "channel"

    def _record_user_message(self, channel: str, user: str, text: str, ts: str,
                             thread_ts: str | None) -> None:
        if channel not in self.channels:
            self._auto_channel(channel)
        self.history[channel].append(SlackMessage(channel, ts, text, None, thread_ts, user, via="user"))
        if user not in self.users:
            self.add_user(user)

    def user_message_event(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        ts: str | None = None,
        thread_ts: str | None = None,
        channel_type: str | None = None,
        files: Iterable[tuple[str, str, bytes]] = (),
    ) -> JSONDict:
        """Build a ``message`` event for a human's message and add it to the channel history.

        ``files``: shared with it, ``(name, mimetype, bytes)``: the event becomes a
        ``file_share`` message with Slack's ``files`` array (``url_private`` needs the bot token).
        """
        ts = ts or self.next_ts()
        self._record_user_message(channel, user, text, ts, thread_ts)
        event: JSONDict = {
            "type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
            "event_ts": ts, "channel_type": channel_type or self._channel_type(channel),
            "team": self.team_id, "client_msg_id": str(uuid.uuid4()),
            "blocks": [{"type": "rich_text", "block_id": self._new_id("b")[:6], "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}],
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            parent = self._find(channel, thread_ts)
            if parent is not None:
                event["parent_user_id"] = parent.user
        shared = [self._add_file(user, name, mimetype, data, ts) for name, mimetype, data in files]
        if shared:
            event.update(subtype="file_share", files=shared, upload=True, display_as_bot=False)
            if not text:
                event.pop("blocks", None)
        return event

    def _add_file(self, user: str, name: str, mimetype: str, data: bytes, ts: str) -> JSONDict:
        file_id = self._new_id("F")
        base = f"{self.base_url}/files-pri/{self.team_id}-{file_id}"
        file: JSONDict = {
            "id": file_id, "created": int(float(ts)), "timestamp": int(float(ts)), "name": name, "title": name,
            "mimetype": mimetype, "filetype": name.rsplit(".", 1)[-1].lower() if "." in name else "binary",
            "pretty_type": mimetype.split("/")[-1].upper(), "user": user, "user_team": self.team_id,
            "editable": False, "size": len(data), "mode": "hosted", "is_external": False, "is_public": True,
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": f"{base}/{name}", "url_private_download": f"{base}/download/{name}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{user}/{file_id}/{name}",
            "has_rich_preview": False, "file_access": "visible",
        }
        self.files[file_id] = (file, data)
        return file

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.path
        team, _, file_id = request.match_info["team_file"].partition("-")
        found = self.files.get(file_id) if team == self.team_id else None
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if token not in (self.token, self.admin_user_token):
            status = 401
        elif token == self.token and "files:read" not in self.scopes:
            status = 403
        elif found is None or found[0]["name"] != request.match_info["name"]:
            status = 404
        else:
            status = 200
        self.file_downloads.append((path, status))
        if status != 200:
            return web.Response(status=status, text={401: "Unauthorized", 403: "Forbidden"}.get(status, "Not Found"))
        return web.Response(body=found[1], content_type=found[0]["mimetype"])  # type: ignore[index]

    def message_changed_event(self, channel: str, ts: str, text: str) -> JSONDict:
        """A ``message`` event of subtype ``message_changed``: the person edited their
        message ``ts`` to ``text`` (Slack's shape: the new ``message`` and the
        ``previous_message``, the event's own ``ts`` and ``hidden: true``)."""
        msg = self._find(channel, ts)
        if msg is None:
            raise ValueError(f"no message {ts} in {channel}")
        previous = {"type": "message", "user": msg.user, "text": msg.text, "ts": ts}
        msg.edits.append(msg.text)
        msg.text = text
        edited_at = self.next_ts()
        current = {"type": "message", "user": msg.user, "text": text, "ts": ts,
                   "edited": {"user": msg.user, "ts": edited_at}}
        if msg.thread_ts:
            current["thread_ts"] = previous["thread_ts"] = msg.thread_ts
        return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
                "channel_type": self._channel_type(channel), "ts": edited_at, "event_ts": edited_at,
                "message": current, "previous_message": previous}

    def app_mention_event(self, channel: str, user: str, text: str, *, ts: str | None = None,
                          thread_ts: str | None = None) -> JSONDict:
        """Build an ``app_mention`` event (``text`` should contain ``<@{bot_user_id}>``)."""
        event = self.user_message_event(channel, user, text, ts=ts, thread_ts=thread_ts)
        event["type"] = "app_mention"
        event.pop("channel_type", None)
        return event

    def envelope(self, event: JSONDict, *, event_id: str | None = None) -> JSONDict:
        """The Events API ``event_callback`` envelope Slack wraps ``event`` in."""
        event_id = event_id or self._new_id("Ev")
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{
                "enterprise_id": None, "team_id": self.team_id, "user_id": self.bot_user_id,
                "is_bot": True, "is_enterprise_install": False,
            }],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event_id}",
        }

    async def send_event(
        self,
        app_url: str,
        event: JSONDict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> SlackDelivery:
        """POST ``event`` in a signed ``event_callback`` envelope to ``app_url``.

        Reusing an ``event_id`` that was sent before re-sends the stored envelope
        (a Slack redelivery; pass ``retry_num`` to add the retry headers).
        ``timestamp`` / ``signature`` override the signing (stale or forged requests).
        """
        if event_id is not None and event_id in self._envelopes:
            envelope = self._envelopes[event_id]
        else:
            envelope = self.envelope(event, event_id=event_id)
            self._envelopes[envelope["event_id"]] = envelope
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        delivery = await self._post_signed(app_url, json.dumps(envelope), "application/json",
                                           envelope, timestamp=timestamp, signature=signature,
                                           extra_headers=headers)
        delivery.event_id, delivery.retry_num = envelope["event_id"], retry_num
        # Slack itself retries a failed delivery; a forged or hand-made retry is not Slack's
        if (delivery.failed and self.auto_retry and retry_num is None and timestamp is None
                and signature is None and delivery.headers.get("X-Slack-No-Retry") != "1"):
            task = asyncio.create_task(self._retry(app_url, envelope["event_id"], delivery))
            self._retry_tasks.add(task)
            task.add_done_callback(self._retry_tasks.discard)
        return delivery

    async def _retry(self, app_url: str, event_id: str, first: SlackDelivery) -> None:
        """Slack's retries of a failed event delivery: up to three, each with
        ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``, until one succeeds."""
        last, reason = first, "http_timeout" if first.timed_out else "http_error"
        for num, delay in enumerate(self.retry_delays, start=1):
            await self.sleep(delay)
            try:
                last = await self.send_event(app_url, {}, event_id=event_id, retry_num=num, retry_reason=reason)
            except ClientError:  # the app is not listening (stopped, restarting)
                reason = "connection_failed"
                continue
            if not last.failed or last.headers.get("X-Slack-No-Retry") == "1":
                return
            reason = "http_timeout" if last.timed_out else "http_error"

    async def retries_done(self, timeout: float = DEADLINE) -> None:
        """Wait until every retry Slack scheduled so far has been delivered (or given up)."""
        while self._retry_tasks:
            await asyncio.wait_for(asyncio.gather(*list(self._retry_tasks), return_exceptions=True), timeout)

    def deliveries_of(self, event_id: str) -> list[SlackDelivery]:
        """Every delivery of one event (the first and Slack's retries), in order."""
        return [d for d in self.deliveries if d.event_id == event_id]

    async def redeliver(self, app_url: str, event_id: str, *, retry_num: int = 1,
                        retry_reason: str = "http_timeout") -> SlackDelivery:
        """Send a previously sent envelope again, as Slack's retry mechanism does."""
        return await self.send_event(app_url, {}, event_id=event_id, retry_num=retry_num,
                                     retry_reason=retry_reason)

    async def user_says(self, app_url: str, channel: str, user: str, text: str,
                        **kwargs: Any) -> SlackDelivery:
        """Shortcut: ``send_event(app_url, user_message_event(channel, user, text, **kwargs))``."""
        return await self.send_event(app_url, self.user_message_event(channel, user, text, **kwargs))

    async def url_verification(self, app_url: str, challenge: str | None = None) -> SlackDelivery:
        """POST the signed ``url_verification`` handshake; the app must echo ``challenge``."""
        body = {"token": self.verification_token, "challenge": challenge or uuid.uuid4().hex,
                "type": "url_verification"}
        return await self._post_signed(app_url, json.dumps(body), "application/json", body)

    def _interaction_base(self, user: str, channel: str | None) -> tuple[JSONDict, str, str]:
        user_obj = self.users.get(user) or self.add_user(user)
        trigger_id = f"{next(self._ids)}.{self.team_id}.{uuid.uuid4().hex[:16]}"
        self._triggers[trigger_id] = False
        response_id = uuid.uuid4().hex
        response_url = f"{self.base_url}/response/{response_id}"
        base: JSONDict = {
            "user": {"id": user, "username": user_obj["name"], "name": user_obj["name"],
                     "team_id": self.team_id},
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if channel is not None:
            name = self.channels.get(channel, {}).get("name", "directmessage")
            base["channel"] = {"id": channel, "name": name}
        return base, trigger_id, response_id

    async def block_action(
        self,
        app_url: str,
        action_id: str,
        value: str | None = None,
        user: str = "",
        channel: str = "",
        message_ts: str | None = None,
        *,
        block_id: str | None = None,
        action_type: str = "button",
        text: str | None = None,
        selected_option: JSONDict | None = None,
        state: JSONDict | None = None,
        thread_ts: str | None = None,
    ) -> SlackDelivery:
        """POST a signed, form-encoded ``payload=`` ``block_actions`` interaction.

        With ``message_ts`` the stored message is included and ``block_id`` / button
        text are looked up from its blocks when not given.
        """
        if not user or not channel:
            raise ValueError("block_action needs user and channel")
        base, trigger_id, response_id = self._interaction_base(user, channel)
        message = self._find(channel, message_ts) if message_ts else None
        found_block, found_el = self._find_action(message, action_id)
        action: JSONDict = {
            "action_id": action_id,
            "block_id": block_id or (found_block or {}).get("block_id") or "blk",
            "type": action_type,
            "action_ts": f"{time.time():.6f}",
        }
        if action_type == "button":
            label = text or ((found_el or {}).get("text") or {}).get("text") or action_id
            action["text"] = {"type": "plain_text", "text": label, "emoji": True}
            if value is not None:
                action["value"] = value
        if selected_option is not None:
            action["selected_option"] = selected_option
        payload: JSONDict = {
            "type": "block_actions",
            **base,
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False, **({"thread_ts": thread_ts} if thread_ts else {})},
            "response_url": f"{self.base_url}/response/{response_id}",
            "state": state or {"values": {}},
            "actions": [action],
        }
        if message is not None:
            payload["message"] = message.to_api(self.team_id)
        self._response_urls[response_id] = {"channel": channel, "user": user,
                                            "message_ts": message_ts, "thread_ts": thread_ts}
        return await self._post_payload(app_url, payload, trigger_id)

    async def message_shortcut(
        self,
        app_url: str,
        callback_id: str,
        message: JSONDict | str,
        user: str,
        channel: str,
    ) -> SlackDelivery:
        """POST a ``message_action`` (message shortcut) on ``message`` (a dict or its ts)."""
        if isinstance(message, str):
            found = self._find(channel, message)
            if found is None:
                raise ValueError(f"no message {message} in {channel}")
            message = found.to_api(self.team_id)
        base, trigger_id, response_id = self._interaction_base(user, channel)
        payload: JSONDict = {
            "type": "message_action",
            **base,
            "callback_id": callback_id,
            "action_ts": f"{time.time():.6f}",
            "message_ts": message["ts"],
            "message": message,
            "response_url": f"{self.base_url}/response/{response_id}",
        }
        self._response_urls[response_id] = {"channel": channel, "user": user,
                                            "message_ts": message["ts"], "thread_ts": None}
        return await self._post_payload(app_url, payload, trigger_id)

    async def view_submission(
        self,
        app_url: str,
        view: JSONDict | str,
        values: JSONDict,
        *,
        user: str,
    ) -> SlackDelivery:
        """POST a ``view_submission`` for an opened modal (``view`` dict or its id).

        ``values`` is Slack's ``state.values`` shape: ``{block_id: {action_id: {...}}}``.
        """
        if isinstance(view, str):
            view = next(v for v in self.views if v["id"] == view)
        base, trigger_id, _ = self._interaction_base(user, None)
        submitted = {**view, "state": {"values": values}}
        payload = {"type": "view_submission", **base, "view": submitted, "response_urls": []}
        return await self._post_payload(app_url, payload, trigger_id)

    async def slash_command(
        self,
        app_url: str,
        command: str,
        text: str = "",
        user: str = "",
        channel: str = "",
    ) -> SlackDelivery:
        """POST a signed, form-encoded slash command invocation."""
        if not user or not channel:
            raise ValueError("slash_command needs user and channel")
        base, trigger_id, response_id = self._interaction_base(user, channel)
        form = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": base["channel"]["name"],
            "user_id": user,
            "user_name": base["user"]["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": f"{self.base_url}/response/{response_id}",
            "trigger_id": trigger_id,
        }
        self._response_urls[response_id] = {"channel": channel, "user": user,
                                            "message_ts": None, "thread_ts": None}
        delivery = await self._post_signed(app_url, urlencode(form),
                                           "application/x-www-form-urlencoded", form)
        delivery.response_url, delivery.trigger_id = form["response_url"], trigger_id
        return delivery

    async def _post_payload(self, app_url: str, payload: JSONDict, trigger_id: str) -> SlackDelivery:
        body = urlencode({"payload": json.dumps(payload)})
        delivery = await self._post_signed(app_url, body, "application/x-www-form-urlencoded", payload)
        delivery.response_url, delivery.trigger_id = payload.get("response_url"), trigger_id
        return delivery

    async def _post_signed(
        self,
        app_url: str,
        body: str,
        content_type: str,
        sent: JSONDict,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> SlackDelivery:
        assert self._session is not None, "simulator not started"
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or self.sign(body, ts),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(extra_headers or {}),
        }
        started = time.monotonic()
        try:
            async with self._session.post(app_url, data=body.encode(), headers=headers,
                                          timeout=ClientTimeout(total=self.ack_timeout)) as resp:
                text = await resp.text()
                delivery = SlackDelivery(resp.status, text, dict(resp.headers), sent,
                                         time.monotonic() - started)
        except asyncio.TimeoutError:  # Slack stops waiting after 3 s: the delivery failed
            delivery = SlackDelivery(0, "", {}, sent, time.monotonic() - started, timed_out=True)
        self.deliveries.append(delivery)
        return delivery

    # ------------------------------------------------------------------ inspection

    def messages_in(self, channel: str, thread_ts: str | None = None) -> list[SlackMessage]:
        """Bot messages in ``channel`` (only replies in ``thread_ts`` when given), oldest first."""
        return [m for m in self.posted
                if m.channel == channel and (thread_ts is None or m.thread_ts == thread_ts)]

    def texts_in(self, channel: str, thread_ts: str | None = None) -> list[str]:
        return [m.text for m in self.messages_in(channel, thread_ts)]

    def calls_to(self, method: str) -> list[JSONDict]:
        return [params for name, params in self.calls if name == method]

    def message(self, channel: str, ts: str) -> SlackMessage | None:
        """The current state of any message (bot or user) in the workspace."""
        return self._find(channel, ts)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = DEADLINE) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked after every API call) and return it."""
        assert self._cond is not None, "simulator not started"
        async with self._cond:
            return await asyncio.wait_for(self._cond.wait_for(predicate), timeout)

    async def wait_for_post(
        self,
        channel: str | None = None,
        predicate: Callable[[SlackMessage], bool] | None = None,
        *,
        thread_ts: str | None = None,
        since: int = 0,
        timeout: float = DEADLINE,
    ) -> SlackMessage:
        """Wait for a bot message (index ``>= since`` in ``sim.posted``) matching the filters."""

        def find() -> SlackMessage | None:
            for msg in self.posted[since:]:
                if channel is not None and msg.channel != channel:
                    continue
                if thread_ts is not None and msg.thread_ts != thread_ts:
                    continue
                if predicate is None or predicate(msg):
                    return msg
            return None

        return await self.wait_for(find, timeout)

    async def _notify(self) -> None:
        if self._cond is not None:
            async with self._cond:
                self._cond.notify_all()

    # ------------------------------------------------------------------ HTTP: Web API

    def _json(self, body: JSONDict, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(body, status=status, headers=headers)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except SlackApiFailure as exc:
            return self._json({"ok": False, "error": exc.error}, exc.status)
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
        params.pop("token", None)
        self.calls.append((method, params))
        try:
            if not token:
                raise SlackApiFailure("not_authed")
            if token not in (self.token, self.admin_user_token):
                raise SlackApiFailure("invalid_auth")
            if token == self.admin_user_token:
                params["_as_admin"] = True  # read by chat.delete only
            scopes = {"x-oauth-scopes": ",".join(self.scopes), "x-accepted-oauth-scopes": ""}
            handler = self._methods.get(method)
            if handler is None:
                raise SlackApiFailure("unknown_method")
            fault = self.faults.take(method)
            if fault is not None:
                raise _failure(fault)
            if self.rate_limits is not None and (refusal := self.rate_limits.take(method, params.get("channel"))):
                raise SlackApiFailure("ratelimited", 429, headers={"Retry-After": str(refusal.retry_after)})
            if (gate := self.holds.get(method)) is not None:
                await gate.wait()  # a slow Slack: the call hangs until the test sets the gate
            result = await handler(params)
        except SlackApiFailure as exc:
            await self._notify()
            return self._json({"ok": False, "error": exc.error, **exc.extra}, exc.status, exc.headers)
        await self._notify()
        return self._json({"ok": True, **result}, headers=scopes)

    @staticmethod
    async def _read_params(request: web.Request) -> JSONDict:
        params: JSONDict = dict(request.query)
        if not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError as exc:
                raise SlackApiFailure("invalid_json") from exc
            if not isinstance(body, dict):
                raise SlackApiFailure("invalid_json")
            params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    # ------------------------------------------------------------------ helpers for methods

    def _auto_channel(self, channel: str) -> JSONDict:
        if channel.startswith("D"):
            return self.add_channel(channel, is_im=True)
        return self.add_channel(channel, is_private=channel.startswith("G"))

    def _resolve_channel(self, channel: Any, *, posting: bool = False) -> JSONDict:
        if not channel or not isinstance(channel, str):
            raise SlackApiFailure("channel_not_found")
        if channel in self.channels:
            info = self.channels[channel]
        elif channel.startswith("U") and channel in self.users and posting:
            info = self._open_im(channel)
        else:
            name = channel.lstrip("#")
            info = next((c for c in self.channels.values() if c.get("name") == name), None)
            if info is None:
                if self.strict_channels or not channel[0] in "CGD":
                    raise SlackApiFailure("channel_not_found")
                info = self._auto_channel(channel)
        if posting and not info["is_im"] and not info["is_member"]:
            if info["is_private"]:  # a private channel the bot is not in does not exist for it
                raise SlackApiFailure("channel_not_found")
            if "chat:write.public" not in self.scopes:
                raise SlackApiFailure("not_in_channel")
        return info

    def _find(self, channel: str, ts: str | None) -> SlackMessage | None:
        for msg in self.history.get(channel, []):
            if msg.ts == ts and not msg.deleted:
                return msg
        return None

    @staticmethod
    def _find_action(message: SlackMessage | None, action_id: str) -> tuple[JSONDict | None, JSONDict | None]:
        for block in (message.blocks if message else None) or []:
            elements = list(block.get("elements") or [])
            if "accessory" in block:
                elements.append(block["accessory"])
            for el in elements:
                if isinstance(el, dict) and el.get("action_id") == action_id:
                    return block, el
        return None, None

    @staticmethod
    def _blocks_param(params: JSONDict) -> list[JSONDict] | None:
        blocks = params.get("blocks")
        if blocks is None or blocks == "":
            return None
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except json.JSONDecodeError as exc:
                raise SlackApiFailure("invalid_blocks_format") from exc
        if not isinstance(blocks, list):
            raise SlackApiFailure("invalid_blocks_format")
        errors = validate_blocks(blocks)
        if errors:
            raise SlackApiFailure("invalid_blocks", extra={
                "errors": errors,
                "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
            })
        return blocks

    def _content(self, params: JSONDict, *, required: bool = True) -> tuple[str, list[JSONDict] | None]:
        blocks = self._blocks_param(params)
        text = params.get("text")
        text = "" if text is None else str(text)
        if required and not text and not blocks and not params.get("attachments"):
            raise SlackApiFailure("no_text")
        if len(text) > MAX_TEXT:
            raise SlackApiFailure("msg_too_long")
        return text, blocks

    def _open_im(self, user: str) -> JSONDict:
        for channel in self.channels.values():
            if channel["is_im"] and channel.get("user") == user:
                return channel
        return self.add_channel("D" + user.lstrip("UW"), is_im=True, user=user)

    # ------------------------------------------------------------------ Web API methods

    async def _api_test(self, params: JSONDict) -> JSONDict:
        return {"args": params}

    async def _auth_test(self, params: JSONDict) -> JSONDict:
        return {
            "url": f"https://{self.team_domain}.slack.com/", "team": self.team_domain.title(),
            "user": self.bot_name, "team_id": self.team_id, "user_id": self.bot_user_id,
            "bot_id": self.bot_id, "is_enterprise_install": False,
        }

    async def _chat_post_message(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"), posting=True)
        text, blocks = self._content(params)
        thread_ts = params.get("thread_ts") or None
        msg = SlackMessage(channel["id"], self.next_ts(), text, blocks, thread_ts,
                           self.bot_user_id, self.bot_id, params=params)
        self.history[channel["id"]].append(msg)
        self.posted.append(msg)
        return {"channel": channel["id"], "ts": msg.ts, "message": msg.to_api(self.team_id)}

    async def _chat_post_ephemeral(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"), posting=True)
        user = params.get("user")
        if user not in self.users:
            raise SlackApiFailure("user_not_found")
        text, blocks = self._content(params)
        msg = SlackMessage(channel["id"], self.next_ts(), text, blocks, params.get("thread_ts"),
                           self.bot_user_id, self.bot_id, ephemeral_to=user, params=params)
        self.ephemerals.append(msg)
        return {"message_ts": msg.ts}

    def _own_message(self, params: JSONDict, ts_key: str = "ts") -> SlackMessage:
        channel = self._resolve_channel(params.get("channel"))
        msg = self._find(channel["id"], params.get(ts_key))
        if msg is None:
            raise SlackApiFailure("message_not_found")
        return msg

    async def _chat_update(self, params: JSONDict) -> JSONDict:
        msg = self._own_message(params)
        if msg.user != self.bot_user_id:
            raise SlackApiFailure("cant_update_message")
        text, blocks = self._content(params, required=False)
        if not text and blocks is None and not params.get("attachments"):
            raise SlackApiFailure("no_text")
        self._apply_update(msg, text, blocks, params)
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text,
                "message": msg.to_api(self.team_id)}

    def _apply_update(self, msg: SlackMessage, text: str, blocks: list[JSONDict] | None,
                      params: JSONDict) -> None:
        msg.edits.append({"text": msg.text, "blocks": msg.blocks})
        if text:
            msg.text = text
        elif blocks is not None:
            msg.text = _text_of_blocks(blocks)  # blocks-only update: keep a readable fallback
        if blocks is not None:
            msg.blocks = blocks
        snapshot = copy.deepcopy(msg)
        snapshot.params = params
        self.updated.append(snapshot)

    async def _chat_delete(self, params: JSONDict) -> JSONDict:
        msg = self._own_message(params)
        if msg.user != self.bot_user_id and not self.bot_can_delete_others and not params.get("_as_admin"):
            raise SlackApiFailure("cant_delete_message")  # a bot token cannot delete people's messages
        self._mark_deleted(msg)
        return {"channel": msg.channel, "ts": msg.ts}

    def _mark_deleted(self, msg: SlackMessage) -> None:
        msg.deleted = True
        self.deleted.add((msg.channel, msg.ts))

    async def _chat_get_permalink(self, params: JSONDict) -> JSONDict:
        msg = self._own_message(params, "message_ts")
        link = f"https://{self.team_domain}.slack.com/archives/{msg.channel}/p{msg.ts.replace('.', '')}"
        if msg.thread_ts and msg.thread_ts != msg.ts:
            link += f"?thread_ts={msg.thread_ts}&cid={msg.channel}"
        return {"channel": msg.channel, "permalink": link}

    async def _conversations_open(self, params: JSONDict) -> JSONDict:
        if params.get("channel"):
            return {"channel": self._resolve_channel(params["channel"])}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackApiFailure("users_list_not_supplied")
        if len(users) > 1:
            raise SlackApiFailure("not_supported")  # group DMs are not simulated
        if users[0] not in self.users:
            raise SlackApiFailure("user_not_found")
        existed = any(c["is_im"] and c.get("user") == users[0] for c in self.channels.values())
        channel = self._open_im(users[0])
        result: JSONDict = {"channel": {"id": channel["id"]}}
        if existed:
            result.update(no_op=True, already_open=True)
        return result

    async def _conversations_info(self, params: JSONDict) -> JSONDict:
        channel = params.get("channel")
        if channel not in self.channels:
            raise SlackApiFailure("channel_not_found")
        info = self.channels[channel]
        if info["is_private"] and not info["is_im"] and not info["is_member"]:
            raise SlackApiFailure("channel_not_found")  # a private channel the bot is not in is invisible
        return {"channel": info}

    async def _conversations_replies(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        root = self._find(channel["id"], params.get("ts"))
        if root is None:
            raise SlackApiFailure("thread_not_found")
        thread = root.thread_ts or root.ts
        msgs = [m for m in self.history[channel["id"]]
                if not m.deleted and (m.ts == thread or m.thread_ts == thread)]
        limit = int(params.get("limit") or 1000)
        return {"messages": [m.to_api(self.team_id) for m in msgs[:limit]],
                "has_more": len(msgs) > limit, "response_metadata": {"next_cursor": ""}}

    async def _conversations_history(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        msgs = [m for m in self.history[channel["id"]]
                if not m.deleted and (m.thread_ts is None or m.thread_ts == m.ts)]
        limit = int(params.get("limit") or 100)
        return {"messages": [m.to_api(self.team_id) for m in reversed(msgs)][:limit],
                "has_more": len(msgs) > limit, "response_metadata": {"next_cursor": ""}}

    async def _conversations_members(self, params: JSONDict) -> JSONDict:
        channel = params.get("channel")
        if channel not in self.channels:
            raise SlackApiFailure("channel_not_found")
        info = self.channels[channel]
        if info["is_private"] and not info["is_im"] and not info["is_member"]:
            raise SlackApiFailure("channel_not_found")  # a private channel the bot is not in is invisible
        members = self.members.get(channel, [])
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        start = int(params.get("cursor") or 0)
        page = members[start:start + limit]
        cursor = str(start + limit) if start + limit < len(members) else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    async def _usergroups_users_list(self, params: JSONDict) -> JSONDict:
        group = params.get("usergroup")
        if not group:
            raise SlackApiFailure("invalid_arguments")
        if group not in self.usergroups:
            raise SlackApiFailure("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    async def _users_info(self, params: JSONDict) -> JSONDict:
        user = self.users.get(str(params.get("user")))
        if user is None:
            raise SlackApiFailure("user_not_found")
        user = dict(user)
        if str(params.get("include_locale", "")).lower() not in ("true", "1"):
            user.pop("locale", None)  # Slack only includes it with include_locale=true
        return {"user": user}

    async def _reactions_add(self, params: JSONDict) -> JSONDict:
        msg = self._own_message(params, "timestamp")
        name = str(params.get("name") or "").strip(":")
        if not name:
            raise SlackApiFailure("invalid_name")
        if name in msg.reactions:
            raise SlackApiFailure("already_reacted")
        msg.reactions.append(name)
        self.reactions.append((msg.channel, msg.ts, name))
        return {}

    def _check_view(self, view: Any) -> JSONDict:
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except json.JSONDecodeError as exc:
                raise SlackApiFailure("invalid_arguments") from exc
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            raise SlackApiFailure("invalid_arguments")
        errors = validate_blocks(view.get("blocks", []), max_blocks=MAX_MODAL_BLOCKS)
        if view["type"] == "modal":
            errors += _text_obj_errors(view.get("title"), "/view/title", max_len=24, plain_only=True)
            if any(b.get("type") == "input" for b in view.get("blocks", [])) and "submit" not in view:
                errors.append("must provide submit when inputs are present [json-pointer:/view/submit]")
        if errors:
            raise SlackApiFailure("invalid_arguments", extra={
                "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]}})
        return view

    async def _views_open(self, params: JSONDict) -> JSONDict:
        trigger_id = params.get("trigger_id")
        if trigger_id not in self._triggers:
            raise SlackApiFailure("invalid_trigger_id")
        if self._triggers[trigger_id]:
            raise SlackApiFailure("exchanged_trigger_id")
        view = self._check_view(params.get("view"))
        self._triggers[trigger_id] = True
        opened = {
            **view, "id": self._new_id("V"), "team_id": self.team_id,
            "state": {"values": {}}, "hash": uuid.uuid4().hex[:20],
            "callback_id": view.get("callback_id", ""), "private_metadata": view.get("private_metadata", ""),
            "app_id": self.api_app_id, "bot_id": self.bot_id,
        }
        self.views.append(opened)
        return {"view": opened}

    async def _views_update(self, params: JSONDict) -> JSONDict:
        view = self._check_view(params.get("view"))
        for i, existing in enumerate(self.views):
            if existing["id"] == params.get("view_id"):
                self.views[i] = {**existing, **view}
                return {"view": self.views[i]}
        raise SlackApiFailure("not_found")

    # ------------------------------------------------------------------ App Home and file uploads

    def _install_home_methods(self) -> None:
        """``views.publish`` (the App Home tab); uploads are :class:`_ExternalUploads`."""
        self.home_views: dict[str, JSONDict] = {}  # user id -> the Home view last published for them
        self._methods["views.publish"] = self._views_publish

    def app_home_opened_event(self, user: str, *, tab: str = "home") -> JSONDict:
        """An ``app_home_opened`` event (a user opened the app's Home tab)."""
        return {"type": "app_home_opened", "user": user, "channel": "D" + user.lstrip("UW"), "tab": tab,
                "event_ts": self.next_ts()}

    async def _views_publish(self, params: JSONDict) -> JSONDict:
        user = params.get("user_id")
        if not isinstance(user, str) or user not in self.users:
            raise SlackApiFailure("user_not_found")
        view = self._check_view(params.get("view"))
        if view.get("type") != "home":
            raise SlackApiFailure("invalid_arguments")
        published = {**view, "id": self._new_id("V"), "team_id": self.team_id, "app_id": self.api_app_id}
        self.home_views[user] = published
        return {"view": published}

    # ------------------------------------------------------------------ HTTP: response_url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["rid"]
        context = self._response_urls.get(rid)
        if context is None:
            return web.Response(status=404, text="expired_url")
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        url = f"{self.base_url}/response/{rid}"
        self.responses.append(ResponseUrlPost(url, body, context))
        channel, original = context["channel"], context.get("message_ts")
        msg = self._find(channel, original) if original else None
        try:
            text, blocks = self._content(body, required=not body.get("delete_original"))
        except SlackApiFailure as exc:
            return web.Response(status=400, text=exc.error)
        if body.get("delete_original") and msg is not None:
            self._mark_deleted(msg)
        elif body.get("replace_original") and msg is not None:
            self._apply_update(msg, text, blocks, body)
        elif body.get("response_type") == "in_channel":
            new = SlackMessage(channel, self.next_ts(), text, blocks,
                               body.get("thread_ts") or context.get("thread_ts"),
                               self.bot_user_id, self.bot_id, via="response_url", params=body)
            self.history.setdefault(channel, []).append(new)
            self.posted.append(new)
        else:
            self.ephemerals.append(SlackMessage(channel, self.next_ts(), text, blocks,
                                                context.get("thread_ts"), self.bot_user_id, self.bot_id,
                                                ephemeral_to=context["user"], via="response_url",
                                                params=body))
        await self._notify()
        return web.Response(text="ok")

