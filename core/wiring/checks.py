"""What ``walletdesk doctor`` checks: the core's part (configuration, database, FAQ,
OTP webhook, the running service's ``/healthz``) and every configured adapter's part.

An adapter contributes ``doctor`` (``async (settings, chats)``) in its spec (see
:class:`core.contract.AdapterSpec` ``doctor``): an awaitable list of :class:`CheckResult`.
``chats`` are the chat ids of that platform the database has seen conversations in,
so an adapter can check its rights where it actually serves. The core never names a
platform.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import httpx

from core.errors import WalletdeskError

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["CheckResult", "DoctorHook", "run_checks"]

TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    """One line of the checklist; ``fix`` says what to do when ``ok`` is false."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


DoctorHook = Callable[["Settings", Sequence[str]], Awaitable[list[CheckResult]]]


def _config() -> tuple["Settings | None", CheckResult]:
    from core.config import load_settings

    try:
        settings = load_settings()
    except WalletdeskError as exc:
        return None, CheckResult("configuration", False, str(exc),
                                 "correct that variable in the environment or .env (see README's settings table)")
    return settings, CheckResult("configuration", True, "settings parse")


async def _database(settings: "Settings") -> tuple[CheckResult, dict[str, list[str]]]:
    """Opens the store the way every start does (which applies pending migrations, as
    ``walletdesk migrate`` does) and reads the chats seen per platform."""
    from core.storage.migrations import MIGRATIONS
    from core.wiring.cli_migrate import _migrate

    url = settings.resolved_database_url
    try:
        before, after = await asyncio.wait_for(_migrate(url), TIMEOUT)
        chats = await asyncio.wait_for(_known_chats(url), TIMEOUT)
    except (WalletdeskError, OSError, TimeoutError) as exc:
        return CheckResult("database", False, f"{type(exc).__name__}: {exc}" if not str(exc).startswith("cannot")
                           else str(exc),
                           "start the database or correct WALLETDESK_DATABASE_URL"), {}
    latest = len(MIGRATIONS)
    if after != latest:
        return CheckResult("database", False, f"schema version {after}, this version expects {latest}",
                           "run `walletdesk migrate` with this version of walletdesk"), chats
    detail = f"answers; schema version {after} (current)"
    if before != after:
        detail += f", migrated from {before}"
    return CheckResult("database", True, detail), chats


async def _known_chats(url: str) -> dict[str, list[str]]:
    from core.storage import store_for_url

    store = store_for_url(url)
    await store.open()
    try:
        async with store.transaction() as tx:
            keys = await tx.known_chat_keys()
    finally:
        await store.close()
    chats: dict[str, list[str]] = {}
    for key in keys:
        platform, _, rest = key.partition(":")
        chat = rest.split(":", 1)[0]
        if chat and chat not in chats.setdefault(platform, []):
            chats[platform].append(chat)
    return chats


async def _data_key(settings: "Settings") -> CheckResult:
    """The data keys parse and open the newest sealed value of every sealed column."""
    from core.wiring.data_store import open_data_store

    try:
        store = await asyncio.wait_for(open_data_store(settings), TIMEOUT)
    except (WalletdeskError, OSError, TimeoutError) as exc:
        return CheckResult("data key", False, str(exc),
                           "set WALLETDESK_DATA_KEY to the key(s) the database was written with (current first),"
                           " or restore data.keys in the data directory from the backup")
    await store.close()
    return CheckResult("data key", True, f"key {store.sealer.current_kid} ({store.sealer.source}) opens the stored text")


def _faq(settings: "Settings") -> CheckResult:
    from core.faq.library import build_engine
    from core.wiring.app import load_entries

    try:
        entries = load_entries(settings)
    except Exception as exc:  # a bad operator file: its error names the line
        return CheckResult("faq", False, str(exc), "correct WALLETDESK_FAQ_FILE (YAML or CSV, see README)")
    try:
        build_engine(settings, entries)
    except Exception as exc:
        return CheckResult("faq", False, f"the index did not build: {type(exc).__name__}: {exc}",
                           "check WALLETDESK_FAQ_EMBEDDER and that the data directory is writable")
    return CheckResult("faq", True, f"{len(entries)} entries load, index builds")


async def _otp_webhook(client: httpx.AsyncClient, url: str) -> CheckResult:
    """Any HTTP answer below 500 means the receiver is up (no code is sent)."""
    fix = "start the code receiver or correct WALLETDESK_OTP_WEBHOOK_URL"
    try:
        resp = await client.get(url)
    except httpx.HTTPError as exc:
        return CheckResult("otp webhook", False, f"{url}: {type(exc).__name__}", fix)
    if resp.status_code >= 500:
        return CheckResult("otp webhook", False, f"{url}: HTTP {resp.status_code}", fix)
    return CheckResult("otp webhook", True, f"{url} answers (HTTP {resp.status_code})")


async def _healthz(client: httpx.AsyncClient, public_url: str) -> CheckResult:
    url = public_url.rstrip("/") + "/healthz"
    try:
        resp = await client.get(url)
        body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else None
    except (httpx.HTTPError, ValueError) as exc:
        return CheckResult("healthz", False, f"{url}: {type(exc).__name__}",
                           "start the web process (`walletdesk run` / Procfile web) and check that "
                           "WALLETDESK_PUBLIC_URL reaches it")
    if not isinstance(body, dict) or "ok" not in body:
        return CheckResult("healthz", False, f"{url}: HTTP {resp.status_code}, not walletdesk's health report",
                           "point WALLETDESK_PUBLIC_URL at the walletdesk web process")
    if not body["ok"]:
        down = [name for name, up in (body.get("adapters") or {}).items() if not up]
        what = "store down" if not body.get("store") else f"not connected: {', '.join(down) or '?'}"
        return CheckResult("healthz", False, f"{url}: HTTP {resp.status_code}, {what}",
                           "read the service's log for the failing part")
    return CheckResult("healthz", True, f"{url} answers: ok")


async def _adapter_checks(settings: "Settings", chats: dict[str, list[str]]) -> list[CheckResult]:
    from core.contract import adapter_hooks, discover_adapters

    factories = discover_adapters()
    results: list[CheckResult] = []
    for name, hook in sorted(adapter_hooks("doctor").items()):
        factory = factories.get(name)
        if factory is None or not factory.configured(settings):
            continue
        try:
            produced = hook(settings, chats.get(name, []))  # type: ignore[operator]
            results += await produced if inspect.isawaitable(produced) else produced
        except Exception as exc:  # a broken check is a failed check, never a traceback
            results.append(CheckResult(f"{name}", False, f"the check itself failed: {type(exc).__name__}: {exc}",
                                       "report this as a bug"))
    return results


async def run_checks() -> list[CheckResult]:
    """The whole checklist, in order. Never raises."""
    settings, config = _config()
    results = [config]
    if settings is None:
        return results
    database, chats = await _database(settings)
    results += [database, *([await _data_key(settings)] if database.ok else []), await asyncio.to_thread(_faq, settings)]
    results += await _adapter_checks(settings, chats)
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        if settings.otp_webhook_url:
            results.append(await _otp_webhook(client, settings.otp_webhook_url))
        if settings.public_url:
            results.append(await _healthz(client, settings.public_url))
    return results
