"""Operator commands: the support report, FAQ gap mining, data-subject requests, retention.

``ops_app`` holds them flat (``report``, ``faq-gaps``, ``user-export``,
``user-forget``, ``purge``); :func:`mount_ops` puts the same functions where the
``walletdesk`` command shows them: ``walletdesk report``, ``walletdesk purge``,
``walletdesk faq gaps`` and ``walletdesk user export|forget``. Mistakes raise
ValueError / WalletdeskError, which ``core.wiring.cli.main`` prints as one ``error:`` line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Optional, TypeVar

import typer

from core.config import Settings, load_settings
from core.storage import Store
from core.wiring.data_store import open_data_store

__all__ = ["mount_ops", "ops_app", "user_app"]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

ops_app = typer.Typer(no_args_is_help=True, help="Operator commands: report, FAQ gaps, privacy, retention.")
user_app = typer.Typer(no_args_is_help=True, help="Data-subject requests: export or forget a user.")

DEFAULT_RETENTION_DAYS = 90.0  # what the bundled FAQ's privacy answer promises


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        store = await open_data_store(settings)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _finite(value: Optional[float]) -> Optional[float]:
    """Option callback: ``min=`` already refuses negatives and NaN; this refuses inf (1e400 parses as inf)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number")
    return value


@ops_app.command("report")
def report(
    since: str = typer.Option("7d", help="Window start: 7d, 12h, 2w or an ISO date (UTC)."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML page here."),
    png: Optional[Path] = typer.Option(None, "--png", help="Write the charts as PNG files into this directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """Support analytics: volume, FAQ deflection, response times vs SLA, CSAT, topics, backlog."""
    from core.ops.report import build_report, chart_pngs, parse_since, render_charts, render_html, render_text

    now = time.time()
    start = parse_since(since, now)  # a bad --since is refused before settings (and the data directory) are read
    settings = load_settings()
    result = _with_store(settings, lambda store: build_report(
        store, since=start, now=now, sla_first_response=settings.sla_first_response,
        sla_resolution=settings.sla_resolution))
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(result))
    charts = chart_pngs(result) if html or png else {}
    if png is not None:
        paths = render_charts(result, png)
        _say(f"wrote {len(paths)} charts to {png}")
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(result, charts), encoding="utf-8")
        _say(f"wrote {html}")


@ops_app.command("faq-gaps")
def faq_gaps(
    since: str = typer.Option("30d", help="Tickets created since: 30d, 2w or an ISO date (UTC)."),
    out: Optional[Path] = typer.Option(None, help="Write the proposals here (YAML); default: stdout."),
    distance: float = typer.Option(0.85, min=0.05, max=1.0, help="Cosine-distance cut; lower = tighter clusters."),
    min_size: int = typer.Option(2, min=2, help="Smallest cluster that becomes a proposal."),
    keep_answered: bool = typer.Option(False, help="Keep questions the current FAQ already answers."),
) -> None:
    """Propose FAQ entries from questions staff answered by hand (review, then `walletdesk faq import`)."""
    from core.ops.gaps import mine_gaps, proposals_yaml
    from core.ops.report import parse_since

    start = parse_since(since, time.time())  # refused before settings are read
    settings = load_settings()
    engine = None
    if not keep_answered:
        from core.wiring.app import build_faq

        engine = build_faq(settings)
    proposals = _with_store(settings, lambda store: mine_gaps(store, since=start, engine=engine, distance=distance,
                                                              min_size=min_size))
    text = proposals_yaml(proposals)
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    _say(f"{len(proposals)} proposed entries" + (f" written to {out}" if out else ""))


@ops_app.command("user-export")
def user_export(user: str = typer.Argument(..., help="The account, <platform>:<id>, as a ticket or the desk shows it.")) -> None:
    """Print everything kept about a user and their confirmed linked accounts as JSON."""
    from core.ops.privacy import export_user

    data = _with_store(load_settings(), lambda store: export_user(store, user))
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@ops_app.command("user-forget")
def user_forget(
    user: str = typer.Argument(..., help="The account, <platform>:<id>; accounts whose link was confirmed are forgotten too."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a user and their confirmed linked accounts; scrub their tickets' text (counts stay for reports)."""
    from core.models import UserRef
    from core.ops.privacy import forget_user

    UserRef.parse(user)
    if not yes and not typer.confirm(f"Forget {user} and every confirmed linked account? This cannot be undone"):
        raise typer.Abort()
    result = _with_store(load_settings(), lambda store: forget_user(store, user))
    _say(f"forgot {', '.join(result.accounts)}: {result.tickets} tickets scrubbed "
         f"({result.events_scrubbed} messages, {result.deliveries_scrubbed} deliveries)")


@ops_app.command("purge")
def purge(
    retention_days: Optional[float] = typer.Option(
        None, "--retention-days", min=0, callback=_finite,
        help="Purge transcripts of tickets closed longer ago than this (default: WALLETDESK_RETENTION_DAYS, else 90)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Remove the text of closed tickets older than the retention period."""
    from core.ops.privacy import purge_closed_transcripts

    settings = load_settings()
    days = retention_days if retention_days is not None else float(
        getattr(settings, "retention_days", None) or DEFAULT_RETENTION_DAYS)
    result = _with_store(settings, lambda store: purge_closed_transcripts(store, days))
    summary = {"retention_days": days, "cutoff": result.cutoff, "tickets": result.tickets, "messages": result.events}
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        _say(f"purged {result.tickets} closed tickets ({result.events} messages) older than {days:g} days")


user_app.command("export")(user_export)
user_app.command("forget")(user_forget)


def mount_ops(app: typer.Typer, faq_app: typer.Typer) -> None:
    """Register the operator commands on the ``walletdesk`` app and its ``faq`` group."""
    app.command("report")(report)
    app.command("purge")(purge)
    faq_app.command("gaps")(faq_gaps)
    app.add_typer(user_app, name="user")
