"""``walletdesk tx lookup TEXT [--json]``: the transaction hash in TEXT looked up
on the configured chains (the contract in DESIGN.md). Exit 0 found or not; no
hash in TEXT, or no chain configured: one ``error:`` line, exit 2."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import typer

from core.chain import ChainLookup, Lookup, TxHash, find_hash, named_chain
from core.config import load_settings
from core.errors import ConfigError

__all__ = ["mount", "tx_app"]

tx_app = typer.Typer(no_args_is_help=True, help="Look transactions up on the configured chains.")


def mount(app: typer.Typer) -> None:
    app.add_typer(tx_app, name="tx")


async def _lookup(chain: ChainLookup, tx_hash: TxHash, named: str | None) -> Lookup:
    try:
        return await chain.lookup(tx_hash, named)
    finally:
        await chain.aclose()


def _human(obj: dict[str, Any]) -> str:
    lines = []
    for key, value in obj.items():
        if key == "token_transfers":
            for t in value:
                lines.append(f"token: {t['amount']} {t['symbol'] or t['token']} from {t['from']} to {t['to']}")
        elif value is not None:
            lines.append(f"{key}: {str(value).lower() if isinstance(value, bool) else value}")
    return "\n".join(lines) + "\n"


@tx_app.command("lookup")
def lookup(
    text: str = typer.Argument(..., help="A message holding a transaction hash (the first one is looked up)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Look the transaction hash in TEXT up on the configured chains (only the hash is sent to them)."""
    tx_hash = find_hash(text)
    if tx_hash is None:
        raise ValueError("no transaction hash in TEXT (64 hex digits, with or without 0x)")
    chain = ChainLookup.from_settings(load_settings())
    if not chain.configured:
        raise ConfigError("no chain configured: set WALLETDESK_EVM_RPC, WALLETDESK_TRON_API or WALLETDESK_BITCOIN_API")
    result = asyncio.run(_lookup(chain, tx_hash, named_chain(text))).as_json()
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n" if as_json else _human(result))
