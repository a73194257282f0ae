"""Slack adapter: lifecycle, routing of bolt listeners, HTTP endpoints.

Slack reaches the app through the Events API over HTTP (``POST /slack/events``;
``/slack/interactive`` and ``/slack/commands`` are the same endpoint), with the
request signature checked by slack-bolt, or through Socket Mode when
``SLACK_APP_TOKEN`` is set. The staff desk lives in ``SLACK_STAFF_CHANNEL`` (a
channel id); every other channel and DM is a user-facing community chat.

Message events are processed before Slack gets its 200: once the answer
leaves, the core has committed the message (and refuses its key a second time),
so a crash, or a store outage (the answer is then a 500; Socket Mode sends no
ack), means a Slack retry, never a lost or doubled message. Slack retries three
times (at once, after a minute, after five): an outage longer than that loses
the event. Buttons and
slash commands are acknowledged at once and handled in tracked tasks, which
:meth:`SlackAdapter.drain` waits for.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.entry import configured
from adapters.slack.setup import (COMMANDS_PATH, EVENTS_PATH, FAQ_COMMAND, INTERACTIVE_PATH, STAFF_CHANGE_EVENTS,
                                  STAFF_COMMANDS)
from adapters.slack.desk_check import desk_channel_problem
from adapters.slack.errors import api_error_code
from adapters.slack.files import SlackFiles
from adapters.slack.home import HOME_EVENT, SlackHome
from adapters.slack.inbound import SlackInbound
from adapters.slack.sender import SlackSender
from adapters.slack.staff import refresh_staff_facts
from core.contract import Started
from core.errors import ConfigError, NotFound, PlatformStartError, StoreError
from core.models import Delivery, DeliveryResult
from core.support.ratelimit import ChatRateLimiter

if TYPE_CHECKING:
    from core.use_cases import UseCases

__all__ = ["SlackAdapter", "EVENTS_PATH", "INTERACTIVE_PATH", "COMMANDS_PATH"]

_LOGGER = logging.getLogger(__name__)
_BOLT_LOGGER = logging.getLogger(f"{__name__}.bolt")

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller
_BAD_TOKEN = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
_AUTH_RETRY_SECONDS = 15.0


class _NoBodies(logging.Filter):
    """Some bolt log lines quote the request payload (a forged request, an
    unhandled one); message text must never reach the logs, so the payload is cut."""

    _MARKERS = ("Invalid request signature", "Unhandled request", "without providing a response")

    def filter(self, record: logging.LogRecord) -> bool:
        msg = str(record.msg)
        if any(marker in msg for marker in self._MARKERS):
            record.msg = msg.split("(", 1)[0].rstrip() + " (payload not logged)"
            record.args = ()
        return True


_NO_BODIES = _NoBodies()
for _name in (_BOLT_LOGGER.name, "slack_bolt.RequestVerification", "slack_bolt.AsyncRequestVerification"):
    logging.getLogger(_name).addFilter(_NO_BODIES)


def _api_base(url: str | None) -> str:
    if not url:
        return AsyncWebClient.BASE_URL
    return url.rstrip("/") + "/"


class SlackAdapter:
    """The Slack staff desk and Slack as a user-facing platform."""

    name = "slack"
    platform = "slack"
    is_desk = True

    def __init__(self, core: "UseCases") -> None:
        self.core = core
        settings = core.settings
        if settings.slack_bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN: required for the Slack adapter")
        self.client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(),
                                     base_url=_api_base(settings.slack_api_base_url))
        self.staff_channel = settings.slack_staff_channel or None
        self._signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        self._app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        self.app = AsyncApp(client=self.client, signing_secret=self._signing_secret, process_before_response=True,
                            logger=_BOLT_LOGGER)
        self.limiter = ChatRateLimiter((20, 1.0), (1, 1.0), scale=settings.rate_limit_scale)
        admin = settings.slack_admin_user_token
        self.sender = SlackSender(self.client, self.limiter, admin_client=AsyncWebClient(
            token=admin.get_secret_value(), base_url=_api_base(settings.slack_api_base_url)) if admin else None)
        self.inbound = SlackInbound(core, self.client, staff_channel=self.staff_channel)
        self.home = SlackHome(core, self.client, self.inbound._lang, self.staff_channel)
        self.files = SlackFiles(settings.slack_bot_token.get_secret_value(), settings.slack_api_base_url)
        self.connected = False
        self.bot_user_id = ""
        self._tasks: set[asyncio.Task[None]] = set()
        self._socket: Any = None
        self._auth_task: asyncio.Task[None] | None = None
        self._register(self.app)

    configured = staticmethod(configured)

    def claim_desk(self) -> None:
        if self.staff_channel:
            self.core.desk.host("slack", self.staff_channel)

    # lifecycle ------------------------------------------------------------------------

    async def start(self) -> Started:
        """Log in (auth.test; retried in the background while Slack is unreachable, the
        deep link then handed to the core with ``adopt``) and connect Socket Mode if set."""
        if not self._signing_secret and not self._app_token:
            raise PlatformStartError(
                "SLACK_SIGNING_SECRET", "required with SLACK_BOT_TOKEN (Slack's HTTP mode verifies every request "
                "with it)", "copy the Signing Secret from your Slack app's Basic Information page, or set "
                "SLACK_APP_TOKEN for Socket Mode", retry=False)
        if not await self._authenticate():
            self._auth_task = asyncio.create_task(self._authenticate_later(), name="slack-auth")
        if self._app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self._app_token, logger=_BOLT_LOGGER,
                                                  web_client=self.client)
            await self._socket.connect_async()
            _LOGGER.info("slack: socket mode connected")
        return Started(fetch_image=self.files.fetch)

    async def _authenticate(self) -> bool:
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            code = api_error_code(exc)
            if code in _BAD_TOKEN:
                raise PlatformStartError("SLACK_BOT_TOKEN", f"Slack refused it ({code})",
                                         "copy the Bot User OAuth Token (xoxb-) from your Slack app's OAuth & "
                                         "Permissions page", retry=False) from None
            _LOGGER.warning("slack: auth.test failed (%s); retrying in the background", code)
            return False
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            if not self.connected and self._auth_task is None:  # at start-up: the service retries the start
                raise PlatformStartError.unreachable("Slack", "SLACK", self.core.settings.slack_api_base_url,
                                                     "slack.com", type(exc).__name__) from None
            _LOGGER.warning("slack: Slack unreachable (%s); retrying in the background", type(exc).__name__)
            return False
        self.bot_user_id = str(auth.get("user_id") or "")
        url = str(auth.get("url") or "")
        self.home.workspace_url = url
        if url and self.bot_user_id:
            # where a user can open a private conversation with the bot
            self.core.adopt("slack", Started(link_template=f"{url.rstrip('/')}/team/{self.bot_user_id}"))
        await refresh_staff_facts(self.client, self.core.policy, self.staff_channel)
        await desk_channel_problem(self.client, self.staff_channel)
        self.connected = True
        _LOGGER.info("slack: connected as %s", self.bot_user_id)
        return True

    async def _refresh_staff(self) -> None:
        try:
            await refresh_staff_facts(self.client, self.core.policy, self.staff_channel)
        except ConfigError as exc:  # e.g. the channel was made public: nobody is staff now
            _LOGGER.error("%s", exc)

    async def _authenticate_later(self) -> None:
        while not self.connected:
            await asyncio.sleep(_AUTH_RETRY_SECONDS)
            try:
                await self._authenticate()
            except ConfigError as exc:
                _LOGGER.error("%s", exc)
                return

    async def stop(self) -> None:
        self.connected = False
        if self._auth_task is not None:
            self._auth_task.cancel()
            await asyncio.gather(self._auth_task, return_exceptions=True)
            self._auth_task = None
        if self._socket is not None:
            try:
                await self._socket.close_async()
            finally:
                self._socket = None
        await self.drain(timeout=10.0)
        await self.files.aclose()

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the interaction handlers in flight (tests; graceful shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                _LOGGER.warning("slack: %d handlers still running at shutdown", len(self._tasks))
                return
            await asyncio.wait(list(self._tasks), timeout=left)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except Exception as exc:  # a handler bug must not take the adapter down
            _LOGGER.error("slack: interaction handler failed: %s", type(exc).__name__, exc_info=exc)

    # bolt listeners ---------------------------------------------------------------------

    def _bot_user(self, context: Any) -> str:
        return str(getattr(context, "bot_user_id", None) or self.bot_user_id or "")

    def _register(self, app: AsyncApp) -> None:
        inbound = self.inbound

        @app.event("message")
        async def on_message(event: dict[str, Any], context: Any) -> None:
            await inbound.message(event, bot_user_id=self._bot_user(context))

        @app.event("app_mention")
        async def on_mention(event: dict[str, Any], context: Any) -> None:
            await inbound.message(event, bot_user_id=self._bot_user(context), mention_event=True)

        @app.action(re.compile(r"^wd_"))
        async def on_action(ack: Any, body: dict[str, Any], respond: Any) -> None:
            await ack()
            self._spawn(inbound.action(body, respond))

        async def on_command(ack: Any, command: dict[str, Any], respond: Any) -> None:
            await ack()
            self._spawn(inbound.command(command, respond))

        for name in STAFF_COMMANDS:  # the manifest lists the same commands (adapters/slack/setup.py)
            app.command(name)(on_command)

        @app.command(FAQ_COMMAND)
        async def on_faq(ack: Any, command: dict[str, Any], respond: Any) -> None:
            await ack()
            self._spawn(inbound.faq_command(command, respond))

        async def on_staff_change(event: dict[str, Any]) -> None:
            channel = event.get("channel")
            if channel is None or channel == self.staff_channel:
                await self._refresh_staff()

        for event_type in STAFF_CHANGE_EVENTS:
            app.event(event_type)(on_staff_change)

        @app.event(HOME_EVENT)
        async def on_home_opened(event: dict[str, Any]) -> None:
            self._spawn(self.home.opened(event))  # views.publish after the ack

        @app.event(re.compile(r".*"))
        async def on_other_event() -> None:
            return None  # reactions, edits, joins...: nothing to do

        @app.error
        async def on_error(error: Exception) -> None:
            if isinstance(error, StoreError) and not isinstance(error, NotFound):  # bolt answers 500: Slack retries
                _LOGGER.warning("slack: event not kept, the store failed (%s); Slack sends it again", error)
                return
            _LOGGER.error("slack: listener failed: %s", type(error).__name__, exc_info=error)

    # HTTP (web process) ---------------------------------------------------------------------

    def web_routes(self) -> list[web.RouteDef]:
        if not self._signing_secret:
            return []  # Socket Mode only: no unsigned endpoint
        return [web.post(path, self._http) for path in (EVENTS_PATH, INTERACTIVE_PATH, COMMANDS_PATH)]

    async def _http(self, request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="payload too large")
        try:
            raw = await request.read()
            if len(raw) > MAX_BODY:
                return web.Response(status=413, text="payload too large")
            bolt_request = await to_bolt_request(request)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="payload too large")
        except (ValueError, UnicodeDecodeError, TypeError, KeyError):  # JSONDecodeError is a ValueError
            return web.Response(status=400, text="malformed payload")
        try:
            bolt_response = await self.app.async_dispatch(bolt_request)
        except Exception as exc:  # bolt trips over some malformed payloads (IndexError, KeyError...)
            _LOGGER.warning("slack: malformed request: %s", type(exc).__name__)
            return web.Response(status=400, text="malformed payload")
        return await to_aiohttp_response(bolt_response)

    # deliveries -------------------------------------------------------------------------------

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        return await self.sender.deliver(delivery, desk_ref=desk_ref)
