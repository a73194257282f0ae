"""Shared fixtures: settings in a temp dir, stores on both backends, a core with a
movable clock, and one FAQ engine per session (building it is the slow part)."""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import configuration as hypothesis_configuration
from hypothesis import settings as hypothesis_settings

from core.config import Settings, load_settings
from core.faq_engine import FaqEngine
from core.faq.files import load_faq
from core.use_cases import UseCases
from core.storage import Store
from core.storage.memory import MemoryStore
from core.storage.postgres import PostgresStore
from core.storage.sqlite import AiosqliteStore, SQLiteStore
from tests import pg_throwaway

# Property tests explore a fixed sequence of examples: the shield's documented policy
# edges (about 1 random phrase in 3,000 reads as chat) must not turn CI red at random.
# No example database either: a run writes nothing into the tree (no .hypothesis/).
hypothesis_settings.register_profile("walletdesk", derandomize=True, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "walletdesk"))
# Its other caches (unicode tables, constants found in the code) go outside the tree as well.
_HYPOTHESIS_HOME = Path(tempfile.gettempdir()) / "walletdesk-test-hypothesis"
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(_HYPOTHESIS_HOME))
hypothesis_configuration.set_hypothesis_home_dir(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])

# Read again by test modules at collection, after pytest_sessionstart may have pointed it
# at a throwaway server (tests/pg_throwaway.py); subprocesses get it through the environment.
PG_DSN = os.environ.get("WALLETDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
PG_NOTE = ""  # what the session did about PostgreSQL: the run's first line
PG_MISSING = ""  # why no throwaway server was started when one was needed, for the failures
_THROWAWAY: pg_throwaway.Throwaway | None = None

# Every variable Settings reads. Tests say what they configure; a developer's shell, CI or
# a `.env` must not change what they see (WALLETDESK_FAQ_EMBEDDER=none would even change
# the shared FAQ engine). WALLETDESK_TEST_* and WALLETDESK_REQUIRE_* are the suite's own.
_SETTINGS_VARIABLES = frozenset((field.alias or name).upper() for name, field in Settings.model_fields.items())


def _index_fingerprint() -> str:
    """What a built FAQ index depends on: the core's code and the libraries it pickles.
    The cache outside the tree outlives a session; a changed featurizer or a new
    scikit-learn must get a fresh index even when nobody bumped the index version."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256()
    core_dir = Path(__file__).resolve().parents[1] / "core"
    for path in sorted(core_dir.rglob("*.py")):
        digest.update(path.relative_to(core_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for package in ("numpy", "scipy", "scikit-learn", "wordllama", "tokenizers", "jieba", "opencc-purepy"):
        try:
            digest.update(f"{package}={version(package)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=-\0".encode())
    return digest.hexdigest()[:16]


# The one FAQ index cache of the session: the shared engine is built into it at session start,
# every test's data dir and every child ``walletdesk`` process points its cache there
# (``share_faq_cache``), so no test trains the bundled FAQ again. Outside the tree.
FAQ_CACHE = Path(tempfile.gettempdir()) / f"walletdesk-test-faq-index-{_index_fingerprint()}"


def share_faq_cache(data_dir: Path) -> Path:
    """Make ``data_dir``'s FAQ index cache the session's. The app keeps its index in
    ``<data dir>/cache`` (core.faq.library.build_engine), keyed by the entries' hash, so a
    link is all it takes: an engine for the bundled FAQ loads in milliseconds instead of
    training for half a minute on a busy machine; one for other entries is built and kept."""
    link = data_dir / "cache"
    if not link.exists() and not link.is_symlink():
        data_dir.mkdir(parents=True, exist_ok=True)
        FAQ_CACHE.mkdir(parents=True, exist_ok=True)
        link.symlink_to(FAQ_CACHE, target_is_directory=True)
    return data_dir


def _prune_old_faq_caches(keep_seconds: float = 24 * 3600) -> None:
    """Caches of other code versions, untouched for a day, go (12 MB an index)."""
    for path in FAQ_CACHE.parent.glob("walletdesk-test-faq-index-*"):
        try:
            if path != FAQ_CACHE and path.is_dir() and time.time() - path.stat().st_mtime > keep_seconds:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def pytest_configure(config: pytest.Config) -> None:
    for name in list(os.environ):
        if name.upper() in _SETTINGS_VARIABLES:
            del os.environ[name]
    _prune_old_faq_caches()


@pytest.fixture(autouse=True)
def _cwd_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs in its own temp dir: settings loaded the app's way read ``.env``
    from the working directory, and whatever a test writes relative lands here, never in
    the repository."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _cli_subprocess_shares_faq_cache(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """tests/test_cli.py runs ``walletdesk`` with WALLETDESK_DATA_DIR=<tmp_path>/data; link
    that cache too, or each of its subprocesses trains the bundled FAQ again (up to 95 s
    under load against a 120 s timeout). Its ``run()`` could call share_faq_cache itself."""
    if request.node.path.name == "test_cli.py":
        share_faq_cache(tmp_path / "data")


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:  # a Wednesday, 14:13 UTC
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class OpsCli:
    """The real ``walletdesk`` app in-process, over a fresh SQLite data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def seed(self, fill: Callable[[Store], Awaitable[object]]) -> None:
        """Write to the data dir's database as a previous run would have."""
        from core.storage import open_store

        async def run() -> None:
            store = await open_store(f"sqlite:///{self.data_dir / 'walletdesk.db'}")
            try:
                await fill(store)
            finally:
                await store.close()

        asyncio.run(run())

    def invoke(self, args: Sequence[str], **kw: Any) -> Any:
        from typer.testing import CliRunner

        from core.wiring.cli import app

        return CliRunner().invoke(app, list(args), **kw)


@pytest.fixture
def ops_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OpsCli:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WALLETDESK_DATA_DIR", str(share_faq_cache(tmp_path)))
    monkeypatch.delenv("WALLETDESK_DATABASE_URL", raising=False)
    return OpsCli(tmp_path)


class RecordingCodeSender:
    """Keeps codes in memory so a test can play the user who received them."""

    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    async def send_code(self, **kw: object) -> None:
        self.sent.append(kw)

    @property
    def last_code(self) -> str:
        return str(self.sent[-1]["code"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_settings(tmp_path: Path, **env: str) -> Settings:
    base = {"WALLETDESK_DATA_DIR": str(tmp_path), "WALLETDESK_SECRET_KEY": "test-secret",
            "WALLETDESK_SUPPORT_HOURS": "mon-sun 00:00-23:59"}
    base.update(env)
    share_faq_cache(Path(base["WALLETDESK_DATA_DIR"]))
    return load_settings(base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


async def _pg_store() -> PostgresStore:
    store = PostgresStore(PG_DSN, schema=f"t_{uuid.uuid4().hex[:12]}")
    try:
        await store.open()
    except Exception as exc:  # say so loudly: the PostgreSQL suite must not pass quietly
        pytest.fail(f"PostgreSQL is not answering at {PG_DSN}: {exc}{PG_MISSING}", pytrace=False)
    return store


StoreFactory = Callable[[], Awaitable[Store]]


@pytest.fixture(params=["sqlite", "postgres"])
async def open_stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """A factory: each call opens one more store on the same database, as another process would."""
    opened: list[Store] = []
    schema = f"mw_{uuid.uuid4().hex[:12]}"

    async def make() -> Store:
        store: Store = (SQLiteStore(tmp_path / "shared.db") if request.param == "sqlite"
                        else PostgresStore(PG_DSN, schema=schema, min_size=1, max_size=4))
        try:
            await store.open()
        except Exception as exc:  # loudly: the PostgreSQL tests must not pass quietly
            pytest.fail(f"PostgreSQL is not answering at {PG_DSN}: {exc}{PG_MISSING}", pytrace=False)
        opened.append(store)
        return store

    yield make
    if opened and isinstance(opened[0], PostgresStore):
        await opened[0].drop_schema()
    for store in opened:
        await store.close()


@pytest.fixture(params=["sqlite", "aiosqlite", "memory", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """One store of each kind: the store contract (every test over this fixture) holds on all four."""
    if request.param == "memory":
        m: Store = MemoryStore()
        await m.open()
        yield m
        await m.close()
    elif request.param in ("sqlite", "aiosqlite"):
        kind = SQLiteStore if request.param == "sqlite" else AiosqliteStore
        s: Store = kind(tmp_path / "test.db")
        await s.open()
        yield s
        await s.close()
    else:
        pg = await _pg_store()
        yield pg
        await pg.drop_schema()
        await pg.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "test.db")
    await s.open()
    yield s
    await s.close()


_FAQ_ENGINE = pytest.StashKey[FaqEngine]()


def _ensure_postgres() -> None:
    """Use the server at PG_DSN when one answers; else start a throwaway one for the session."""
    global PG_DSN, PG_NOTE, PG_MISSING, _THROWAWAY
    if pg_throwaway.answers(PG_DSN):
        PG_NOTE = f"PostgreSQL: {PG_DSN}"
        return
    try:
        server = pg_throwaway.start(PG_DSN)
    except pg_throwaway.Unavailable as exc:
        PG_MISSING = f" (and no throwaway server could be started: {exc})"
        PG_NOTE = f"PostgreSQL: nothing answers at {PG_DSN}{PG_MISSING}"
        return
    atexit.register(server.stop)  # also when the run ends before pytest_sessionfinish
    _THROWAWAY = server
    PG_NOTE = (f"PostgreSQL: nothing answered at {PG_DSN}; a throwaway server at {server.dsn} "
               f"(started in {server.started_in:.1f} s, stopped at the end)")
    PG_DSN = os.environ["WALLETDESK_TEST_PG"] = server.dsn


def pytest_sessionstart(session: pytest.Session) -> None:
    """Find or start PostgreSQL, then build the shared FAQ engine before any test runs, so
    no test's timeout pays for the build (about 30 s on a busy machine). The index is
    cached outside the tree."""
    _ensure_postgres()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(PG_NOTE)
    session.config.stash[_FAQ_ENGINE] = FaqEngine(load_faq(None), cache_dir=FAQ_CACHE)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _THROWAWAY is not None:
        _THROWAWAY.stop()


@pytest.fixture(scope="session")
def faq_engine(pytestconfig: pytest.Config) -> FaqEngine:
    return pytestconfig.stash[_FAQ_ENGINE]


@pytest.fixture
def code_sender() -> RecordingCodeSender:
    return RecordingCodeSender()


@pytest.fixture
async def core(settings: Settings, sqlite_store: SQLiteStore, faq_engine: FaqEngine, clock: Clock,
               code_sender: RecordingCodeSender) -> UseCases:
    return UseCases(settings, sqlite_store, faq_engine, code_sender=code_sender, clock=clock)
