"""The ``walletdesk`` command. User mistakes end in one ``error:`` line on stderr
and a non-zero exit, never a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.config import Settings, load_settings
from core.errors import WalletdeskError
from core.faq.models import FaqEntry
from core.faq.heap import keep_large_blocks_returnable
from core.wiring.logs import TerminalWarnings, setup_logging

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, help="walletdesk: community support for a crypto wallet.")
faq_app = typer.Typer(no_args_is_help=True, help="Ask, evaluate, import and export the FAQ.")
shield_app = typer.Typer(no_args_is_help=True, help="Find recovery phrases and private keys in text.")
app.add_typer(faq_app, name="faq")
app.add_typer(shield_app, name="shield")
# operations: walletdesk report | purge | faq gaps | user export|forget (core/wiring/cli_ops.py)
from core.wiring.cli_ops import mount_ops  # noqa: E402
mount_ops(app, faq_app)


def _mount_command_groups() -> None:
    """Every other ``core/wiring/cli_<group>.py`` with a ``mount(app)`` adds its commands."""
    import importlib
    import pkgutil

    import core.wiring as wiring

    for info in sorted(pkgutil.iter_modules(wiring.__path__), key=lambda m: m.name):
        if not info.name.startswith("cli_") or info.name == "cli_ops":
            continue
        mount = getattr(importlib.import_module(f"core.wiring.{info.name}"), "mount", None)
        if mount is not None:
            mount(app)


_mount_command_groups()

_err = Console(stderr=True, soft_wrap=True)


class UserError(Exception):
    """Reported as one line, exit code 2."""


def _fail(message: str) -> None:
    raise UserError(message)


def _settings() -> Settings:
    return load_settings()


@contextlib.contextmanager
def _progress(enabled: bool, label: str):  # type: ignore[no-untyped-def]
    """A rich progress bar on stderr (hidden when stderr is not a terminal)."""
    if not enabled:
        yield None
        return
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=_err, transient=True)
    with progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _emit(obj: Any, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    else:
        for key, value in obj.items():
            sys.stdout.write(f"{key}: {value}\n")


# run ------------------------------------------------------------------------


@app.command()
def run(
    adapter: Optional[list[str]] = typer.Option(None, "--adapter", "-a", help="Adapter to start (repeatable); default: every configured one, console when none is."),
    role: str = typer.Option("all", help="all (one process), web (HTTP endpoints) or worker (outbox, timers, gateways)."),
) -> None:
    """Start the service."""
    # refused before logging, the store and the FAQ index are set up (App checks too, but only after that work)
    if role not in ("all", "web", "worker"):
        _fail(f"--role: unknown role {role!r}; use all, web or worker")
    known = _adapter_names()
    unknown = [name for name in adapter or [] if name not in known]
    if unknown:
        _fail(f"--adapter: unknown adapter {unknown[0]!r}; available: {', '.join(sorted(known))}")
    settings = _settings()
    chat = _console_chat(settings, adapter or None)
    # beside the console chat, log lines would bury the conversation: they go to a file
    terminal = setup_logging(settings, log_file=settings.data_dir / LOG_FILE_NAME if chat else None)
    asyncio.run(_run(settings, adapter or None, role, terminal))


LOG_FILE_NAME = "walletdesk.log"


def _console_chat(settings: Settings, adapters: list[str] | None) -> bool:
    """Whether this run is the console chat: asked for, or no platform is configured."""
    if adapters is not None:
        return adapters == ["console"]
    from core.contract import discover_adapters

    return not any(f.configured(settings) for n, f in discover_adapters().items() if n != "console")


def _adapter_names() -> set[str]:
    """Declared adapter names, read from the entry points without importing any adapter."""
    from importlib.metadata import entry_points

    from core.contract import GROUP

    return {ep.name for ep in entry_points(group=GROUP)}


async def _run(settings: Settings, adapters: list[str] | None, role: str, terminal: TerminalWarnings | None) -> None:
    from core.wiring.app import App
    from core.wiring.first_build import FirstBuildNotice

    service = App(settings, adapters=adapters, role=role,
                  first_build=FirstBuildNotice(_err, settings.data_dir / "cache"))
    async with service:
        console = next((a for a in service.adapters if a.name == "console"), None)
        if console is not None and all(a.name == "console" for a in service.adapters):
            assert service.worker is not None
            if terminal is not None:
                terminal.prompt = console.pending_prompt
                console.log_file = settings.data_dir / LOG_FILE_NAME

            async def drain() -> None:
                assert service.core is not None
                await service.core.digest.run()  # no timer loop beside the console chat: checked per line
                while await service.worker.run_once():  # type: ignore[union-attr]
                    pass

            await drain()
            await console.chat(drain)
            await drain()
            return
        await service.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()


# faq -------------------------------------------------------------------------


@faq_app.command("ask")
def faq_ask(
    text: str = typer.Argument(..., help="The question."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    lang: Optional[str] = typer.Option(None, help="Answer language (en or zh); default: the question's."),
) -> None:
    """Answer one question from the FAQ."""
    if not text.strip():
        _fail("empty question")
    if lang is not None and lang not in ("en", "zh"):
        _fail(f"--lang: unknown language {lang!r}; use en or zh")
    from core.faq.library import build_engine

    settings = _settings()
    engine = build_engine(settings, _entries_in_use(settings))
    match = engine.ask(text, lang=lang)
    _emit(match.as_json(), as_json)


def _entries_in_use(settings: Settings) -> list[FaqEntry]:
    """Files plus the phrasings staff added through Slack (when the database has any)."""
    from core.faq.library import entries_in_use

    entries, added = asyncio.run(entries_in_use(settings))
    if added:
        _err.print(f"including {added} phrasing(s) staff added (in the database)")
    return entries


@faq_app.command("eval")
def faq_eval(
    train: Optional[Path] = typer.Option(None, help="CSV (text,label) the engine learns from; default: the FAQ's own examples."),
    test: Path = typer.Option(..., help="CSV (text,label) to answer."),
    shots: Optional[int] = typer.Option(None, min=1, help="Examples per label drawn from --train."),
    seed: int = typer.Option(0, min=0, help="Seed for drawing --shots."),  # random.Random(-n) draws as Random(n)
    threshold: Optional[float] = typer.Option(None, min=0.0, max=1.0, help="Confidence threshold; default: the engine's."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Measure the engine on labelled questions."""
    from core.faq.evaluate import evaluate, read_labelled_csv

    test_rows = read_labelled_csv(test)
    settings = _settings()
    if train is not None:
        train_rows = read_labelled_csv(train)
    else:
        from core.wiring.app import load_entries

        train_rows = [(q, e.id) for e in load_entries(settings) for q in e.all_questions()]
        threshold = threshold if threshold is not None else settings.faq_threshold
        unknown = sorted({label for _, label in test_rows} - {label for _, label in train_rows})
        if unknown and len(unknown) == len({label for _, label in test_rows}):
            _fail(f"none of the test labels is an FAQ id (e.g. {unknown[0]!r})")
    with _progress(sys.stderr.isatty(), "evaluating") as progress:
        result = evaluate(train_rows, test_rows, shots=shots, seed=seed, threshold=threshold, progress=progress,
                          embedder=settings.faq_embedder)
    _emit(result, as_json)


@faq_app.command("export")
def faq_export(out: Path = typer.Argument(..., help="Where to write (.yaml or .csv).")) -> None:
    """Write the FAQ in use (bundled, the operator's file and staff-added phrasings) to a file."""
    from core.faq.files import export_faq

    entries = _entries_in_use(_settings())
    export_faq(entries, out)
    _err.print(f"wrote {len(entries)} entries to {out}")


@faq_app.command("import")
def faq_import(
    source: Path = typer.Argument(..., help="YAML or CSV with entries or extra phrasings."),
    mode: str = typer.Option("extend", help="extend (add phrasings, override answers) or replace (whole entries)."),
    out: Optional[Path] = typer.Option(None, help="The operator FAQ file to write; default WALLETDESK_FAQ_FILE or <data>/faq.yaml."),
) -> None:
    """Validate a file and merge it into the operator's FAQ file (checked against the bundled FAQ)."""
    from core.faq_engine import FaqEngine
    from core.faq.files import export_faq, load_faq, load_operator_faq, merge_entries

    if mode not in ("extend", "replace"):
        _fail(f"--mode: unknown mode {mode!r}; use extend or replace")
    settings = _settings()
    target = Path(out or settings.faq_file or settings.data_dir / "faq.yaml")
    incoming = load_faq(source, partial=True)
    merged = merge_entries(load_faq(target, partial=True), incoming, mode=mode) if target.exists() else incoming
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f"{target.stem}.staged{target.suffix}")
    export_faq(merged, staged)
    try:
        # the file must load on top of the bundled FAQ and build an index before it replaces the old one
        entries = load_operator_faq(staged, "extend")
        with _progress(sys.stderr.isatty(), "building the index") as progress:
            FaqEngine(entries, progress=progress)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    staged.replace(target)
    _err.print(f"{len(incoming)} entries imported into {target}; set WALLETDESK_FAQ_FILE={target} to use it")


# shield ------------------------------------------------------------------------


@shield_app.command("scan")
def shield_scan(as_json: bool = typer.Option(False, "--json", help="One JSON object per input line.")) -> None:
    """Scan stdin line by line (a literal \\n in a line stands for a newline)."""
    from core.shield.phrases import decode_cli_line, scan

    for raw in sys.stdin:
        line = raw.rstrip("\r\n")
        result = scan(decode_cli_line(line))
        if as_json:
            sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(("LEAK " + ",".join(result.kinds) if result.leak else "ok") + "\t" + result.redacted + "\n")
        sys.stdout.flush()


# typer 0.29 (installed) parses with its own vendored copy of click (typer._click), whose exceptions are not
# click.ClickException; typer.BadParameter is public and comes from whichever click typer uses, so its module
# is the one to catch from (still click.exceptions on older typer).
_click_errors = sys.modules[typer.BadParameter.__module__]
_NoArgsIsHelp: tuple[type[Exception], ...] = (
    (_click_errors.NoArgsIsHelpError,) if hasattr(_click_errors, "NoArgsIsHelpError") else ())  # click >= 8.2


def _one_line(message: str) -> str:
    # click messages may wrap or append "Did you mean ...?" on a new line
    return " ".join(message.split())


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the typer app and turns known errors into one line."""
    try:
        rv = app(args=argv, standalone_mode=False)
    except UserError as exc:
        _err.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    except (WalletdeskError, ValueError, OSError) as exc:
        _err.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    except _NoArgsIsHelp as exc:
        # a bare group (`walletdesk`, `walletdesk faq`): help is the answer; typer's rich help printed it already
        if exc.format_message():
            exc.show()
        return exc.exit_code
    except _click_errors.ClickException as exc:  # bad option, missing value, unknown command
        _err.print(f"error: {_one_line(exc.format_message())}", markup=False, highlight=False)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 130
    except KeyboardInterrupt:
        return 130
    # without standalone mode click returns a typer.Exit's code (e.g. 0 after --help) instead of raising it
    return rv if type(rv) is int else 0


if __name__ == "__main__":
    sys.exit(main())


def entry() -> None:
    keep_large_blocks_returnable()  # before any index is built: see core.heap
    sys.exit(main())
