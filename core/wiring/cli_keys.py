"""``walletdesk keys rotate [--drop-old] [--json]`` and ``walletdesk keys status [--json]``.

``rotate`` puts a new data key at the top of ``<data dir>/data.keys`` (with
``WALLETDESK_DATA_KEY`` set, the operator puts the new key first in the variable
and keeps the old ones after it) and re-seals every stored value under it, rows
written before encryption included. Old keys stay in the keyring so processes still
running on it keep working; ``--drop-old`` removes the ones no stored value needs
any more. Keys are never printed: only their ids. Any failure: one ``error:`` line, exit 2.
"""

from __future__ import annotations

import asyncio
import json
import sys

import typer

from core.config import Settings, load_settings
from core.errors import ConfigError, StoreError
from core.storage.keyring import add_key, drop_keys
from core.storage.rotation import key_census, reseal
from core.wiring.data_store import open_data_store

__all__ = ["keys_app", "mount"]

keys_app = typer.Typer(no_args_is_help=True, help="Data keys for personal text at rest: rotate, status.")


def mount(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _fail(exc: Exception) -> None:
    sys.stderr.write(f"error: {exc}\n")
    raise typer.Exit(2)


async def _rotate(settings: Settings, drop_old: bool) -> dict[str, object]:
    store = await open_data_store(settings)  # every stored value must open under the keyring before we start
    await store.close()
    generated = None
    if settings.data_key is None:
        generated = add_key(settings.data_dir)
    store = await open_data_store(settings, check=False)
    try:
        resealed = await reseal(store)
        census = await key_census(store)
    finally:
        await store.close()
    dropped: list[str] = []
    left = {kid for kid in census if kid != "plain"}
    if drop_old:
        if settings.data_key is None:
            dropped = drop_keys(settings.data_dir, left)
        else:
            dropped = [kid for kid in store.sealer.key_ids[1:] if kid not in left]
    return {"key_id": store.sealer.current_kid, "generated": generated is not None, "resealed": resealed,
            "values_by_key": census, "dropped": dropped, "source": store.sealer.source}


@keys_app.command("rotate")
def rotate(
    drop_old: bool = typer.Option(False, "--drop-old", help="Afterwards remove old keys no stored value uses."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Seal everything stored under a new data key (the keyring file) or the first of WALLETDESK_DATA_KEY."""
    try:
        settings = load_settings()
        out = asyncio.run(_rotate(settings, drop_old))
    except (ConfigError, StoreError) as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(out) + "\n")
        return
    total = sum(out["resealed"].values())  # type: ignore[attr-defined]
    sys.stdout.write(f"data key {out['key_id']}: {total} value(s) re-sealed\n")
    if out["dropped"]:
        where = "removed from the keyring" if settings.data_key is None else "no longer needed: remove them from WALLETDESK_DATA_KEY"
        sys.stdout.write(f"old key(s) {', '.join(out['dropped'])} {where}\n")  # type: ignore[arg-type]


async def _status(settings: Settings) -> dict[str, object]:
    store = await open_data_store(settings)
    try:
        census = await key_census(store)
    finally:
        await store.close()
    return {"key_id": store.sealer.current_kid, "keys": list(store.sealer.key_ids), "values_by_key": census,
            "source": store.sealer.source}


@keys_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Which key seals new text, and how many stored values each key (or none) holds."""
    try:
        out = asyncio.run(_status(load_settings()))
    except (ConfigError, StoreError) as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(out) + "\n")
        return
    sys.stdout.write(f"current data key {out['key_id']} ({out['source']})\n")
    for kid, n in sorted(out["values_by_key"].items()):  # type: ignore[attr-defined]
        sys.stdout.write(f"  {kid}: {n} value(s)\n")
