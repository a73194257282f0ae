"""Discord adapter: discord.py gateway events in, core calls through, outbox
deliveries out.

Lifecycle: :meth:`DiscordAdapter.start` logs in over REST, runs the gateway
(``Client.connect(reconnect=True)``, which resumes after drops) as a background
task, waits for READY and syncs the application commands. Each message is
processed once: the core refuses a repeated ``discord:msg:<id>`` event key, so a
RESUME that replays events is harmless.

The gateway never redelivers a message the bot failed to keep. When the store
fails, the message is held in memory and tried again (waits doubling up to
10 s) for ``STORE_RETRY_SECONDS``; if the store comes back in that time it is
processed once, as usual. If it does not (or the adapter stops meanwhile) the
message is lost: the log says which one, and a user who addressed the bot (DM,
mention, reply) is told in the channel, in their language, to send it again.

Every message the bot sends goes out with ``allowed_mentions`` off (and mentions
escaped as a second line of defence), so user text can never ping @everyone,
@here, roles or users. The one exception is the "open a DM with me" notice,
which may ping exactly the one user it is for.

``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL`` point discord.py at another
server (a simulator in tests) through its class attributes ``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``; both are process-wide.

One malformed gateway event must not take the bot down: discord.py lets a
parser error escape its gateway loop, so the client's event parsers are wrapped
to log and drop such an event (see :func:`_guard_parsers`).

Sharding: by default a plain :class:`discord.Client` on one gateway connection,
which Discord allows up to 2,500 guilds. A larger bot must shard, so
``DISCORD_SHARDS`` (``auto``: the count ``GET /gateway/bot`` recommends, or a
number) switches to :class:`discord.AutoShardedClient`: all shards run in this one
process (the ``worker`` role) and share one connection state, so the parser guard
and the handlers cover every shard. The adapter counts as connected only while
every shard is up, and IDENTIFYs are spaced ``identify_interval`` (Discord's 5 s)
apart, so :meth:`DiscordAdapter.start` waits as long as the shards keep coming up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
import discord.gateway
import discord.http
import yarl

from adapters.discord.commands import CatalogTranslator, SupportCommands
from adapters.discord.entry import configured
from adapters.discord.setup import INTENTS
from adapters.discord.translate import api_base_url, delivery_error, inbound
from core.contract import Started
from core.errors import (ConfigError, DeliveryError, NotFound, PlatformStartError, RetryLater, StoreError,
                         WalletdeskError)
from core.i18n import t
from core.lang import detect_lang
from core.models import Delivery, DeliveryResult, InboundImage, InboundMessage
from core.support.ratelimit import ChatRateLimiter
from core.text import split_text

if TYPE_CHECKING:
    from core.config import Settings
    from core.support.outcome import Outcome
    from core.use_cases import UseCases

__all__ = ["DiscordAdapter", "point_discord_at"]

_LOGGER = logging.getLogger(__name__)

TEXT_LIMIT = 2000
READY_TIMEOUT = 30.0
IDENTIFY_INTERVAL = 5.0  # Discord: one IDENTIFY per 5 s (per max_concurrency bucket)
DELIVERY_TIMEOUT = 60.0
STORE_RETRY_SECONDS = 120.0  # how long a message waits in memory for the store to come back
_STORE_RETRY_WAITS = (0.2, 10.0)  # first and longest wait between two tries
MAX_RATELIMIT_WAIT = 30.0  # discord.py's minimum; a longer 429 becomes RetryLater for the outbox
_DM_CACHE_SIZE = 10_000
_NO_MENTIONS = discord.AllowedMentions.none()
_USER_MESSAGE_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def point_discord_at(settings: "Settings") -> None:
    """Aim discord.py's REST and gateway at the configured servers (when set)."""
    if settings.discord_api_base_url:
        discord.http.Route.BASE = api_base_url(settings.discord_api_base_url)
        _LOGGER.info("discord: REST API at %s", discord.http.Route.BASE)
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        _LOGGER.info("discord: gateway at %s", settings.discord_gateway_url)


def _guard_parsers(client: discord.Client) -> None:
    """Make each gateway event parser drop (and log) an event it cannot parse
    instead of raising out of discord.py's gateway loop, which would end it.

    ``ConnectionState.parsers`` is discord.py's event-name -> parser table (private,
    stable since 1.x); the gateway looks parsers up there for every dispatch.
    """
    parsers: dict[str, Callable[[Any], None]] = client._connection.parsers  # noqa: SLF001

    def guarded(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(data: Any) -> None:
            try:
                parse(data)
            except Exception as exc:
                _LOGGER.warning("discord: dropped a malformed %s event (%s)", event, type(exc).__name__)
        return run

    for event, parse in list(parsers.items()):
        parsers[event] = guarded(event, parse)


# Where people write: text channels, threads (forum posts are threads too), DMs, and
# the text chat every voice and stage channel has.
_READ_CHANNELS = (discord.TextChannel, discord.Thread, discord.DMChannel, discord.VoiceChannel, discord.StageChannel)

class _Client(discord.Client):
    """A discord.py client that hands its events to the adapter."""

    def __init__(self, adapter: "DiscordAdapter", **options: Any) -> None:
        super().__init__(**options)
        self._adapter = adapter

    async def on_ready(self) -> None:
        self._adapter.connected = True

    async def on_resumed(self) -> None:
        self._adapter.connected = True

    async def on_disconnect(self) -> None:
        self._adapter.connected = False

    async def on_message(self, message: discord.Message) -> None:
        await self._adapter.on_message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self._adapter.on_message_edit(payload)


class _ShardedClient(discord.AutoShardedClient):
    """:class:`_Client` over several gateway connections (``DISCORD_SHARDS``).

    Per-shard events keep :attr:`DiscordAdapter.connected` true only while every
    shard is READY or RESUMED; the process-wide ready/resumed/disconnect events
    fire per shard and would say otherwise, so they are not handled here.
    """

    def __init__(self, adapter: "DiscordAdapter", *, identify_interval: float, **options: Any) -> None:
        super().__init__(**options)
        self._adapter = adapter
        self._identify_interval = identify_interval
        self.shards_up: set[int] = set()

    @property
    def all_up(self) -> bool:
        if not self.shard_count:
            return False
        return set(self.shard_ids or range(self.shard_count)) <= self.shards_up

    def _shard_state(self, shard_id: int, up: bool) -> None:
        if up:
            self.shards_up.add(shard_id)
        else:
            self.shards_up.discard(shard_id)
        self._adapter.connected = self.all_up

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self._identify_interval)

    async def on_shard_ready(self, shard_id: int) -> None:
        self._shard_state(shard_id, True)

    async def on_shard_resumed(self, shard_id: int) -> None:
        self._shard_state(shard_id, True)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self._shard_state(shard_id, False)

    async def on_message(self, message: discord.Message) -> None:
        await self._adapter.on_message(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self._adapter.on_message_edit(payload)


def _shard_progress(client: discord.Client) -> tuple[int, int] | None:
    """Shards launched and shards up (None for an unsharded client)."""
    if isinstance(client, _ShardedClient):
        return len(client.shards), len(client.shards_up)
    return None


class DiscordAdapter:
    """The Discord platform adapter (entry point ``discord``).

    Args:
        core: the support core.
        guild_ready_timeout: seconds discord.py waits after the last GUILD_CREATE
            before READY (tests use a fraction of a second).
        ready_timeout: how long :meth:`start` waits for the gateway (sharded: for
            the next shard to come up).
        identify_interval: seconds between two shards' IDENTIFYs (Discord's limit).
        store_retry_seconds: how long a message is tried again while the store fails.
    """

    name = "discord"
    platform = "discord"
    is_desk = False

    def __init__(self, core: "UseCases", *, guild_ready_timeout: float = 2.0,
                 ready_timeout: float = READY_TIMEOUT, identify_interval: float = IDENTIFY_INTERVAL,
                 store_retry_seconds: float = STORE_RETRY_SECONDS) -> None:
        self.core = core
        settings = core.settings
        if not self.configured(settings):
            raise ConfigError("DISCORD_BOT_TOKEN: required for the Discord adapter")
        assert settings.discord_bot_token is not None
        self._token = settings.discord_bot_token.get_secret_value()
        self.guild_ready_timeout = guild_ready_timeout
        self.ready_timeout = ready_timeout
        self.identify_interval = identify_interval
        self.store_retry_seconds = store_retry_seconds
        self.limiter = ChatRateLimiter((50, 1.0), (5, 5.0), scale=settings.rate_limit_scale)
        self.client: discord.Client | None = None
        self.commands: SupportCommands | None = None
        self.tree: discord.app_commands.CommandTree[discord.Client] | None = None
        self.connected = False
        self.bot_id = 0
        self._gateway: asyncio.Task[None] | None = None
        self._dm_channels: OrderedDict[int, int] = OrderedDict()
        self._handling: set[asyncio.Task[Any]] = set()

    configured = staticmethod(configured)

    # lifecycle -------------------------------------------------------------------

    async def start(self) -> Started | None:
        """Log in, connect the gateway, wait for READY, register the commands."""
        if self.client is not None:
            _LOGGER.debug("discord: already started")
            return None
        point_discord_at(self.core.settings)
        intents = discord.Intents(**dict.fromkeys(INTENTS, True))  # the others stay off
        options: dict[str, Any] = dict(intents=intents, guild_ready_timeout=self.guild_ready_timeout,
                                       max_ratelimit_timeout=MAX_RATELIMIT_WAIT, allowed_mentions=_NO_MENTIONS)
        shards = self.core.settings.discord_shards
        client: discord.Client
        if shards:  # shard_count None: discord.py asks GET /gateway/bot
            client = _ShardedClient(self, identify_interval=self.identify_interval,
                                    shard_count=None if shards == "auto" else int(shards), **options)
        else:
            client = _Client(self, **options)
        _guard_parsers(client)  # sharded too: all shards share the one ConnectionState
        self.client = client
        self.commands = SupportCommands(self.core, client)
        self.tree = self.commands.build_tree()
        try:
            await client.login(self._token)
        except discord.LoginFailure:
            await self.stop()
            raise PlatformStartError("DISCORD_BOT_TOKEN", "Discord rejected the token",
                                     "copy it again from the Developer Portal (your application, Bot, Reset Token)",
                                     retry=False) from None
        except (OSError, asyncio.TimeoutError, discord.DiscordServerError) as exc:  # aiohttp's connect errors are OSErrors
            await self.stop()
            raise self._unreachable(f"{type(exc).__name__}: {exc}") from None
        except BaseException:
            await self.stop()
            raise
        assert client.user is not None
        self.bot_id = client.user.id
        await self.tree.set_translator(CatalogTranslator())

        self._gateway = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        self._gateway.add_done_callback(self._gateway_done)
        ready = asyncio.create_task(client.wait_until_ready())
        progress = _shard_progress(client)
        while True:  # sharded: keep waiting while shards keep coming up
            done, _ = await asyncio.wait({self._gateway, ready}, timeout=self.ready_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            now = _shard_progress(client)
            if done or now == progress:
                break
            progress = now
        if not ready.done():
            ready.cancel()
            gateway = self._gateway
            await self.stop()
            failure = gateway.exception() if gateway.done() and not gateway.cancelled() else None
            if isinstance(failure, discord.PrivilegedIntentsRequired):
                raise PlatformStartError("DISCORD_BOT_TOKEN", "the bot's Message Content Intent is off",
                                         "turn it on in the Developer Portal (your application, Bot, Privileged "
                                         "Gateway Intents)", retry=False) from None
            raise self._unreachable(f"the gateway was not ready within {self.ready_timeout:.0f}s"
                                    + (f" ({type(failure).__name__})" if failure else "")) from None
        try:
            synced = await self.tree.sync()
            _LOGGER.info("discord: %d application commands registered", len(synced))
        except Exception as exc:  # messages still work without the commands
            _LOGGER.error("discord: could not register the application commands: %s", type(exc).__name__)
        self.connected = client.all_up if isinstance(client, _ShardedClient) else True
        _LOGGER.info("discord: connected as bot %s%s", self.bot_id,
                     f" on {client.shard_count} shards" if isinstance(client, _ShardedClient) else "")
        return Started(link_template=f"https://discord.com/users/{self.bot_id}", fetch_image=self._fetch_image)

    def _gateway_done(self, task: asyncio.Task[None]) -> None:
        self.connected = False
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            _LOGGER.error("discord: the gateway stopped: %s", type(exc).__name__)

    def _unreachable(self, what: str) -> PlatformStartError:
        s = self.core.settings
        setting = "DISCORD_GATEWAY_URL" if s.discord_gateway_url and "gateway" in what else (
            "DISCORD_API_BASE_URL" if s.discord_api_base_url else "DISCORD_BOT_TOKEN")
        return PlatformStartError(setting, f"Discord is unreachable ({what})",
                                  "check this machine's network and proxy"
                                  + (f", or {setting}" if setting != "DISCORD_BOT_TOKEN"
                                     else ", or unset DISCORD_BOT_TOKEN to run without Discord"))

    async def stop(self) -> None:
        """Close the gateway and the HTTP session; safe to call twice."""
        self.connected = False
        client, self.client = self.client, None
        gateway, self._gateway = self._gateway, None
        if client is None:
            return
        try:
            await client.close()
        except Exception:
            _LOGGER.exception("discord: close failed")
        # let messages and commands being handled finish before the store goes away
        pending: set[asyncio.Future[Any]] = set(self._handling)
        if self.commands is not None:
            pending |= self.commands.in_flight
        if pending:
            await asyncio.wait(pending, timeout=5)
        if gateway is not None:
            await asyncio.wait({gateway}, timeout=5)
            if not gateway.done():
                gateway.cancel()
                await asyncio.gather(gateway, return_exceptions=True)
        _LOGGER.info("discord: stopped")

    # inbound ----------------------------------------------------------------------

    async def on_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A gateway MESSAGE_UPDATE: a person's edit passes the shield like a new
        message (a leaked edit is deleted like one); nothing answers it. Updates
        without an edit time (a link preview added) are not edits."""
        edited = payload.data.get("edited_timestamp")
        if not edited or "content" not in payload.data:
            return
        await self.on_message(payload.message, edit_key=f"discord:edit:{payload.message_id}:{edited}")

    async def on_message(self, message: discord.Message, *, edit_key: str | None = None) -> None:
        """A gateway MESSAGE_CREATE: a user's message in a guild text channel,
        thread or DM goes to the core. Never raises."""
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            author = message.author
            if author.bot or message.webhook_id is not None or author.id == self.bot_id:
                return  # includes the bot's own messages, which Discord echoes back
            if message.type not in _USER_MESSAGE_TYPES:
                return
            channel = message.channel
            if not isinstance(channel, _READ_CHANNELS):
                return
            if isinstance(channel, discord.DMChannel):
                self._remember_dm(author.id, channel.id)
                moderator = False
            else:
                moderator = isinstance(author, discord.Member) and channel.permissions_for(author).manage_messages
            msg = inbound(message, bot_id=self.bot_id, is_moderator=moderator)
            if edit_key is not None:  # an edit can remove attachments, never add one: they were checked
                msg = dataclasses.replace(msg, event_key=edit_key, addressed=False, images=())
            outcome = await self._handle_kept(msg)
            if outcome is None:
                await self._tell_not_saved(message, msg)
                return
            _LOGGER.debug("discord: message %s: %s", message.id, outcome.status)
        except WalletdeskError as exc:
            _LOGGER.warning("discord: message %s rejected: %s", getattr(message, "id", "?"), type(exc).__name__)
        except Exception:  # bad input must never kill the gateway
            _LOGGER.exception("discord: message %s: handler failed", getattr(message, "id", "?"))
        finally:
            if task is not None:
                self._handling.discard(task)

    async def _handle_kept(self, msg: InboundMessage) -> "Outcome | None":
        """The core's outcome, trying again while the store fails (Discord will not
        send the message again); None when the store stayed down too long."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.store_retry_seconds
        wait = _STORE_RETRY_WAITS[0]
        while True:
            try:
                return await self.core.dialogue.handle_message(msg)
            except StoreError as exc:
                if isinstance(exc, NotFound):
                    raise
                why = ("the adapter stopped" if self.client is None else
                       f"the store still failed after {self.store_retry_seconds:.0f}s"
                       if loop.time() + wait > deadline else "")
                if why:
                    _LOGGER.error("discord: message %s lost: %s (%s)", msg.message_id, why, exc)
                    return None
                _LOGGER.warning("discord: message %s not kept, the store failed (%s); trying again in %.1fs",
                                msg.message_id, exc, wait)
            await asyncio.sleep(wait)
            wait = min(_STORE_RETRY_WAITS[1], wait * 2)

    async def _tell_not_saved(self, message: discord.Message, msg: InboundMessage) -> None:
        """Ask a user who spoke to the bot to send the lost message again, straight
        through the API (the outbox lives in the store that failed)."""
        if not msg.addressed or self.client is None:
            return  # chatter the bot would not have answered: the log is enough
        lang = detect_lang(msg.text) if msg.text.strip() else "en"
        try:
            await self._send(message.channel.id, {"text": t("error.not_saved", lang), "reply_to": message.id})
        except Exception as exc:
            _LOGGER.warning("discord: could not tell the user about message %s: %s", message.id, type(exc).__name__)

    async def _fetch_image(self, image: InboundImage, limit: int) -> bytes:
        """An attachment's bytes from its CDN URL (no token: Discord's attachment
        URLs are signed), through discord.py's own HTTP session and proxy."""
        client = self.client
        if client is None:
            raise RetryLater("discord: adapter not running")
        return await client.http.get_from_cdn(image.ref)

    # deliveries ---------------------------------------------------------------------

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        """One outbox row: ``send``, ``dm``, ``send_file``, ``dm_file`` or ``delete``.

        Raises:
            RetryLater: 429, 5xx, timeouts, network trouble, adapter not running.
            DeliveryError: Discord refused (forbidden, unknown channel, bad request).
        """
        client = self.client
        if client is None or client.is_closed():
            raise RetryLater("discord: adapter not running", retry_after=5.0)
        try:
            async with asyncio.timeout(DELIVERY_TIMEOUT):
                nonce = f"wd{delivery.id}"
                if delivery.action == "send":
                    return await self._send(int(delivery.thread_id or delivery.chat_id), delivery.payload, nonce=nonce)
                if delivery.action == "dm":
                    return await self._dm(delivery.payload, nonce=nonce)
                if delivery.action in ("send_file", "dm_file"):
                    return await self._send_file(delivery, nonce=nonce)
                if delivery.action == "delete":
                    return await self._delete(int(delivery.chat_id), int(str(delivery.payload["message_id"])))
        except DeliveryError:
            raise
        except (KeyError, ValueError) as exc:
            raise DeliveryError(f"discord: malformed {delivery.action} delivery ({type(exc).__name__})") from None
        except Exception as exc:
            mapped = delivery_error(exc)
            if mapped is None:
                raise
            raise mapped from None
        raise DeliveryError(f"discord cannot {delivery.action!r}")

    async def _send(self, channel_id: int, payload: dict[str, object], *, nonce: str | None = None,
                    allowed: discord.AllowedMentions = _NO_MENTIONS, escape: bool = True) -> DeliveryResult:
        """``nonce``: the outbox row's; with it discord.py sets ``enforce_nonce``, so a
        row sent again after a crash (its mark lost) returns the first message
        instead of posting a duplicate."""
        assert self.client is not None
        text = str(payload.get("text") or "")
        if escape:
            text = discord.utils.escape_mentions(text)
        if not text.strip():
            raise DeliveryError("discord: empty message")
        reply_to = payload.get("reply_to")
        channel = self.client.get_partial_messageable(channel_id)
        last: discord.Message | None = None
        for n, chunk in enumerate(split_text(text, TEXT_LIMIT)):
            reference = None
            if reply_to and n == 0:
                reference = discord.MessageReference(message_id=int(str(reply_to)), channel_id=channel_id,
                                                     fail_if_not_exists=False)
            await self.limiter.acquire(str(channel_id))
            last = await channel.send(chunk, allowed_mentions=allowed, reference=reference,  # type: ignore[arg-type]
                                      nonce=f"{nonce}.{n}" if nonce else None)
        return DeliveryResult(external_id=str(last.id) if last else None)

    async def _dm(self, payload: dict[str, object], *, nonce: str | None = None) -> DeliveryResult:
        user_id = int(str(payload["user_id"]))
        try:
            return await self._send(await self._dm_channel(user_id), payload, nonce=nonce)
        except discord.Forbidden as exc:
            fallback = payload.get("fallback_chat_id")
            if not fallback:
                raise
            await self._send_fallback(int(str(fallback)), user_id)
            # the notice went out, the message itself did not: say so, so staff see it
            raise DeliveryError(f"discord: the user does not accept direct messages (code {exc.code}); "
                                "asked them in the channel to open one") from None

    async def _send_file(self, delivery: Delivery, *, nonce: str) -> DeliveryResult:
        """A file from staff as a message attachment (a multipart upload: ``payload_json``
        and ``files[0]``), to the ticket's private chat or the user's DM."""
        assert self.client is not None
        blob = delivery.file
        if blob is None:
            raise DeliveryError("discord: a file delivery without its file")
        if delivery.action == "dm_file":
            channel_id = await self._dm_channel(int(str(delivery.payload["user_id"])))
        else:
            channel_id = int(delivery.thread_id or delivery.chat_id)
        text = discord.utils.escape_mentions(str(delivery.payload.get("text") or ""))[:TEXT_LIMIT]
        await self.limiter.acquire(str(channel_id))
        sent = await self.client.get_partial_messageable(channel_id).send(
            text or None, file=discord.File(io.BytesIO(blob.data), filename=blob.name),
            allowed_mentions=_NO_MENTIONS, nonce=nonce)
        return DeliveryResult(external_id=str(sent.id))

    async def _send_fallback(self, channel_id: int, user_id: int) -> None:
        """Ask the user, in the public channel, to open a DM with the bot; it pings
        that one user and nobody else. The payload has no language: both are sent."""
        mention = f"<@{user_id}>"
        link = f"https://discord.com/users/{self.bot_id}"
        text = "\n".join(t("dm.fallback", lang, name=mention, link=link) for lang in ("en", "zh"))
        allowed = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                          users=[discord.Object(user_id)])
        await self._send(channel_id, {"text": text}, allowed=allowed, escape=False)

    async def _dm_channel(self, user_id: int) -> int:
        channel_id = self._dm_channels.get(user_id)
        if channel_id is None:
            assert self.client is not None
            channel = await self.client.create_dm(discord.Object(user_id))
            channel_id = channel.id
            self._remember_dm(user_id, channel_id)
        else:
            self._dm_channels.move_to_end(user_id)
        return channel_id

    def _remember_dm(self, user_id: int, channel_id: int) -> None:
        self._dm_channels[user_id] = channel_id
        self._dm_channels.move_to_end(user_id)
        while len(self._dm_channels) > _DM_CACHE_SIZE:
            self._dm_channels.popitem(last=False)

    async def _delete(self, channel_id: int, message_id: int) -> DeliveryResult:
        assert self.client is not None
        await self.limiter.acquire(str(channel_id))
        try:
            await self.client.http.delete_message(channel_id, message_id)
        except discord.NotFound:
            _LOGGER.debug("discord: message %s was already gone", message_id)
        return DeliveryResult()
