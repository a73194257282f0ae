"""``walletdesk slack manifest [--json]``: the Slack app manifest for this configuration."""

from __future__ import annotations

import json
import sys

import typer
import yaml

from adapters.slack.setup import manifest as build_manifest
from core.config import load_settings

__all__ = ["cli"]

cli = typer.Typer(no_args_is_help=True, help="Slack app setup.")


@cli.command("manifest")
def manifest(as_json: bool = typer.Option(False, "--json", help="JSON instead of YAML.")) -> None:
    """Print the app manifest (scopes, events, slash commands, interactivity, request URLs): paste it at
    api.slack.com/apps > Create New App > From a manifest."""
    try:
        doc = build_manifest(load_settings())
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(2) from None
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n" if as_json
                     else yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
