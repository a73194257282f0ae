"""``walletdesk ticket export N [--format text|json|html]``: one ticket's
transcript, secrets redacted (text by default). An unknown ticket or format:
one ``error:`` line, exit 2."""

from __future__ import annotations

import asyncio
import sys
from typing import cast

import typer

from core.config import load_settings
from core.ops.transcript import FORMATS, Format, load_transcript, render
from core.wiring.data_store import open_data_store

__all__ = ["mount", "ticket_app"]

ticket_app = typer.Typer(no_args_is_help=True, help="Tickets: export a transcript.")


def mount(app: typer.Typer) -> None:
    app.add_typer(ticket_app, name="ticket")


async def _export(ticket_id: int, fmt: Format) -> str:
    store = await open_data_store(load_settings())
    try:
        return render(await load_transcript(store, ticket_id), fmt)
    finally:
        await store.close()


@ticket_app.command("export")
def export(
    ticket_id: int = typer.Argument(..., min=1, help="The ticket number."),
    fmt: str = typer.Option("text", "--format", help="text, json or html."),
) -> None:
    """Print one ticket's transcript: the user's, staff's and the system's lines, internal notes marked."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    sys.stdout.write(asyncio.run(_export(ticket_id, cast(Format, fmt))))
