"""A small, faithful Discord simulator for end-to-end tests.

It speaks Discord's wire protocol on 127.0.0.1 (ephemeral port) with aiohttp:

* REST API v10 under ``{base}/api/v10`` (JSON, ``Authorization: Bot <token>``),
* the gateway WebSocket under ``{base}/gateway`` (HELLO, IDENTIFY -> READY +
  GUILD_CREATE, heartbeats, RESUME -> RESUMED, dispatch sequence numbers,
  ``compress=zlib-stream`` transport compression, ``zstd-stream`` too when the
  ``zstandard`` package is importable),

so the REAL discord.py talks to it over real sockets::

    async with DiscordSim(token="sim-token") as sim:
        sim.api_base      # "http://127.0.0.1:PORT/api/v10"
        sim.gateway_url   # "ws://127.0.0.1:PORT/gateway"

Pointing discord.py (2.x, checked with 2.7.1) at the simulator
--------------------------------------------------------------
discord.py has no constructor option for either URL; both are class attributes
read at request / connect time, so set them before ``client.start()``::

    import yarl, discord.http, discord.gateway
    discord.http.Route.BASE = api_base            # every REST call, incl. interaction webhooks
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

* ``Route.BASE`` is prefixed to every route path (``HTTPClient`` and the
  interaction/webhook adapter both build ``Route`` objects), so it must include
  ``/api/v10`` and have no trailing slash.
* A plain ``discord.Client`` never calls ``GET /gateway/bot``: it connects to
  ``DiscordWebSocket.DEFAULT_GATEWAY`` (adding ``?v=10&encoding=json&compress=
  zlib-stream``), resumes on READY's ``resume_gateway_url`` and falls back to
  ``DEFAULT_GATEWAY`` after an INVALID_SESSION -- hence the class-attribute
  patch.  ``AutoShardedClient`` does use ``GET /gateway/bot`` (served here too).
* Both are process-global; restore the old values when done (see
  ``discord_pointed_at`` in ``test_discord_sim.py``).
* Sharding as on Discord: ``DiscordSim(shards=N)`` (or ``sim.shards = N``) is the
  count ``GET /gateway/bot`` recommends; a session that IDENTIFYs with
  ``shard: [id, count]`` gets READY + GUILD_CREATE only for the guilds with
  ``(guild_id >> 22) % count == id``, guild events only for those guilds, and
  events without a guild (DMs) only on shard 0.  A bad ``shard`` closes with 4010.
  Sessions without ``shard`` get everything.  ``add_guild(..., shard=(id, count))``
  picks a guild id on that shard; ``shard_of(guild_id)`` says where one lands.
* ``on_ready`` fires ``guild_ready_timeout`` seconds (default 2 s) after the last
  GUILD_CREATE; pass ``guild_ready_timeout=0.1`` to ``discord.Client`` in tests.

Simulator API (all ids accepted as int or str; payloads use Discord's str ids)
-----------------------------------------------------------------------------
World: ``bot_id``, ``application_id``, ``guild_id``, ``channel_id`` (#general),
``moderator_role_id``, ``everyone_role_id``, ``owner_id``, ``shards``; ``add_guild``, ``add_channel``,
``add_user``, ``open_dm(user_id)``, ``block_dms(user_id)``, ``set_bot_permissions``.
Inject: ``await user_message(...)`` (``attachments=[(filename, content_type, bytes)]``: each
gets ``url``/``proxy_url`` on the simulator's CDN, ``/attachments/<channel>/<id>/<name>``
with Discord's signing query ``ex``/``is``/``hm``, served without a token; a URL without
the right signature is 404), ``await slash_command(...)``,
``await message_context_command(...)``, ``await dispatch(event, data)`` (any raw event:
duplicates, malformed payloads), ``await disconnect_gateway(code=4000)``,
``await send_reconnect()``, ``await invalidate_sessions()``.
Failures: ``fail(route, status=429, times=1, retry_after=0.5)``, ``fail_for(seconds, status)``.
Records: ``messages_in(channel_id)``, ``message(id)``, ``interaction_responses[iid]``,
``original_responses[iid]``, ``followups[iid]``, ``deleted``, ``dm_channel_for(user_id)``,
``threads``, ``thread_members``, ``registered_commands[None | guild_id]``, ``calls`` /
``calls_to("POST /channels")``, ``identifies``, ``resumes``, ``gateway_queries``,
``dispatched_to(shard_id)``, ``attachment_downloads`` (path, status).
Waiting: ``await wait_for(predicate)``, ``await wait_for_message(channel_id, predicate)``,
``await wait_until_ready(sessions=1)``.

Wire quirks discord.py depends on: JSON responses must carry exactly
``Content-Type: application/json`` (no charset) or discord.py treats them as text;
a 429 without a ``Via`` header is taken for a Cloudflare ban and raised, not retried.

Fidelity notes: gateway intents are honoured (no MESSAGE_CREATE without
GUILD_MESSAGES / DIRECT_MESSAGES; guild message content is blanked without
MESSAGE_CONTENT unless the bot is mentioned); interaction callbacks after
``interaction_timeout`` (3 s, as on Discord) get 404 code 10062; a second
callback gets 400 code 40060; deleting another user's message needs
MANAGE_MESSAGES; ``allowed_mentions`` decides ``mentions``/``mention_everyone``
of recorded bot messages; the bot's own messages are echoed as MESSAGE_CREATE.

Strict by default (tests/simulators/discord_limits.py), every time rule on
``sim.clock`` (``DiscordSim(clock=...)``; a test moves an injected clock by hand):
real rate-limit buckets per route and channel/guild/webhook plus the global
50 per second, each answer carrying its ``X-RateLimit-Limit/Remaining/Reset/
Reset-After/Bucket`` and an exhausted bucket answering 429 with ``retry_after``
(``sim.rate_limits.limited`` records each; ``sim.rate_limits = None`` turns them off);
channel permission overwrites (``set_channel_overwrite``, ``channel_permissions_of``):
posting without VIEW_CHANNEL is 403 code 50001, without SEND_MESSAGES (in threads
SEND_MESSAGES_IN_THREADS) 403 code 50013; interaction webhooks (followups,
@original) 401 code 50027 "Invalid Webhook Token" once the token is 15 minutes old;
``enforce_nonce`` answers the first message only within 5 minutes.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import json
import math
import re
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterable, Mapping, TypeVar

from aiohttp import WSMsgType, web

from tests.simulators.discord_limits import INTERACTION_TOKEN_TTL, NonceWindow, RateBuckets
from tests.waiting import DEADLINE, wait_until

try:  # zstd-stream transport compression, only if discord.py could ask for it
    import zstandard as _zstd  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    _zstd = None

__all__ = ["DiscordSim", "SimCall", "Perm", "API_VERSION"]

API_VERSION = 10
DISCORD_EPOCH_MS = 1420070400000
MAX_CONTENT = 2000
T = TypeVar("T")
JSON = dict[str, Any]


class Perm:
    """Discord permission bits used by the simulator."""

    KICK_MEMBERS = 1 << 1
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40
    ALL = (1 << 53) - 1

    EVERYONE_DEFAULT = (
        VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS
        | USE_APPLICATION_COMMANDS | CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS
    )
    MODERATOR_DEFAULT = MANAGE_MESSAGES | MANAGE_THREADS | MODERATE_MEMBERS | KICK_MEMBERS
    BOT_DEFAULT = (
        VIEW_CHANNEL | SEND_MESSAGES | MANAGE_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | MANAGE_THREADS
        | CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS | USE_APPLICATION_COMMANDS
    )


class Intent:
    """Gateway intent bits the simulator filters on."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


# Gateway opcodes
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME, OP_RECONNECT = 0, 1, 2, 6, 7
OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 8, 9, 10, 11

# Channel types
CH_GUILD_TEXT, CH_DM, CH_PUBLIC_THREAD, CH_PRIVATE_THREAD = 0, 1, 11, 12
CH_GUILD_VOICE, CH_GUILD_STAGE_VOICE, CH_GUILD_FORUM = 2, 13, 15

# Application command (data.type) and option types
CMD_CHAT_INPUT, CMD_USER, CMD_MESSAGE = 1, 2, 3
_OPTION_TYPES_BY_PY: list[tuple[type, int]] = [(bool, 5), (int, 4), (float, 10), (str, 3)]


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def _sf(value: int | str | None) -> int | None:
    """A snowflake (int or str on the wire) as int; None stays None."""
    return None if value is None else int(value)


def _json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """JSON with exactly ``Content-Type: application/json``: discord.py compares the header
    verbatim and treats ``application/json; charset=utf-8`` (aiohttp's default) as text."""
    return web.Response(body=json.dumps(data).encode(), status=status, headers=headers,
                        content_type="application/json")


def _error(status: int, message: str, code: int = 0, errors: JSON | None = None) -> web.Response:
    body: JSON = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return _json_response(body, status=status)


def _form_error(path: Iterable[str], code: str, message: str) -> web.Response:
    """Discord's 400 'Invalid Form Body' (code 50035) with a nested errors object."""
    errors: JSON = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(list(path)):
        errors = {key: errors}
    return _error(400, "Invalid Form Body", 50035, errors)


def _length_error(path: Iterable[str], limit: int) -> web.Response:
    return _form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


@dataclass
class SimCall:
    """One REST request as the simulator saw it."""

    method: str
    path: str  # without the "/api/v10" prefix, e.g. "/channels/123/messages"
    route: str  # the route template, e.g. "/channels/{channel_id}/messages"
    body: Any  # parsed JSON (or payload_json of a multipart body), else None
    query: dict[str, str]
    status: int = 0
    authorized: bool = False


@dataclass
class _FailRule:
    route: str | None
    status: int
    remaining: int | None  # None: unlimited until `until`
    until: float | None  # time.monotonic() deadline
    retry_after: float
    is_global: bool

    def take(self, key: str) -> bool:
        """Whether this rule fails the request ``key`` ("METHOD /path"), consuming one use."""
        if self.until is not None and time.monotonic() >= self.until:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.route is not None and self.route not in key:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass
class _Guild:
    id: int
    name: str
    owner_id: int
    channel_ids: list[int] = field(default_factory=list)
    roles: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, JSON] = field(default_factory=dict)  # member payloads without "user"
    bot_role_id: int = 0
    moderator_role_id: int = 0
    joined_at: str = field(default_factory=_now_iso)


class _Compressor:
    """Gateway transport compression: one stream per connection."""

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self._zlib = zlib.compressobj() if kind == "zlib-stream" else None
        self._zstd = _zstd.ZstdCompressor().compressobj() if kind == "zstd-stream" and _zstd else None

    def encode(self, text: str) -> bytes | str:
        raw = text.encode()
        if self._zlib is not None:
            return self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            return self._zstd.compress(raw) + self._zstd.flush(_zstd.COMPRESSOBJ_FLUSH_BLOCK)
        return text


class _Connection:
    """One gateway WebSocket connection."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compressor = _Compressor(compress)
        self.lock = asyncio.Lock()
        self.session: _Session | None = None
        self.closed_by_sim = False

    async def close(self, code: int, reason: str) -> None:
        self.closed_by_sim = True
        await self.ws.close(code=code, message=reason.encode())

    async def send(self, payload: JSON) -> None:
        async with self.lock:
            if self.ws.closed:
                return
            data = self.compressor.encode(json.dumps(payload))
            try:
                if isinstance(data, bytes):
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(data)
            except ConnectionError:
                pass


@dataclass
class _Session:
    id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    buffer: list[JSON] = field(default_factory=list)  # sent dispatches, for RESUME replay
    conn: _Connection | None = None
    ready: bool = False


@dataclass
class _Interaction:
    payload: JSON
    created: float  # DiscordSim.clock()
    response: JSON | None = None
    original: JSON | None = None
    followups: list[JSON] = field(default_factory=list)


class _SnowflakeDict(dict):  # type: ignore[type-arg]
    """A dict keyed by int snowflakes that also accepts str keys on lookup."""

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(_sf(key))

    def __contains__(self, key: Any) -> bool:
        try:
            return super().__contains__(_sf(key))
        except (TypeError, ValueError):
            return False

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return super().get(_sf(key), default)
        except (TypeError, ValueError):
            return default


class DiscordSim:
    """Local Discord: REST v10 + gateway on 127.0.0.1 for the real discord.py.

    A default guild is created with a text channel ``#general``, roles
    ``@everyone``, ``Moderator`` (MANAGE_MESSAGES) and the bot's managed role,
    and members bot + owner.  Its ids are :attr:`guild_id`, :attr:`channel_id`,
    :attr:`moderator_role_id`, :attr:`everyone_role_id`, :attr:`owner_id`.
    """

    def __init__(
        self,
        token: str = "sim-token",
        *,
        bot_id: int | None = None,
        bot_name: str = "walletdesk",
        application_id: int | None = None,
        guild_name: str = "Wallet Community",
        channel_names: Iterable[str] = ("general", "support"),
        heartbeat_interval_ms: int = 41250,
        interaction_timeout: float = 3.0,
        echo_bot_messages: bool = True,
        bot_permissions: int = Perm.BOT_DEFAULT,
        shards: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        # the time source of every time-based rule (rate limits, interaction tokens, nonces);
        # tests inject one and move it by hand
        self.clock = clock
        self.rate_limits: RateBuckets | None = RateBuckets(lambda: self.clock())
        self.nonces = NonceWindow(lambda: self.clock())
        self.interaction_token_ttl = INTERACTION_TOKEN_TTL
        # GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED | APPLICATION_COMMAND_BADGE;
        # drop bit 19 for an application whose message-content intent is off in the Developer Portal
        self.application_flags = (1 << 15) | (1 << 19) | (1 << 23)
        self.shards = shards  # the shard count GET /gateway/bot recommends
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_timeout = interaction_timeout
        self.echo_bot_messages = echo_bot_messages
        self._last_id = 0
        self._counter = itertools.count()
        self.bot_id: int = bot_id or self.new_id()
        self.application_id: int = application_id or self.bot_id
        self.owner_id: int = self.new_id()
        self.users: dict[int, JSON] = {}
        self.bot_user = self._make_user(self.bot_id, bot_name, bot=True)
        self.bot_user.update(verified=True, mfa_enabled=False, email=None)
        self._make_user(self.owner_id, "owner")

        self.guilds: dict[int, _Guild] = {}
        self.channels: dict[int, JSON] = {}
        self.threads: dict[int, JSON] = _SnowflakeDict()
        self.thread_members: dict[int, set[int]] = _SnowflakeDict()
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.blocked_dm_users: set[int] = set()
        self._messages: dict[int, list[JSON]] = {}
        self._message_index: dict[int, JSON] = {}
        self.deleted: list[JSON] = []  # {"channel_id", "message_id", "message"} (ids as int)
        self.registered_commands: dict[int | None, list[JSON]] = {None: []}
        self._interactions: dict[int, _Interaction] = {}
        self._interaction_tokens: dict[str, int] = {}
        self.interaction_responses: dict[int, JSON] = _SnowflakeDict()  # callback bodies as sent
        self.original_responses: dict[int, JSON] = _SnowflakeDict()  # current @original message
        self.followups: dict[int, list[JSON]] = _SnowflakeDict()
        self.calls: list[SimCall] = []
        self.attachment_downloads: list[tuple[str, int]] = []  # CDN requests: (path, status)
        self._cdn: dict[str, tuple[str, str, bytes]] = {}  # path -> (signature query, content type, bytes)
        self.identifies: list[JSON] = []  # IDENTIFY payloads ("d"), token included
        self.nonce_hits = 0  # message creates answered with an earlier message (enforce_nonce)
        self.resumes: list[JSON] = []
        self.gateway_queries: list[dict[str, str]] = []  # query of every gateway connection
        self._fail_rules: list[_FailRule] = []
        self._sessions: dict[str, _Session] = {}
        self._connections: set[_Connection] = set()

        self.guild_id = self.add_guild(guild_name, channel_names=channel_names, bot_permissions=bot_permissions)
        guild = self.guilds[self.guild_id]
        self.channel_id: int = guild.channel_ids[0]
        self.moderator_role_id: int = guild.moderator_role_id
        self.everyone_role_id: int = self.guild_id

        self._runner: web.AppRunner | None = None
        self.port: int = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE`` / ``DISCORD_API_BASE_URL``."""
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` / ``DISCORD_GATEWAY_URL``."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for conn in list(self._connections):
            await conn.close(1001, "simulator stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordSim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ ids, users, guilds

    def new_id(self, *, shard: tuple[int, int] | None = None) -> int:
        """A fresh, increasing snowflake (timestamp-based like Discord's); with
        ``shard=(id, count)`` one that, as a guild id, lands on that shard."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = max((ms << 22) | (next(self._counter) & 0xFFF), self._last_id + 1)
        if shard is not None:
            shard_id, count = shard
            bump = (shard_id - (candidate >> 22)) % count
            if bump:  # a later millisecond
                candidate = ((candidate >> 22) + bump) << 22
        self._last_id = candidate
        return candidate

    def shard_of(self, guild_id: int | str, count: int | None = None) -> int:
        """The shard (of ``count``, default :attr:`shards`) that gets ``guild_id``'s events."""
        return (int(guild_id) >> 22) % (count or self.shards)

    def _make_user(self, user_id: int, username: str | None = None, *, bot: bool = False) -> JSON:
        user = self.users.get(user_id)
        if user is None:
            user = {
                "id": str(user_id), "username": username or f"user{user_id}", "discriminator": "0",
                "global_name": None, "avatar": None, "bot": bot, "system": False,
                "public_flags": 0, "flags": 0, "banner": None, "accent_color": None,
            }
            self.users[user_id] = user
        elif username:
            user["username"] = username
        return user

    def add_user(self, user_id: int | None = None, username: str | None = None, *,
                 guild_id: int | None = None, roles: Iterable[int] = ()) -> JSON:
        """Register a user (and make them a member of ``guild_id``); returns the user payload."""
        user = self._make_user(user_id or self.new_id(), username)
        if guild_id is not None:
            self._ensure_member(int(guild_id), int(user["id"]), roles)
        return user

    def add_guild(self, name: str, *, channel_names: Iterable[str] = ("general",),
                  bot_permissions: int = Perm.BOT_DEFAULT,
                  moderator_permissions: int = Perm.MODERATOR_DEFAULT,
                  shard: tuple[int, int] | None = None) -> int:
        """Create a guild the bot is in; returns its id.  Sent as GUILD_CREATE on IDENTIFY.
        ``shard=(id, count)``: an id on that shard when the bot runs ``count`` shards."""
        gid = self.new_id(shard=shard)
        guild = _Guild(id=gid, name=name, owner_id=self.owner_id)
        self.guilds[gid] = guild
        guild.roles[gid] = self._role(gid, "@everyone", Perm.EVERYONE_DEFAULT, 0)
        guild.moderator_role_id = self.new_id()
        guild.roles[guild.moderator_role_id] = self._role(guild.moderator_role_id, "Moderator", moderator_permissions, 1)
        guild.bot_role_id = self.new_id()
        bot_role = self._role(guild.bot_role_id, self.bot_user["username"], bot_permissions, 2)
        bot_role.update(managed=True, tags={"bot_id": str(self.bot_id)})
        guild.roles[guild.bot_role_id] = bot_role
        self._ensure_member(gid, self.bot_id, [guild.bot_role_id])
        self._ensure_member(gid, self.owner_id, [])
        for channel_name in channel_names:
            self.add_channel(gid, channel_name)
        return gid

    def add_channel(self, guild_id: int, name: str, *, kind: int = CH_GUILD_TEXT) -> int:
        """Add a channel to a guild (text by default; voice and stage channels have a
        text chat of their own, a forum holds posts, see :meth:`user_forum_post`); returns its id."""
        guild = self.guilds[int(guild_id)]
        cid = self.new_id()
        channel: JSON = {
            "id": str(cid), "type": kind, "guild_id": str(guild.id), "name": name,
            "position": len(guild.channel_ids), "permission_overwrites": [], "topic": None, "nsfw": False,
            "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None, "flags": 0,
        }
        if kind in (CH_GUILD_VOICE, CH_GUILD_STAGE_VOICE):
            channel.update(bitrate=64000, user_limit=0, rtc_region=None)
        elif kind == CH_GUILD_FORUM:
            channel.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None,
                           default_forum_layout=0, default_thread_rate_limit_per_user=0)
        self.channels[cid] = channel
        guild.channel_ids.append(cid)
        return cid

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """Change the bot role's permissions (e.g. drop MANAGE_MESSAGES)."""
        guild = self.guilds[int(guild_id)]
        guild.roles[guild.bot_role_id]["permissions"] = str(permissions)

    @staticmethod
    def _role(role_id: int, name: str, permissions: int, position: int) -> JSON:
        return {
            "id": str(role_id), "name": name, "color": 0, "hoist": False, "icon": None, "unicode_emoji": None,
            "position": position, "permissions": str(permissions), "managed": False, "mentionable": False,
            "flags": 0,
        }

    def _ensure_member(self, guild_id: int, user_id: int, roles: Iterable[int] = ()) -> JSON:
        guild = self.guilds[guild_id]
        self._make_user(user_id)
        member = guild.members.get(user_id)
        if member is None:
            member = {
                "roles": [], "nick": None, "avatar": None, "joined_at": _now_iso(), "premium_since": None,
                "deaf": False, "mute": False, "pending": False, "flags": 0, "communication_disabled_until": None,
            }
            guild.members[user_id] = member
        for role in roles:
            if str(role) not in member["roles"]:
                member["roles"].append(str(role))
        return member

    def _member_payload(self, guild_id: int, user_id: int, *, with_user: bool = True) -> JSON:
        member = copy.deepcopy(self.guilds[guild_id].members[user_id])
        if with_user:
            member["user"] = copy.deepcopy(self.users[user_id])
        return member

    def permissions_of(self, guild_id: int, user_id: int) -> int:
        """Guild-level permissions of a member (roles only, no channel overwrites)."""
        guild = self.guilds[int(guild_id)]
        if int(user_id) == guild.owner_id:
            return Perm.ALL
        member = guild.members.get(int(user_id))
        role_ids = [guild.id] + [int(r) for r in (member or {}).get("roles", [])]
        perms = 0
        for rid in role_ids:
            if rid in guild.roles:
                perms |= int(guild.roles[rid]["permissions"])
        return Perm.ALL if perms & Perm.ADMINISTRATOR else perms

    def set_channel_overwrite(self, channel_id: int | str, target_id: int | str, *, allow: int = 0, deny: int = 0,
                              member: bool = False) -> None:
        """Set a channel's permission overwrite for a role (or a member with ``member=True``),
        replacing any earlier one for that target; ``target_id=guild_id`` is @everyone."""
        overwrites = self.channels[int(channel_id)]["permission_overwrites"]
        overwrites[:] = [o for o in overwrites if o["id"] != str(target_id)]
        overwrites.append({"id": str(target_id), "type": 1 if member else 0, "allow": str(allow), "deny": str(deny)})

    def channel_permissions_of(self, channel_id: int | str, user_id: int | str) -> int:
        """A member's permissions in a channel, overwrites applied as Discord does: @everyone,
        then the member's roles together, then the member; a thread uses its parent's;
        without VIEW_CHANNEL nothing else counts."""
        channel = self.channels.get(int(channel_id)) or self.threads.get(int(channel_id))
        if channel is None or channel.get("guild_id") is None:
            return Perm.ALL
        guild_id = int(channel["guild_id"])
        perms = self.permissions_of(guild_id, user_id)
        if perms & Perm.ADMINISTRATOR or perms == Perm.ALL:
            return Perm.ALL
        parent = self.channels.get(_sf(channel.get("parent_id")) or 0) if int(channel_id) in self.threads else None
        overwrites = {o["id"]: o for o in (parent or channel).get("permission_overwrites", [])}
        member = self.guilds[guild_id].members.get(int(user_id)) or {}

        def apply(perms: int, allow: int, deny: int) -> int:
            return (perms & ~deny) | allow

        if (everyone := overwrites.get(str(guild_id))) is not None:
            perms = apply(perms, int(everyone["allow"]), int(everyone["deny"]))
        allow = deny = 0
        for role in member.get("roles", []):
            if (o := overwrites.get(str(role))) is not None and o["type"] == 0:
                allow, deny = allow | int(o["allow"]), deny | int(o["deny"])
        perms = apply(perms, allow, deny)
        if (own := overwrites.get(str(user_id))) is not None and own["type"] == 1:
            perms = apply(perms, int(own["allow"]), int(own["deny"]))
        return perms if perms & Perm.VIEW_CHANNEL else 0

    def _send_refusal(self, channel: JSON) -> web.Response | None:
        """403 when the bot may not post in this guild channel (Discord's codes 50001 / 50013)."""
        if channel.get("guild_id") is None:
            return None
        perms = self.channel_permissions_of(channel["id"], self.bot_id)
        if not perms & Perm.VIEW_CHANNEL:
            return _error(403, "Missing Access", 50001)
        needed = Perm.SEND_MESSAGES_IN_THREADS if int(channel["id"]) in self.threads else Perm.SEND_MESSAGES
        return None if perms & needed else _error(403, "Missing Permissions", 50013)

    def _guild_of_channel(self, channel_id: int) -> int | None:
        channel = self.channels.get(channel_id)
        return _sf(channel.get("guild_id")) if channel else None

    def _guild_payload(self, guild: _Guild, *, full: bool) -> JSON:
        payload: JSON = {
            "id": str(guild.id), "name": guild.name, "icon": None, "splash": None, "discovery_splash": None,
            "banner": None, "description": None, "owner_id": str(guild.owner_id), "afk_channel_id": None,
            "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0,
            "premium_subscription_count": 0, "premium_progress_bar_enabled": False, "features": [],
            "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "public_updates_channel_id": None, "safety_alerts_channel_id": None, "vanity_url_code": None,
            "preferred_locale": "en-US", "max_members": 500000, "application_id": None,
            "roles": [copy.deepcopy(r) for r in guild.roles.values()], "emojis": [], "stickers": [],
        }
        if full:
            payload.update(
                joined_at=guild.joined_at, large=False, unavailable=False, member_count=len(guild.members),
                lazy=True, voice_states=[], presences=[], stage_instances=[], guild_scheduled_events=[],
                soundboard_sounds=[],
                members=[self._member_payload(guild.id, uid) for uid in guild.members],
                channels=[copy.deepcopy(self.channels[c]) for c in guild.channel_ids],
                threads=[self._thread_payload(t) for t in self.threads.values()
                         if t.get("guild_id") == str(guild.id)
                         and not t["thread_metadata"]["archived"]],
            )
        return payload

    def _thread_payload(self, thread: JSON) -> JSON:
        payload = copy.deepcopy(thread)
        tid = int(thread["id"])
        if self.bot_id in self.thread_members.get(tid, set()):
            payload["member"] = {"id": str(tid), "user_id": str(self.bot_id), "join_timestamp": thread["_created"],
                                 "flags": 0}
        payload.pop("_created", None)
        return payload

    # ------------------------------------------------------------------ records & waiting

    def messages_in(self, channel_id: int | str, *, include_users: bool = False) -> list[JSON]:
        """Messages in a channel, oldest first (bot's only unless ``include_users``); deleted ones excluded."""
        messages = self._messages.get(int(channel_id), [])
        return [m for m in messages if include_users or m["author"]["id"] == str(self.bot_id)]

    def message(self, message_id: int | str) -> JSON | None:
        """Any stored (not deleted) message by id."""
        return self._message_index.get(int(message_id))

    def dm_channel_for(self, user_id: int | str) -> int | None:
        """The DM channel id opened with ``user_id`` (by the bot or :meth:`open_dm`), else None."""
        return self._dm_channels.get(int(user_id))

    def open_dm(self, user_id: int | str) -> int:
        """Get or create the DM channel between the bot and a user."""
        uid = int(user_id)
        if uid not in self._dm_channels:
            cid = self.new_id()
            self._dm_channels[uid] = cid
            self.channels[cid] = {
                "id": str(cid), "type": CH_DM, "last_message_id": None, "flags": 0,
                "recipients": [copy.deepcopy(self._make_user(uid))],
            }
        return self._dm_channels[uid]

    def block_dms(self, user_id: int | str) -> None:
        """Make sends to this user's DM channel fail with 403 code 50007 (DMs closed)."""
        self.blocked_dm_users.add(int(user_id))

    def calls_to(self, route_substring: str) -> list[SimCall]:
        """Recorded calls whose "METHOD /path" contains ``route_substring``."""
        return [c for c in self.calls if route_substring in f"{c.method} {c.path}"]

    async def wait_for(self, predicate: Callable[[], T], timeout: float = DEADLINE) -> T:
        """Poll ``predicate`` until it returns a truthy value (returned) or raise TimeoutError."""
        return await wait_until(predicate, timeout=timeout)

    async def wait_for_message(self, channel_id: int | str, predicate: Callable[[JSON], bool] | None = None,
                               *, timeout: float = DEADLINE) -> JSON:
        """The oldest bot message in the channel matching ``predicate`` (waits for it)."""
        def find() -> JSON | None:
            return next((m for m in self.messages_in(channel_id) if predicate is None or predicate(m)), None)
        return await self.wait_for(find, timeout)

    async def wait_until_ready(self, timeout: float = DEADLINE, *, sessions: int = 1) -> None:
        """Wait until ``sessions`` gateway sessions (e.g. one per shard) have been sent
        READY and their GUILD_CREATEs."""
        await self.wait_for(lambda: sum(1 for s in self._sessions.values() if s.ready and s.conn) >= sessions,
                            timeout)

    def dispatched_to(self, shard_id: int | None) -> list[tuple[str, JSON]]:
        """``(event, data)`` of the dispatches sent to the live sessions of shard ``shard_id``
        (None: sessions that identified without a shard), oldest first per session; the
        last 500 per session (the RESUME buffer)."""
        return [(p["t"], p["d"]) for s in self._sessions.values()
                if (s.shard[0] if s.shard is not None else None) == shard_id for p in s.buffer]

    @property
    def connected(self) -> bool:
        return any(s.conn is not None for s in self._sessions.values())

    # ------------------------------------------------------------------ failure injection

    def fail(self, route: str | None = None, status: int = 429, *, times: int = 1, retry_after: float = 0.5,
             is_global: bool = False) -> None:
        """Fail the next ``times`` REST calls whose "METHOD /path" contains ``route`` (None: any call).

        429 answers carry Discord's body ``{"message", "retry_after", "global"}`` plus
        ``Retry-After``/``X-RateLimit-*`` and ``Via`` headers (discord.py treats a 429
        without ``Via`` as a Cloudflare ban and raises instead of retrying).
        """
        self._fail_rules.append(_FailRule(route, status, times, None, retry_after, is_global))

    def fail_for(self, seconds: float, status: int = 500, *, route: str | None = None,
                 retry_after: float = 0.5, is_global: bool = False) -> None:
        """Fail every matching REST call for the next ``seconds`` seconds."""
        self._fail_rules.append(_FailRule(route, status, None, time.monotonic() + seconds, retry_after, is_global))

    def clear_failures(self) -> None:
        self._fail_rules.clear()

    def _injected_failure(self, key: str, bucket: str) -> web.Response | None:
        for rule in self._fail_rules:
            if rule.take(key):
                return self._failure_response(rule, bucket)
        return None

    @staticmethod
    def _failure_response(rule: _FailRule, bucket: str) -> web.Response:
        if rule.status == 429:
            body = {"message": "You are being rate limited.", "retry_after": rule.retry_after,
                    "global": rule.is_global, "code": 0}
            headers = {
                "Retry-After": str(math.ceil(rule.retry_after)), "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}", "X-RateLimit-Bucket": bucket,
                "X-RateLimit-Scope": "global" if rule.is_global else "user", "Via": "1.1 google",
            }
            if rule.is_global:
                headers["X-RateLimit-Global"] = "true"
            return _json_response(body, status=429, headers=headers)
        reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Timeout"}.get(rule.status, "Error")
        return _error(rule.status, f"{rule.status}: {reason}")

    # ------------------------------------------------------------------ HTTP plumbing

    def _add_routes(self, app: web.Application) -> None:
        p = f"/api/v{API_VERSION}"
        app_cmds = p + "/applications/{app_id}/commands"
        guild_cmds = p + "/applications/{app_id}/guilds/{guild_id}/commands"
        hook = p + "/webhooks/{app_id}/{token}"
        routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
            ("GET", p + "/users/@me", self._get_me),
            ("GET", p + "/users/@me/guilds", self._get_my_guilds),
            ("GET", p + "/users/{user_id}", self._get_user),
            ("GET", p + "/gateway", self._get_gateway),
            ("GET", p + "/gateway/bot", self._get_gateway_bot),
            ("GET", p + "/oauth2/applications/@me", self._get_application),
            ("GET", p + "/applications/@me", self._get_application),
            ("GET", app_cmds, self._get_commands),
            ("PUT", app_cmds, self._put_commands),
            ("GET", guild_cmds, self._get_commands),
            ("PUT", guild_cmds, self._put_commands),
            ("GET", p + "/channels/{channel_id}", self._get_channel),
            ("GET", p + "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("POST", p + "/channels/{channel_id}/messages", self._post_message),
            ("PATCH", p + "/channels/{channel_id}/messages/{message_id}", self._patch_message),
            ("DELETE", p + "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", p + "/channels/{channel_id}/threads", self._post_thread),
            ("POST", p + "/channels/{channel_id}/messages/{message_id}/threads", self._post_thread),
            ("PUT", p + "/channels/{channel_id}/thread-members/{user_id}", self._put_thread_member),
            ("POST", p + "/users/@me/channels", self._post_dm),
            ("GET", p + "/guilds/{guild_id}", self._get_guild),
            ("GET", p + "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("POST", p + "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("GET", hook + "/messages/@original", self._get_original),
            ("PATCH", hook + "/messages/@original", self._patch_original),
            ("DELETE", hook + "/messages/@original", self._delete_original),
            ("POST", hook, self._post_followup),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._cdn_get)

    @web.middleware
    async def _middleware(self, request: web.Request,
                          handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.path.startswith(("/gateway", "/attachments/")):  # the CDN takes no token
            return await handler(request)
        prefix = f"/api/v{API_VERSION}"
        path = request.path[len(prefix):] if request.path.startswith(prefix) else request.path
        resource = request.match_info.route.resource
        template = resource.canonical[len(prefix):] if resource is not None else path
        call = SimCall(request.method, path, template, await self._read_body(request), dict(request.query))
        self.calls.append(call)
        bucket = hashlib.sha1(f"{request.method} {template}".encode()).hexdigest()[:16]
        # token-authenticated routes (interaction callback and webhooks) need no bot token
        token_route = template.startswith(("/interactions/", "/webhooks/"))
        call.authorized = token_route or request.headers.get("Authorization") == f"Bot {self.token}"
        response: web.StreamResponse | None = self._injected_failure(f"{request.method} {path}", bucket)
        limit_headers: dict[str, str] = {}
        if response is None and call.authorized and self.rate_limits is not None:
            limited, limit_headers = self.rate_limits.take(request.method, template, dict(request.match_info))
            if limited is not None:
                response = _json_response(limited.body(), status=429, headers=limited.headers)
        if response is None:
            if not call.authorized:
                response = _error(401, "401: Unauthorized")
            else:
                try:
                    response = await handler(request)
                except web.HTTPNotFound:
                    response = _error(404, "404: Not Found")
                except web.HTTPMethodNotAllowed:
                    response = _error(405, "405: Method Not Allowed")
                except _BadBody as exc:
                    response = _error(400, f"400: Bad Request ({exc})", 50109)
            response.headers.update(limit_headers)
        call.status = response.status
        return response

    @staticmethod
    async def _read_body(request: web.Request) -> Any:
        if not request.can_read_body:
            return None
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            attachments: list[str] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    attachments.append(part.filename or part.name or "")  # type: ignore[union-attr]
                    await part.read()  # type: ignore[union-attr]
            if isinstance(payload, dict):
                payload["_files"] = attachments
            request["json"] = payload
            return payload
        raw = await request.read()
        try:
            request["json"] = json.loads(raw) if raw else None
        except ValueError:
            request["json"] = _BadBody("invalid JSON")
        return request["json"] if not isinstance(request["json"], _BadBody) else raw.decode(errors="replace")

    @staticmethod
    def _json(request: web.Request) -> Any:
        body = request.get("json")
        if isinstance(body, _BadBody):
            raise body
        return body

    # ------------------------------------------------------------------ REST: identity, gateway, app

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json_response(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user_id"]))
        return _json_response(user) if user is not None else _error(404, "Unknown User", 10013)

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json_response({
            "url": self.gateway_url, "shards": self.shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
        })

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json_response({
            "id": str(self.application_id), "name": self.bot_user["username"], "icon": None, "description": "",
            "summary": "", "type": None, "bot_public": True, "bot_require_code_grant": False,
            "verify_key": "0" * 64, "flags": self._application_flags(), "team": None,
            "owner": copy.deepcopy(self.users[self.owner_id]), "bot": copy.deepcopy(self.bot_user),
            "rpc_origins": [], "redirect_uris": [], "interactions_endpoint_url": None, "tags": [],
            "approximate_guild_count": len(self.guilds), "integration_types_config": {"0": {}},
        })

    def _application_flags(self) -> int:
        return self.application_flags

    async def _get_my_guilds(self, request: web.Request) -> web.Response:
        """GET /users/@me/guilds: partial guilds with the bot's permissions in each."""
        return _json_response([
            {"id": str(g.id), "name": g.name, "icon": None, "banner": None, "owner": g.owner_id == self.bot_id,
             "permissions": str(self.permissions_of(g.id, self.bot_id)), "features": []}
            for g in self.guilds.values()])

    # ------------------------------------------------------------------ REST: application commands

    def _check_app(self, request: web.Request) -> web.Response | None:
        if request.match_info["app_id"] != str(self.application_id):
            return _error(403, "You are not authorized to perform this action on this application", 20012)
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None and int(guild_id) not in self.guilds:
            return _error(403, "Missing Access", 50001)
        return None

    async def _get_commands(self, request: web.Request) -> web.Response:
        if (err := self._check_app(request)) is not None:
            return err
        key = _sf(request.match_info.get("guild_id"))
        return _json_response(self.registered_commands.get(key, []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        if (err := self._check_app(request)) is not None:
            return err
        body = self._json(request)
        if not isinstance(body, list):
            return _form_error([], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        key = _sf(request.match_info.get("guild_id"))
        old = {(c["name"], c["type"]): c for c in self.registered_commands.get(key, [])}
        result: list[JSON] = []
        for index, raw in enumerate(body):
            if (err := self._validate_command(index, raw)) is not None:
                return err
            ctype = raw.get("type", CMD_CHAT_INPUT)
            previous = old.get((raw["name"], ctype))
            command = {
                "id": previous["id"] if previous else str(self.new_id()), "application_id": str(self.application_id),
                "version": str(self.new_id()), "type": ctype, "name": raw["name"], "name_localizations": None,
                "description": raw.get("description", ""), "description_localizations": None,
                "options": raw.get("options", []), "default_member_permissions": raw.get("default_member_permissions"),
                "dm_permission": raw.get("dm_permission", True), "nsfw": raw.get("nsfw", False),
                "contexts": raw.get("contexts"), "integration_types": raw.get("integration_types", [0]),
            }
            command.update({k: v for k, v in raw.items() if k.endswith("_localizations")})
            if key is not None:
                command["guild_id"] = str(key)
            result.append(command)
        self.registered_commands[key] = result
        return _json_response(result)

    @staticmethod
    def _validate_command(index: int, raw: Any) -> web.Response | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            return _form_error([str(index), "name"], "BASE_TYPE_REQUIRED", "This field is required")
        ctype = raw.get("type", CMD_CHAT_INPUT)
        name = raw["name"]
        if ctype == CMD_CHAT_INPUT:
            if not re.fullmatch(r"[-_'\w]{1,32}", name) or name != name.lower():
                return _form_error([str(index), "name"], "APPLICATION_COMMAND_INVALID_NAME",
                                   "Command name is invalid")
            if not 1 <= len(raw.get("description", "")) <= 100:
                return _form_error([str(index), "description"], "BASE_TYPE_BAD_LENGTH",
                                   "Must be between 1 and 100 in length.")
        elif not 1 <= len(name) <= 32:
            return _form_error([str(index), "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
        return None

    # ------------------------------------------------------------------ REST: channels, guilds, members

    def _channel_or_404(self, channel_id: str) -> JSON | web.Response:
        channel = self.channels.get(int(channel_id))
        return channel if channel is not None else _error(404, "Unknown Channel", 10003)

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request.match_info["channel_id"])
        if isinstance(channel, web.Response):
            return channel
        return _json_response(self._thread_payload(channel) if int(channel["id"]) in self.threads
                                 else channel)

    async def _get_guild(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            return _error(404, "Unknown Guild", 10004)
        payload = self._guild_payload(guild, full=False)
        payload.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return _json_response(payload)

    async def _get_member(self, request: web.Request) -> web.Response:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            return _error(404, "Unknown Guild", 10004)
        uid = int(request.match_info["user_id"])
        if uid not in guild.members:
            return _error(404, "Unknown Member", 10007)
        return _json_response(self._member_payload(guild.id, uid))

    async def _post_dm(self, request: web.Request) -> web.Response:
        body = self._json(request) or {}
        recipient = body.get("recipient_id")
        if recipient is None:
            return _form_error(["recipient_id"], "BASE_TYPE_REQUIRED", "This field is required")
        if int(recipient) not in self.users:
            return _error(400, "Invalid Recipient(s)", 50033)
        return _json_response(self.channels[self.open_dm(recipient)])

    # ------------------------------------------------------------------ REST: messages

    def _validate_message_body(self, body: JSON, *, require_something: bool = True) -> web.Response | None:
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            content = str(content)
        if content is not None and len(content) > MAX_CONTENT:
            return _length_error(["content"], MAX_CONTENT)
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            return _length_error(["embeds"], 10)
        if sum(len(json.dumps(e)) for e in embeds) > 6000 * 2:  # generous approximation of the 6000-char limit
            return _length_error(["embeds"], 6000)
        if require_something and not (content or embeds or body.get("components") or body.get("_files")
                                      or body.get("sticker_ids") or body.get("poll")):
            return _error(400, "Cannot send an empty message", 50006)
        return None

    def _mentions(self, content: str, allowed: JSON | None, guild_id: int | None) -> JSON:
        """Which mentions in ``content`` Discord would resolve, given ``allowed_mentions``."""
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
        allow_users = {str(u) for u in (allowed or {}).get("users") or []}
        allow_roles = {str(r) for r in (allowed or {}).get("roles") or []}
        user_ids = re.findall(r"<@!?(\d+)>", content)
        role_ids = re.findall(r"<@&(\d+)>", content)
        users = [copy.deepcopy(self.users[int(u)]) for u in dict.fromkeys(user_ids)
                 if int(u) in self.users and ("users" in parse or u in allow_users)]
        roles = [r for r in dict.fromkeys(role_ids) if "roles" in parse or r in allow_roles]
        if guild_id is not None:
            roles = [r for r in roles if int(r) in self.guilds[guild_id].roles]
        everyone = "everyone" in parse and bool(re.search(r"@(everyone|here)\b", content))
        return {"mentions": users, "mention_roles": roles, "mention_everyone": everyone}

    def _new_message(self, channel_id: int, author: JSON, body: JSON, *, message_type: int = 0,
                     extra: JSON | None = None) -> JSON:
        guild_id = self._guild_of_channel(channel_id)
        content = str(body.get("content") or "")
        message: JSON = {
            "id": str(self.new_id()), "channel_id": str(channel_id), "author": copy.deepcopy(author),
            "content": content, "timestamp": _now_iso(), "edited_timestamp": None, "tts": bool(body.get("tts")),
            "attachments": [{"id": str(self.new_id()), "filename": f, "size": 0, "url": "", "proxy_url": ""}
                            for f in body.get("_files", [])],
            "embeds": body.get("embeds") or [], "components": body.get("components") or [],
            "reactions": [], "pinned": False, "type": message_type, "flags": int(body.get("flags") or 0),
            "nonce": body.get("nonce"),
        }
        message.update(self._mentions(content, body.get("allowed_mentions"), guild_id))
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
        if extra:
            message.update(extra)
        # simulator-only record of what the client asked for
        message["allowed_mentions"] = body.get("allowed_mentions")
        if body.get("message_reference") is not None:
            message["message_reference"] = body["message_reference"]
        return message

    def _store_message(self, message: JSON) -> None:
        cid = int(message["channel_id"])
        self._messages.setdefault(cid, []).append(message)
        self._message_index[int(message["id"])] = message
        if cid in self.channels:
            self.channels[cid]["last_message_id"] = message["id"]
        thread = self.threads.get(cid)
        if thread is not None:
            thread["message_count"] += 1
            thread["total_message_sent"] = thread.get("total_message_sent", 0) + 1

    def _wire_message(self, message: JSON) -> JSON:
        """A stored message as Discord would send it (simulator-only keys removed)."""
        wire = copy.deepcopy(message)
        wire.pop("allowed_mentions", None)
        if wire.get("message_reference") and wire.get("type") in (0, 19):
            ref = self._message_index.get(_sf(wire["message_reference"].get("message_id")) or 0)
            wire["referenced_message"] = self._wire_message(ref) if ref and ref is not message else None
        return wire

    async def _post_message(self, request: web.Request) -> web.Response:
        channel = self._channel_or_404(request.match_info["channel_id"])
        if isinstance(channel, web.Response):
            return channel
        body = self._json(request) or {}
        if (err := self._validate_message_body(body)) is not None:
            return err
        cid = int(channel["id"])
        if (refusal := self._send_refusal(channel)) is not None:
            return refusal
        if channel["type"] == CH_DM and any(int(r["id"]) in self.blocked_dm_users for r in channel["recipients"]):
            return _error(403, "Cannot send messages to this user", 50007)
        if cid in self.threads and self.threads[cid]["thread_metadata"]["archived"]:
            return _error(400, "Thread is archived", 50083)
        ref = body.get("message_reference")
        message_type = 0
        if ref is not None:
            target = self._message_index.get(_sf(ref.get("message_id")) or 0)
            if target is None and ref.get("fail_if_not_exists", True):
                return _form_error(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
            message_type = 19 if ref.get("type", 0) == 0 else 0
            body = {**body, "message_reference": {
                "type": ref.get("type", 0), "message_id": str(ref.get("message_id")),
                "channel_id": str(ref.get("channel_id") or (target or {}).get("channel_id") or cid),
                **({"guild_id": str(ref.get("guild_id") or self._guild_of_channel(cid))}
                   if self._guild_of_channel(cid) is not None else {}),
            }}
        nonce = body.get("nonce")
        enforce = bool(body.get("enforce_nonce")) and nonce is not None
        if enforce:
            # Discord: the same author and nonce within a few minutes returns the first message
            earlier = self.nonces.earlier(cid, self.bot_user["id"], nonce)
            if earlier is not None:
                self.nonce_hits += 1
                return _json_response(self._wire_message(earlier))
        message = self._new_message(cid, self.bot_user, body, message_type=message_type)
        self._store_message(message)
        if enforce:
            self.nonces.remember(cid, self.bot_user["id"], nonce, message)
        wire = self._wire_message(message)
        if self.echo_bot_messages:
            await self.dispatch("MESSAGE_CREATE", self._gateway_message(message))
        return _json_response(wire)

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self._message_index.get(int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != request.match_info["channel_id"]:
            return _error(404, "Unknown Message", 10008)
        return _json_response(self._wire_message(message))

    def _edit(self, message: JSON, body: JSON) -> web.Response | None:
        if (err := self._validate_message_body(body, require_something=False)) is not None:
            return err
        for key in ("content", "embeds", "components", "flags"):
            if key in body and body[key] is not None:
                message[key] = body[key]
        if "allowed_mentions" in body:
            message["allowed_mentions"] = body["allowed_mentions"]
        message.update(self._mentions(message["content"], message.get("allowed_mentions"),
                                      _sf(message.get("guild_id"))))
        message["edited_timestamp"] = _now_iso()
        return None

    async def _patch_message(self, request: web.Request) -> web.Response:
        message = self._message_index.get(int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != request.match_info["channel_id"]:
            return _error(404, "Unknown Message", 10008)
        if message["author"]["id"] != str(self.bot_id):
            return _error(403, "Cannot edit a message authored by another user", 50005)
        if (err := self._edit(message, self._json(request) or {})) is not None:
            return err
        await self.dispatch("MESSAGE_UPDATE", self._gateway_message(message))
        return _json_response(self._wire_message(message))

    async def _delete_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel_id"])
        mid = int(request.match_info["message_id"])
        message = self._message_index.get(mid)
        if message is None or int(message["channel_id"]) != cid:
            return _error(404, "Unknown Message", 10008)
        if message["author"]["id"] != str(self.bot_id):
            guild_id = self._guild_of_channel(cid)
            if guild_id is None:
                return _error(403, "Cannot execute action on a DM channel", 50003)
            if not self.channel_permissions_of(cid, self.bot_id) & Perm.MANAGE_MESSAGES:
                return _error(403, "Missing Permissions", 50013)
        self._remove_message(message)
        event: JSON = {"id": str(mid), "channel_id": str(cid)}
        if message.get("guild_id"):
            event["guild_id"] = message["guild_id"]
        await self.dispatch("MESSAGE_DELETE", event)
        return web.Response(status=204)

    def _remove_message(self, message: JSON) -> None:
        mid = int(message["id"])
        self._message_index.pop(mid, None)
        channel_messages = self._messages.get(int(message["channel_id"]), [])
        if message in channel_messages:
            channel_messages.remove(message)
        self.deleted.append({"channel_id": int(message["channel_id"]), "message_id": mid, "message": message})

    # ------------------------------------------------------------------ REST: threads

    async def _post_thread(self, request: web.Request) -> web.Response:
        parent = self._channel_or_404(request.match_info["channel_id"])
        if isinstance(parent, web.Response):
            return parent
        if parent["type"] != CH_GUILD_TEXT:
            return _error(400, "Cannot execute action on this channel type", 50024)
        body = self._json(request) or {}
        name = body.get("name")
        if not name:
            return _form_error(["name"], "BASE_TYPE_REQUIRED", "This field is required")
        if len(name) > 100:
            return _length_error(["name"], 100)
        guild_id = int(parent["guild_id"])
        from_message = request.match_info.get("message_id")
        if from_message is not None:
            source = self._message_index.get(int(from_message))
            if source is None or source["channel_id"] != parent["id"]:
                return _error(404, "Unknown Message", 10008)
            if any(int(t["id"]) == int(from_message) for t in self.threads.values()):
                return _error(400, "A thread has already been created for this message", 160004)
            tid, ttype = int(from_message), CH_PUBLIC_THREAD  # Discord reuses the message id
        else:
            tid, ttype = self.new_id(), int(body.get("type", CH_PRIVATE_THREAD))
        needed = Perm.CREATE_PRIVATE_THREADS if ttype == CH_PRIVATE_THREAD else Perm.CREATE_PUBLIC_THREADS
        if not self.channel_permissions_of(parent["id"], self.bot_id) & needed:
            return _error(403, "Missing Permissions", 50013)
        payload = await self._open_thread(
            parent, tid, ttype, name, owner_id=self.bot_id, slowmode=int(body.get("rate_limit_per_user") or 0),
            auto_archive=int(body.get("auto_archive_duration") or 4320),
            invitable=bool(body.get("invitable", True)) if ttype == CH_PRIVATE_THREAD else True)
        return _json_response(payload, status=201)

    async def _open_thread(self, parent: JSON, tid: int, ttype: int, name: str, *, owner_id: int,
                           slowmode: int = 0, auto_archive: int = 4320, invitable: bool = True) -> JSON:
        """Record a thread under ``parent`` and dispatch THREAD_CREATE; returns its payload."""
        created = _now_iso()
        thread: JSON = {
            "id": str(tid), "type": ttype, "guild_id": parent["guild_id"], "parent_id": parent["id"], "name": name,
            "owner_id": str(owner_id), "last_message_id": None, "message_count": 0, "member_count": 1,
            "rate_limit_per_user": slowmode, "flags": 0, "total_message_sent": 0, "applied_tags": [],
            "thread_metadata": {
                "archived": False, "auto_archive_duration": auto_archive, "archive_timestamp": created,
                "locked": False, "create_timestamp": created, "invitable": invitable,
            },
            "_created": created,
        }
        self.threads[tid] = thread
        self.channels[tid] = thread
        self.thread_members[tid] = {self.bot_id}
        payload = self._thread_payload(thread)
        await self.dispatch("THREAD_CREATE", {**payload, "newly_created": True})
        return payload

    async def _put_thread_member(self, request: web.Request) -> web.Response:
        tid = int(request.match_info["channel_id"])
        thread = self.threads.get(tid)
        if thread is None:
            return _error(404, "Unknown Channel", 10003)
        uid = int(request.match_info["user_id"])
        if uid not in self.guilds[int(thread["guild_id"])].members:
            return _error(404, "Unknown Member", 10007)
        self.thread_members[tid].add(uid)
        thread["member_count"] = len(self.thread_members[tid])
        return web.Response(status=204)

    # ------------------------------------------------------------------ REST: interactions & webhooks

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        iid = int(request.match_info["interaction_id"])
        record = self._interactions.get(iid)
        if record is None or record.payload["token"] != request.match_info["token"]:
            return _error(404, "Unknown interaction", 10062)
        if record.response is not None:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        if self.clock() - record.created > self.interaction_timeout:
            return _error(404, "Unknown interaction", 10062)
        body = self._json(request) or {}
        rtype = body.get("type")
        data = body.get("data") or {}
        if rtype in (4, 7) and (err := self._validate_message_body(data, require_something=rtype == 4)) is not None:
            return err
        if rtype not in (1, 4, 5, 6, 7, 9, 10, 12):
            return _form_error(["type"], "BASE_TYPE_CHOICES", "Value must be one of (1, 4, 5, 6, 7, 9, 10, 12).")
        record.response = body
        self.interaction_responses[iid] = body
        message: JSON | None = None
        if rtype in (4, 5):
            message = self._interaction_message(record, data, loading=rtype == 5)
            record.original = message
            self.original_responses[iid] = message
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        result: JSON = {"interaction": {
            "id": str(iid), "type": record.payload["type"],
            "response_message_id": message["id"] if message else None,
            "response_message_loading": rtype == 5,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
        }}
        if message is not None:
            result["resource"] = {"type": rtype, "message": self._wire_message(message)}
        return _json_response(result)

    def _interaction_message(self, record: _Interaction, data: JSON, *, loading: bool) -> JSON:
        flags = int(data.get("flags") or 0) | (128 if loading else 0)
        payload = record.payload
        invoker = payload.get("member", {}).get("user") or payload.get("user")
        extra = {
            "webhook_id": str(self.application_id), "application_id": str(self.application_id),
            "interaction_metadata": {"id": payload["id"], "type": payload["type"], "user": invoker,
                                     "authorizing_integration_owners": {}},
        }
        message = self._new_message(int(payload["channel_id"]), self.bot_user, {**data, "flags": flags},
                                    message_type=20 if payload["data"].get("type") == CMD_CHAT_INPUT else 23,
                                    extra=extra)
        if not flags & 64:  # ephemeral messages are not part of the channel history
            self._store_message(message)
        return message

    def _interaction_by_token(self, request: web.Request) -> _Interaction | web.Response:
        iid = self._interaction_tokens.get(request.match_info["token"])
        if request.match_info["app_id"] != str(self.application_id) or iid is None:
            return _error(404, "Unknown Webhook", 10015)
        record = self._interactions[iid]
        if record.response is None:
            return _error(404, "Unknown Webhook", 10015)
        if self.clock() - record.created > self.interaction_token_ttl:  # tokens live 15 minutes
            return _error(401, "Invalid Webhook Token", 50027)
        return record

    async def _get_original(self, request: web.Request) -> web.Response:
        record = self._interaction_by_token(request)
        if isinstance(record, web.Response):
            return record
        if record.original is None:
            return _error(404, "Unknown Message", 10008)
        return _json_response(self._wire_message(record.original))

    async def _patch_original(self, request: web.Request) -> web.Response:
        record = self._interaction_by_token(request)
        if isinstance(record, web.Response):
            return record
        if record.original is None:
            return _error(404, "Unknown Message", 10008)
        body = self._json(request) or {}
        if (err := self._edit(record.original, body)) is not None:
            return err
        record.original["flags"] = int(record.original.get("flags") or 0) & ~128  # no longer "thinking"
        return _json_response(self._wire_message(record.original))

    async def _delete_original(self, request: web.Request) -> web.Response:
        record = self._interaction_by_token(request)
        if isinstance(record, web.Response):
            return record
        if record.original is None:
            return _error(404, "Unknown Message", 10008)
        self._remove_message(record.original)
        record.original = None
        self.original_responses.pop(int(record.payload["id"]), None)
        return web.Response(status=204)

    async def _post_followup(self, request: web.Request) -> web.Response:
        record = self._interaction_by_token(request)
        if isinstance(record, web.Response):
            return record
        body = self._json(request) or {}
        if (err := self._validate_message_body(body)) is not None:
            return err
        message = self._interaction_message(record, body, loading=False)
        record.followups.append(message)
        self.followups.setdefault(int(record.payload["id"]), []).append(message)
        if request.query.get("wait") in ("1", "true", "True"):
            return _json_response(self._wire_message(message))
        return web.Response(status=204)

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        self.gateway_queries.append(dict(request.query))
        if compress == "zstd-stream" and _zstd is None:
            await ws.close(code=4000, message=b"zstd-stream unsupported by the simulator")
            return ws
        conn = _Connection(ws, compress)
        self._connections.add(conn)
        try:
            await conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms,
                                                  "_trace": ["discord-sim"]}, "s": None, "t": None})
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    try:
                        payload = json.loads(msg.data)
                    except ValueError:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                        break
                    await self._on_gateway_payload(conn, payload)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._connections.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if ws.close_code in (1000, 1001) and not conn.closed_by_sim:
                    # a clean close ends the session.  NB: discord.py's Client.close() races its
                    # reader task and actually sends 4000, so its sessions stay resumable (as on Discord)
                    self._sessions.pop(session.id, None)
        return ws

    async def _on_gateway_payload(self, conn: _Connection, payload: JSON) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            await conn.send({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif op == OP_REQUEST_MEMBERS:
            await self._request_members(conn, data or {})
        elif op not in (3, 4):  # presence / voice state updates are accepted and ignored
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: _Connection, data: JSON) -> None:
        self.identifies.append(data)
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = data.get("shard")
        if shard is not None and not (isinstance(shard, list) and len(shard) == 2
                                      and all(type(n) is int for n in shard) and 0 <= shard[0] < shard[1]):
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        if int(data.get("intents") or 0) & Intent.MESSAGE_CONTENT and not self.application_flags & ((1 << 18) | (1 << 19)):
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")  # privileged, not enabled
            return
        session = _Session(id=uuid.uuid4().hex, intents=int(data.get("intents") or 0), shard=shard)
        self._sessions[session.id] = session
        guilds = [g for g in self.guilds.values() if shard is None or self.shard_of(g.id, shard[1]) == shard[0]]
        session.conn = conn
        conn.session = session
        ready: JSON = {
            "v": API_VERSION, "user": copy.deepcopy(self.bot_user), "session_id": session.id,
            "resume_gateway_url": self.gateway_url, "session_type": "normal",
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(self.application_id), "flags": self._application_flags()},
            "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
            "geo_ordered_rtc_regions": [], "user_settings": {}, "auth": {}, "_trace": ["discord-sim"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        await self._send_dispatch(session, "READY", ready)
        for guild in guilds:
            await self._send_dispatch(session, "GUILD_CREATE", self._guild_payload(guild, full=True))
        session.ready = True

    async def _resume(self, conn: _Connection, data: JSON) -> None:
        self.resumes.append(data)
        session = self._sessions.get(str(data.get("session_id")))
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session is None:
            await conn.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        if session.conn is not None and session.conn is not conn:
            await session.conn.close(4000, "Session resumed elsewhere.")
        session.conn = conn
        conn.session = session
        last = int(data.get("seq") or 0)
        for event in list(session.buffer):
            if event["s"] > last:
                await conn.send(event)
        await self._send_dispatch(session, "RESUMED", {"_trace": ["discord-sim"]})

    async def _request_members(self, conn: _Connection, data: JSON) -> None:
        guild = self.guilds.get(int(data.get("guild_id") or 0))
        if guild is None or conn.session is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        members = [self._member_payload(guild.id, uid) for uid in guild.members
                   if (not wanted or uid in wanted) and self.users[uid]["username"].lower().startswith(query)]
        limit = int(data.get("limit") or 0)
        chunk: JSON = {"guild_id": str(guild.id), "members": members[:limit] if limit else members,
                       "chunk_index": 0, "chunk_count": 1, "not_found": [str(u) for u in wanted - set(guild.members)]}
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        if data.get("presences"):
            chunk["presences"] = []
        await self._send_dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _send_dispatch(self, session: _Session, event: str, data: JSON) -> None:
        session.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        del session.buffer[:-500]
        if session.conn is not None:
            await session.conn.send(payload)

    def _wants(self, session: _Session, event: str, data: JSON) -> JSON | None:
        """Apply the session's intents: None to drop the event, else the (maybe content-stripped) data."""
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"):
            in_guild = data.get("guild_id") is not None
            if not session.intents & (Intent.GUILD_MESSAGES if in_guild else Intent.DIRECT_MESSAGES):
                return None
            author = (data.get("author") or {}).get("id")
            mentioned = any(u.get("id") == str(self.bot_id) for u in data.get("mentions") or [])
            if (in_guild and event != "MESSAGE_DELETE" and not session.intents & Intent.MESSAGE_CONTENT
                    and author != str(self.bot_id) and not mentioned):
                data = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
        elif event.startswith(("GUILD_", "THREAD_", "CHANNEL_")) and not session.intents & Intent.GUILDS:
            return None
        return data

    @staticmethod
    def _event_guild(event: str, data: JSON) -> int | None:
        """The guild an event belongs to (None: a DM or no guild), which decides its shard."""
        raw = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else data.get("guild_id")
        try:
            return None if raw is None else int(raw)
        except (TypeError, ValueError):
            return None

    def _on_shard(self, session: _Session, event: str, data: JSON) -> bool:
        """Whether Discord would send this event on ``session``'s shard: guild events go to
        the guild's shard, events without a guild (DMs) to shard 0; unsharded sessions get all."""
        if session.shard is None:
            return True
        shard_id, count = session.shard
        guild_id = self._event_guild(event, data)
        return shard_id == 0 if guild_id is None else self.shard_of(guild_id, count) == shard_id

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a DISPATCH event to every identified session on the event's shard
        (buffered for RESUME if disconnected)."""
        for session in list(self._sessions.values()):
            if not self._on_shard(session, event, data):
                continue
            filtered = self._wants(session, event, data)
            if filtered is not None:
                await self._send_dispatch(session, event, copy.deepcopy(filtered))

    async def disconnect_gateway(self, code: int = 4000, reason: str = "simulated disconnect") -> None:
        """Close every gateway connection with ``code`` (4000 = resumable: discord.py RESUMEs)."""
        for conn in list(self._connections):
            await conn.close(code, reason)

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes and RESUMEs."""
        for conn in list(self._connections):
            await conn.send({"op": OP_RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate_sessions(self) -> None:
        """Send op 9 INVALID_SESSION (not resumable) and forget all sessions: the client re-IDENTIFYs."""
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            if session.conn is not None:
                await session.conn.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})

    # ------------------------------------------------------------------ injection: messages

    def _gateway_message(self, message: JSON) -> JSON:
        wire = self._wire_message(message)
        guild_id = _sf(message.get("guild_id"))
        author_id = int(message["author"]["id"])
        if guild_id is not None and author_id in self.guilds[guild_id].members:
            wire["member"] = self._member_payload(guild_id, author_id, with_user=False)
        for user in wire.get("mentions", []):
            if guild_id is not None and int(user["id"]) in self.guilds[guild_id].members:
                user["member"] = self._member_payload(guild_id, int(user["id"]), with_user=False)
        return wire

    async def user_message(
        self,
        channel_id: int | str,
        content: str,
        *,
        author_id: int | str,
        username: str | None = None,
        guild_id: int | str | None = None,
        roles: Iterable[int | str] = (),
        mentions_bot: bool = False,
        reference_message_id: int | str | None = None,
        embeds: list[JSON] | None = None,
        attachments: Iterable[tuple[str, str | None, bytes]] = (),
    ) -> JSON:
        """A user posts ``content``: dispatches MESSAGE_CREATE and returns its payload (ids as str).

        ``attachments``: files uploaded with it, ``(filename, content_type, bytes)``.

        ``guild_id`` defaults to the channel's guild (None for DMs, see :meth:`open_dm`);
        the author becomes a guild member with ``roles``.  ``mentions_bot`` prepends
        ``<@bot_id> `` unless the content already mentions the bot.
        """
        cid = int(channel_id)
        if cid not in self.channels:
            raise KeyError(f"unknown channel {cid}; use sim.add_channel() or sim.open_dm()")
        gid = _sf(guild_id) if guild_id is not None else self._guild_of_channel(cid)
        uid = int(author_id)
        author = self._make_user(uid, username)
        if gid is not None:
            self._ensure_member(gid, uid, [int(r) for r in roles])
        if mentions_bot and not re.search(rf"<@!?{self.bot_id}>", content):
            content = f"<@{self.bot_id}> {content}"
        body: JSON = {"content": content, "embeds": embeds or []}
        message_type = 0
        if reference_message_id is not None:
            ref_id = int(reference_message_id)
            target = self._message_index.get(ref_id)
            body["message_reference"] = {"type": 0, "message_id": str(ref_id),
                                         "channel_id": target["channel_id"] if target else str(cid)}
            if gid is not None:
                body["message_reference"]["guild_id"] = str(gid)
            message_type = 19
        message = self._new_message(cid, author, body, message_type=message_type)
        message["attachments"] = [self._attachment(cid, name, ctype, data) for name, ctype, data in attachments]
        if gid is not None and self._guild_of_channel(cid) is None:
            message["guild_id"] = str(gid)
        self._store_message(message)
        wire = self._gateway_message(message)
        await self.dispatch("MESSAGE_CREATE", wire)
        return wire

    async def user_forum_post(self, forum_id: int | str, title: str, content: str, *, author_id: int | str,
                              username: str | None = None) -> JSON:
        """A user opens a post in a forum channel: a public thread whose id is its first
        message's id (THREAD_CREATE, then that message's MESSAGE_CREATE); returns the message."""
        forum = self.channels[int(forum_id)]
        if forum["type"] != CH_GUILD_FORUM:
            raise ValueError(f"channel {forum_id} is not a forum")
        tid = self.new_id()
        await self._open_thread(forum, tid, CH_PUBLIC_THREAD, title, owner_id=int(author_id))
        author = self._make_user(int(author_id), username)
        self._ensure_member(int(forum["guild_id"]), int(author_id), [])
        message = self._new_message(tid, author, {"content": content, "embeds": []}, message_type=0)
        message["id"] = str(tid)  # a forum post's starter message shares the thread's id
        message["guild_id"] = forum["guild_id"]
        self._store_message(message)
        wire = self._gateway_message(message)
        await self.dispatch("MESSAGE_CREATE", wire)
        return wire

    def _attachment(self, channel_id: int, filename: str, content_type: str | None, data: bytes) -> JSON:
        """An uploaded file as Discord describes it, its bytes on the simulator's CDN."""
        aid = self.new_id()
        path = f"/attachments/{channel_id}/{aid}/{filename}"
        expires = int(time.time()) + 86400
        signature = f"ex={expires:x}&is={int(time.time()):x}&hm={hashlib.sha256(path.encode() + data).hexdigest()}&"
        self._cdn[path] = (signature, content_type or "application/octet-stream", data)
        attachment: JSON = {"id": str(aid), "filename": filename, "size": len(data),
                            "url": f"{self.base_url}{path}?{signature}", "proxy_url": f"{self.base_url}{path}?{signature}"}
        if content_type:
            attachment["content_type"] = content_type
        return attachment

    async def _cdn_get(self, request: web.Request) -> web.Response:
        path = request.path
        stored = self._cdn.get(path)
        query = request.query_string.rstrip("&") + "&" if request.query_string else ""
        if stored is None or query != stored[0]:
            self.attachment_downloads.append((path, 404))
            return web.Response(status=404, text="This content is no longer available.")
        self.attachment_downloads.append((path, 200))
        return web.Response(body=stored[2], content_type=stored[1])

    async def user_edit(self, message_id: int | str, content: str) -> JSON:
        """The author edits their message: its content and ``edited_timestamp`` change
        and MESSAGE_UPDATE is dispatched with the whole message, as Discord does."""
        message = self._message_index[int(message_id)]
        message["content"] = content
        message["edited_timestamp"] = _now_iso()
        wire = self._gateway_message(message)
        await self.dispatch("MESSAGE_UPDATE", wire)
        return wire

    # ------------------------------------------------------------------ injection: interactions

    def _find_command(self, name: str, ctype: int, guild_id: int | None) -> JSON:
        scopes: list[int | None] = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for command in self.registered_commands.get(scope, []):
                if command["name"] == name and command["type"] == ctype:
                    return command
        raise KeyError(f"command {name!r} (type {ctype}) is not registered for guild {guild_id} or globally; "
                       f"registered: {self.registered_commands}")

    def _interaction_payload(self, command: JSON, data: JSON, *, user_id: int, channel_id: int,
                             guild_id: int | None, locale: str, member_roles: Iterable[int | str],
                             permissions: int | str | None, enforce_permissions: bool) -> JSON:
        iid = self.new_id()
        token = f"aW50ZXJhY3Rpb24{uuid.uuid4().hex}{uuid.uuid4().hex}"
        channel = self.channels.get(channel_id)
        if channel is None:
            raise KeyError(f"unknown channel {channel_id}")
        user = self._make_user(user_id)
        data = {"id": command["id"], "name": command["name"], "type": command["type"], **data}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        payload: JSON = {
            "id": str(iid), "application_id": str(self.application_id), "type": 2, "data": data,
            "channel_id": str(channel_id), "channel": self._thread_payload(channel) if channel_id in self.threads
            else copy.deepcopy(channel), "token": token, "version": 1, "locale": locale,
            "entitlements": [], "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild_id is not None:
            self._ensure_member(guild_id, user_id, [int(r) for r in member_roles])
            perms = self.permissions_of(guild_id, user_id) if permissions is None else int(permissions)
            required = command.get("default_member_permissions")
            if (enforce_permissions and required is not None and not perms & Perm.ADMINISTRATOR
                    and int(required) & perms != int(required)):
                raise PermissionError(f"Discord would not offer {command['name']!r} to user {user_id}: "
                                      f"needs {required}, has {perms}")
            member = self._member_payload(guild_id, user_id)
            member["permissions"] = str(perms)
            payload.update(guild_id=str(guild_id), member=member, guild_locale="en-US", context=0,
                           guild={"id": str(guild_id), "locale": "en-US", "features": []},
                           app_permissions=str(self.permissions_of(guild_id, self.bot_id)),
                           authorizing_integration_owners={"0": str(guild_id)})
        else:
            payload.update(user=copy.deepcopy(user), context=1, app_permissions=str(Perm.EVERYONE_DEFAULT),
                           authorizing_integration_owners={"0": "0"})
        self._interactions[iid] = _Interaction(payload=payload, created=self.clock())
        self._interaction_tokens[token] = iid
        return payload

    def _options(self, command: JSON, options: Mapping[str, Any]) -> tuple[list[JSON], JSON]:
        schema = {o["name"]: o for o in command.get("options") or []}
        result: list[JSON] = []
        resolved: JSON = {}
        for name, value in options.items():
            otype = schema.get(name, {}).get("type")
            if otype is None:
                otype = next(t for py, t in _OPTION_TYPES_BY_PY if isinstance(value, py))
            if otype == 6:  # USER
                user = self._make_user(int(value))
                resolved.setdefault("users", {})[str(value)] = copy.deepcopy(user)
                value = str(value)
            result.append({"name": name, "type": otype, "value": value})
        return result, resolved

    async def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int | str,
        channel_id: int | str | None = None,
        guild_id: int | str | None = None,
        locale: str = "en-US",
        member_roles: Iterable[int | str] = (),
        permissions: int | str | None = None,
        enforce_permissions: bool = True,
    ) -> JSON:
        """A user invokes ``/name``: dispatches INTERACTION_CREATE (type 2) and returns its payload.

        The command must have been registered (bulk overwrite) for ``guild_id`` or globally.
        ``channel_id`` defaults to :attr:`channel_id`; ``guild_id`` to the channel's guild.
        ``permissions`` defaults to what the member's roles grant; when the command has
        ``default_member_permissions`` the user lacks, PermissionError (Discord would
        not offer it) unless ``enforce_permissions=False``.
        Answer recorded in ``interaction_responses[int(payload["id"])]``.
        """
        cid = int(channel_id) if channel_id is not None else self.channel_id
        gid = _sf(guild_id) if guild_id is not None else self._guild_of_channel(cid)
        command = self._find_command(name, CMD_CHAT_INPUT, gid)
        opts, resolved = self._options(command, options or {})
        data: JSON = {"options": opts}
        if resolved:
            data["resolved"] = resolved
        payload = self._interaction_payload(command, data, user_id=int(user_id), channel_id=cid, guild_id=gid,
                                            locale=locale, member_roles=member_roles, permissions=permissions,
                                            enforce_permissions=enforce_permissions)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def message_context_command(
        self,
        name: str,
        target_message: JSON,
        *,
        user_id: int | str,
        channel_id: int | str | None = None,
        guild_id: int | str | None = None,
        locale: str = "en-US",
        member_roles: Iterable[int | str] = (),
        permissions: int | str | None = None,
        enforce_permissions: bool = True,
    ) -> JSON:
        """A user picks message command ``name`` on ``target_message`` (a message payload, e.g. from
        :meth:`user_message`): INTERACTION_CREATE type 2 with data.type 3, target_id and
        resolved.messages.  Channel/guild default to the target message's."""
        cid = int(channel_id) if channel_id is not None else int(target_message["channel_id"])
        gid = _sf(guild_id) if guild_id is not None else self._guild_of_channel(cid)
        command = self._find_command(name, CMD_MESSAGE, gid)
        target = self._wire_message(target_message)
        target.pop("member", None)
        data: JSON = {"target_id": target["id"], "resolved": {"messages": {target["id"]: target}}}
        payload = self._interaction_payload(command, data, user_id=int(user_id), channel_id=cid, guild_id=gid,
                                            locale=locale, member_roles=member_roles, permissions=permissions,
                                            enforce_permissions=enforce_permissions)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload


class _BadBody(Exception):
    """The request body was not valid JSON."""
