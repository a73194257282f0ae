"""``walletdesk doctor [--json]``: one checklist (configuration, database, FAQ, every
configured platform's credentials and rights, OTP webhook, ``/healthz``), ✓ or ✗ with
the fix for each ✗. Exit 1 on any ✗. Adapters contribute their own checks (see
:mod:`core.wiring.checks`); the core never names a platform."""

from __future__ import annotations

import asyncio
import json
import sys

import typer
from rich.console import Console
from rich.markup import escape

from core.wiring.checks import CheckResult, run_checks

__all__ = ["mount"]


def _render(results: list[CheckResult]) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for r in results:
        mark = "[green]✓[/green]" if r.ok else "[red]✗[/red]"
        out.print(f"{mark} {escape(r.name)}: {escape(r.detail)}")
        if not r.ok and r.fix:
            out.print(f"    fix: {escape(r.fix)}")
    failed = sum(not r.ok for r in results)
    out.print(f"{len(results) - failed} passed, {failed} failed" if failed else f"all {len(results)} checks passed")


def doctor(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Check configuration, database, FAQ, each configured platform, the OTP webhook and /healthz."""
    results = asyncio.run(run_checks())
    ok = all(r.ok for r in results)
    if as_json:
        sys.stdout.write(json.dumps({"ok": ok, "checks": [r.as_json() for r in results]}, ensure_ascii=False) + "\n")
    else:
        _render(results)
    if not ok:
        raise typer.Exit(1)


def mount(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
