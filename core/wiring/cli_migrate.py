"""``walletdesk migrate [--json]``: bring the database's schema up to date and say
from which version to which. Every process also migrates on start (``Store.open``);
on PostgreSQL an advisory lock makes concurrent starts take turns, so exactly one
applies the steps. Unreachable database: one ``error:`` line, exit 2."""

from __future__ import annotations

import asyncio
import json
import sys

import typer

from core.config import load_settings
from core.errors import ConfigError, StoreError
from core.storage import store_for_url
from core.storage.migrations import MIGRATIONS

__all__ = ["mount"]


async def _migrate(url: str) -> tuple[int, int]:
    store = store_for_url(url)
    await store.open()  # migrates, under the lock on PostgreSQL
    try:
        return store.schema_versions  # type: ignore[attr-defined, no-any-return]
    finally:
        await store.close()


def migrate(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Apply the schema migrations this version ships (also done on every start)."""
    try:
        before, after = asyncio.run(_migrate(load_settings().resolved_database_url))
    except (ConfigError, StoreError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(json.dumps({"before": before, "after": after, "latest": len(MIGRATIONS),
                                     "applied": list(range(before + 1, after + 1))}) + "\n")
    elif before == after:
        sys.stdout.write(f"schema version {after}: already current\n")
    else:
        sys.stdout.write(f"schema version {before} -> {after}\n")


def mount(app: typer.Typer) -> None:
    app.command("migrate")(migrate)
