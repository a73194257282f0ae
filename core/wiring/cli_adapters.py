"""Each adapter's own subcommands: an optional ``cli`` typer app in its entry module,
mounted under the adapter's name (``walletdesk slack manifest``). The core names no
platform."""

from __future__ import annotations

import typer

from core.contract import adapter_hooks

__all__ = ["mount"]


def mount(app: typer.Typer) -> None:
    for name, sub in sorted(adapter_hooks("cli").items()):
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name)
