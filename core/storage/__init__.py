"""Store selection by URL: ``sqlite:///path`` (default), ``sqlite+aiosqlite:///path``,
``postgresql://...`` or ``memory://`` (SQLite in memory, nothing kept: :mod:`core.storage.memory`)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit, urlunsplit

from core.errors import ConfigError
from core.storage.base import SqlTx, Store

__all__ = ["SqlTx", "Store", "open_store", "store_for_url"]


def store_for_url(url: str) -> Store:
    """Build (not open) the store ``url`` names; raises ConfigError on an unknown scheme."""
    parts = urlsplit(url)
    if parts.scheme in ("sqlite", "sqlite3", "sqlite+aiosqlite"):
        from core.storage.sqlite import AiosqliteStore, SQLiteStore

        # sqlite:///relative.db and sqlite:////absolute.db: drop the one slash after the authority
        path = url.split("://", 1)[1][1:]
        kind = AiosqliteStore if parts.scheme == "sqlite+aiosqlite" else SQLiteStore
        return kind(path or ":memory:")
    if parts.scheme == "memory":
        from core.storage.memory import MemoryStore

        return MemoryStore()
    if parts.scheme in ("postgres", "postgresql"):
        from core.storage.postgres import PostgresStore

        query = parse_qs(parts.query)
        schema = query.pop("schema", [None])[0]
        rest = "&".join(f"{k}={v[0]}" for k, v in query.items())
        dsn = urlunsplit(("postgresql", parts.netloc, parts.path, rest, ""))
        return PostgresStore(dsn, schema=schema)
    raise ConfigError(f"WALLETDESK_DATABASE_URL: unsupported scheme {parts.scheme!r} (use sqlite:///, sqlite+aiosqlite:///, postgresql:// or memory://)")


async def open_store(url: str) -> Store:
    store = store_for_url(url)
    await store.open()
    return store
