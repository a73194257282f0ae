"""The running service: store, FAQ, core, adapters, outbox worker, timers and
the HTTP endpoints, with an idempotent initialise / shutdown lifecycle."""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from typing import Any

from aiohttp import web

from core.shield import phrases as shield
from core.config import Settings
from core.errors import ConfigError, PlatformStartError, StoreError
from core.faq_engine import FaqEngine
from core.faq.build import Progress
from core.faq.library import FaqLibrary, build_engine
from core.faq.files import load_operator_faq
from core.faq.models import FaqEntry
from core.identity.codes import CodeSender, ConsoleCodeSender, WebhookCodeSender
from core.ops.metrics import Metrics
from core.models import Delivery, TicketState
from core.support.outbox import OutboxWorker
from core.contract import Adapter, AdapterFactory, AdapterSpec, DeskHost, HasHealth, WebHost, discover_adapters
from core.use_cases import UseCases
from core.storage import Store
from core.wiring.data_store import open_data_store

__all__ = ["App", "build_faq", "load_entries"]

_LOGGER = logging.getLogger(__name__)
_MAX_RETRY_SECONDS = 300.0


def _combined(failed: list[tuple[Any, PlatformStartError]]) -> PlatformStartError:
    """One error for the run to end with: the platform's own when only one was to start."""
    if len(failed) == 1:
        return failed[0][1]
    first = failed[0][1]
    combined = PlatformStartError(first.setting, first.problem, first.fix, retry=False)
    combined.args = ("; ".join(f"{a.name}: {e}" for a, e in failed) + " (no platform could start)",)
    return combined


def _routes(adapter: Adapter) -> list[Any]:
    """The HTTP routes an adapter receives on (core.contract.WebHost), or none."""
    return list(adapter.web_routes()) if isinstance(adapter, WebHost) else []


def load_entries(settings: Settings) -> list[FaqEntry]:
    """The bundled FAQ, extended or replaced by the operator's file."""
    return load_operator_faq(settings.faq_file, settings.faq_mode)


def build_faq(settings: Settings) -> FaqEngine:
    return build_engine(settings, load_entries(settings))


def code_sender_for(settings: Settings) -> CodeSender:
    if settings.otp_webhook_url:
        if settings.otp_webhook_secret is None:
            raise ConfigError("WALLETDESK_OTP_WEBHOOK_SECRET: required when WALLETDESK_OTP_WEBHOOK_URL is set")
        return WebhookCodeSender(settings.otp_webhook_url, settings.otp_webhook_secret.get_secret_value().encode())
    return ConsoleCodeSender()


def chosen_factories(settings: Settings, wanted: list[str] | None
                     ) -> tuple[list[AdapterFactory], AdapterFactory | None]:
    """The adapters to start, in order, with their libraries checked (a configured
    platform whose extra was not installed is one line before any slow start-up
    work), and the console, the desk of last resort."""
    factories = discover_adapters()
    names = wanted
    if names is None:
        names = [n for n, f in factories.items() if n != "console" and f.configured(settings)] or ["console"]
    unknown = [n for n in names if n not in factories]
    if unknown:
        raise ConfigError(f"unknown adapter {unknown[0]!r}; available: {', '.join(sorted(factories))}")
    for spec in (factories[n] for n in names):
        if isinstance(spec, AdapterSpec):
            spec.ensure_installed()
    return [factories[n] for n in names], factories.get("console")  # the console: desk of last resort


class App:
    """Args:
    settings: validated settings.
    adapters: names to start; None = every configured one (console when none is).
    role: ``all`` (one process), ``web`` (HTTP only) or ``worker`` (outbox, timers, gateways).
    """

    def __init__(self, settings: Settings, *, adapters: list[str] | None = None, role: str = "all",
                 store: Store | None = None, faq: FaqEngine | None = None,
                 first_build: Progress | None = None) -> None:
        if role not in ("all", "web", "worker"):
            raise ConfigError(f"unknown role {role!r}; use all, web or worker")
        self.settings = settings
        self.role = role
        self.wanted = adapters
        self.metrics = Metrics()
        self.store = store
        self.faq = faq
        self.first_build = first_build
        self.core: UseCases | None = None
        self.library: FaqLibrary | None = None
        self.adapters: list[Adapter] = []
        self.worker: OutboxWorker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._initialized = False
        self.started_at = time.time()
        # adapters that could not start (name -> the one-line reason), retried with backoff
        self.start_errors: dict[str, str] = {}

    async def initialize(self) -> None:
        if self._initialized:
            return
        chosen, console = chosen_factories(self.settings, self.wanted)
        if self.store is None:
            try:
                self.store = await open_data_store(self.settings)
            except StoreError as exc:
                raise StoreError(f"WALLETDESK_DATABASE_URL: {exc}; start the database or point "
                                 "WALLETDESK_DATABASE_URL at one that answers") from None
        # The shield's table first: its build scratch is freed before the FAQ build's
        # peak, not stacked on the built index (peak RSS of a first `walletdesk run`: 344 -> 320 MB).
        await asyncio.to_thread(shield.warm_up)  # dictionary load off the first message's path
        self.library = FaqLibrary(self.settings, self.store, first_build=self.first_build)
        if self.faq is None:
            self.faq = await self.library.load()
        else:
            await self.library.adopt(self.faq)
        self.core = UseCases(self.settings, self.store, self.faq, code_sender=code_sender_for(self.settings),
                                metrics=self.metrics)
        self.core.answers.attach_library(self.library)
        self.adapters = [factory(self.core) for factory in chosen]
        if not any(a.is_desk for a in self.adapters) and console is not None:
            # no staff desk configured: desk lines go to the terminal rather than nowhere
            self.adapters.append(console(self.core))
        for adapter in self.adapters:
            if adapter.is_desk and isinstance(adapter, DeskHost):
                adapter.claim_desk()
        self.worker = OutboxWorker(
            self.store, {a.platform: a for a in self.adapters}, max_attempts=self.settings.outbox_max_attempts,
            on_result=self._on_delivery,
        )
        self.core.on_enqueue(self.worker.wake)
        self.core.dialogue.direct_delete.use(self.worker.deliver_now)
        self._initialized = True

    async def _on_delivery(self, delivery: Delivery, ok: bool, error: str | None, external: str | None) -> None:
        (self.metrics.messages_out if ok else self.metrics.delivery_failures).labels(delivery.platform).inc()
        assert self.core is not None
        await self.core.timers.delivery_finished(delivery, ok, error, external)

    async def start(self) -> None:
        await self.initialize()
        assert self.worker is not None and self.core is not None
        failed: list[tuple[Any, PlatformStartError]] = []
        started = False
        for adapter in self.adapters:
            # the web process only serves HTTP: gateways and polling belong to the worker
            if self.role == "web" and not _routes(adapter):
                continue
            try:
                self.core.adopt(adapter.platform, await adapter.start())
            except PlatformStartError as exc:
                failed.append((adapter, exc))
                await self._stop_quietly(adapter)
            else:
                # the console added as a fallback desk does not count as a platform that serves
                started = started or adapter.name != "console"
        if failed and not started:
            # nothing would serve: exit with one line per platform rather than run idle
            raise _combined(failed)
        for adapter, exc in failed:
            self.start_errors[adapter.name] = str(exc)
            if exc.retry:
                _LOGGER.error("%s did not start: %s (trying again in %.0fs)", adapter.name, exc,
                              self.settings.platform_retry_seconds)
                self._tasks.append(asyncio.create_task(self._retry_start(adapter), name=f"start-{adapter.name}"))
            else:
                _LOGGER.error("%s did not start: %s (restart once fixed)", adapter.name, exc)
        assert self.library is not None
        if self.settings.faq_reload_seconds > 0:
            self._tasks.append(asyncio.create_task(self.library.watch(self.settings.faq_reload_seconds), name="faq"))
        if self.role in ("all", "worker"):
            self._tasks.append(asyncio.create_task(self.worker.run(), name="outbox"))
            self._tasks.append(asyncio.create_task(self._timers(), name="timers"))
        console_only = all(a.name == "console" for a in self.adapters)
        if self.role == "web" or (self.role == "all" and not console_only):
            await self._start_web()

    async def _stop_quietly(self, adapter: Any) -> None:
        """Undo what a failed start set up; the next attempt starts from scratch."""
        try:
            await adapter.stop()
        except Exception as exc:  # a half-started library may refuse to stop: nothing to keep
            _LOGGER.debug("%s: stop after a failed start: %r", adapter.name, exc)

    async def _retry_start(self, adapter: Any) -> None:
        """Start ``adapter`` again with exponential backoff until it starts, or until
        it fails in a way waiting cannot fix."""
        delay = self.settings.platform_retry_seconds
        attempt = 1
        while True:
            await asyncio.sleep(delay)
            attempt += 1
            try:
                assert self.core is not None
                self.core.adopt(adapter.platform, await adapter.start())
            except PlatformStartError as exc:
                await self._stop_quietly(adapter)
                self.start_errors[adapter.name] = str(exc)
                if not exc.retry:
                    _LOGGER.error("%s did not start: %s (restart once fixed)", adapter.name, exc)
                    return
                delay = min(delay * 2, _MAX_RETRY_SECONDS)
                _LOGGER.warning("%s did not start (attempt %d): %s (trying again in %.0fs)",
                                adapter.name, attempt, exc, delay)
                continue
            self.start_errors.pop(adapter.name, None)
            _LOGGER.info("%s started on attempt %d", adapter.name, attempt)
            return

    async def _timers(self) -> None:
        assert self.core is not None and self.store is not None
        last_purge = 0.0
        while True:
            try:
                await self.core.timers.run()
                await self.core.digest.run()  # once a day, across workers
                if time.time() - last_purge >= 3600:
                    from core.ops.privacy import purge_closed_transcripts

                    await purge_closed_transcripts(self.store, self.settings.retention_days)
                    last_purge = time.time()
            except Exception:  # timers must outlive a bad tick
                _LOGGER.exception("timer tick failed")
            await asyncio.sleep(30)

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        for adapter in self.adapters:
            app.router.add_routes(_routes(adapter))
        return app

    async def _start_web(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port)
        try:
            await site.start()
        except OSError as exc:
            where = f"{self.settings.http_host}:{self.settings.http_port}"
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"PORT: {where} is already in use; stop the other process or set PORT "
                                  "to a free port") from None
            raise ConfigError(f"PORT, WALLETDESK_HTTP_HOST: cannot listen on {where} ({exc.strerror or exc}); "
                              "set them to an address of this machine and a port you may bind") from None
        _LOGGER.info("HTTP on %s:%d", self.settings.http_host, self.settings.http_port)

    async def health(self) -> dict[str, Any]:
        assert self.store is not None
        ok = await self.store.ping()
        stats: dict[str, float] = {}
        if ok:
            async with self.store.transaction() as tx:
                stats = await tx.outbox_stats(time.time())
        failing = dict(self.start_errors)
        adapters = {a.name: (not isinstance(a, HasHealth) or bool(a.connected)) and a.name not in failing
                    for a in self.adapters}
        report: dict[str, Any] = {"ok": ok and all(adapters.values()), "store": ok, "outbox": stats,
                                  "adapters": adapters}
        if failing:
            report["failing"] = failing  # name -> why it did not start (being retried unless it says restart)
        return report

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.health()
        return web.json_response(report, status=200 if report["ok"] else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        report = await self.health()
        stats = report.get("outbox") or {}
        self.metrics.outbox_pending.set(stats.get("pending", 0))
        self.metrics.outbox_dead.set(stats.get("dead", 0))
        self.metrics.outbox_age.set(stats.get("oldest_age_seconds", 0))
        if report["store"]:
            assert self.store is not None
            async with self.store.transaction() as tx:
                counts = await tx.ticket_counts()
            self.metrics.set_tickets(counts, tuple(s.value for s in TicketState))
        return web.Response(body=self.metrics.render(), content_type="text/plain", charset="utf-8")

    async def shutdown(self) -> None:
        if not self._initialized:
            return
        if self.worker is not None:
            self.worker.stop()
        outbox = [t for t in self._tasks if t.get_name() == "outbox"]
        if outbox:
            # let in-flight deliveries record their outcome, so nothing is sent twice after a restart
            await asyncio.wait(outbox, timeout=15)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                _LOGGER.exception("adapter %s failed to stop", adapter.name)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.core is not None:
            await self.core.aclose()
        if self.store is not None:
            await self.store.close()
        self._initialized = False

    async def __aenter__(self) -> "App":
        try:
            await self.initialize()
        except BaseException:
            await self.shutdown()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()
