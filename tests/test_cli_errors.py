"""Every bad option of every ``walletdesk`` command ends in one ``error:`` line on stderr and exit code 2.

The commands and options come from the real typer app's click tree, so a new command or option is covered
without touching this file. Only bad values are given: parsing (or the first check) fails before any work.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from core.wiring import cli

# Non-numeric options checked in the command body: a value each must refuse (before any work).
DOMAIN_BAD = {"--since": "-3d", "--role": "bogus", "--adapter": "bogus", "--lang": "xx", "--mode": "bogus"}


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the click tree, groups included, with its path from the root."""
    yield path, cmd
    for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):  # click groups hold .commands
        yield from _commands(sub, (*path, name))


def _number_type(cmd: Any, param: Any) -> type | None:
    """int or float when the option's annotation is one (Optional and list unwrapped), else None."""
    hints = typing.get_type_hints(inspect.unwrap(cmd.callback))
    hint = hints.get(param.name)
    while typing.get_args(hint):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return hint if hint in (int, float) else None


def _fillers(cmd: Any, skip: Any) -> list[str]:
    """Values for the command's other required parameters, so the option under test is what fails."""
    out: list[str] = []
    for p in cmd.params:
        if p is skip or not p.required:
            continue
        out += ["x:1"] if p.param_type_name == "argument" else [p.opts[0], "missing.csv"]
    return out


def _bad_cases() -> list[tuple[str, list[str]]]:
    """(option, argv) for every option that takes a value, in every command of the real app."""
    cases: list[tuple[str, list[str]]] = []
    for path, cmd in _commands(typer.main.get_command(cli.app)):
        for p in cmd.params:
            if p.param_type_name != "option" or p.is_flag or p.count:
                continue
            opt, base = p.opts[0], [*path, *_fillers(cmd, p)]
            cases.append((opt, [*base, opt]))  # value missing
            number = _number_type(cmd, p)
            if number is not None:
                # every numeric option here is a count, a period, a seed or a fraction: -1 and nan mean nothing;
                # a new option where they do needs its own test, not an exemption here
                bad = ["abc", "-1", "nan"] + (["inf"] if number is float else [])
            else:
                bad = [DOMAIN_BAD[opt]] if opt in DOMAIN_BAD else []
            cases += [(opt, [*base, opt, value]) for value in bad]
    return cases


CASES = _bad_cases()


@pytest.fixture()
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No WALLETDESK_* from the caller; data in tmp; cwd in tmp (nothing lands in the repo)."""
    for key in [k for k in os.environ if k.startswith("WALLETDESK_")]:
        monkeypatch.delenv(key)
    data = tmp_path / "data"
    monkeypatch.setenv("WALLETDESK_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    return data


def test_the_walk_finds_the_known_options() -> None:
    argvs = {" ".join(argv) for _, argv in CASES}
    for expected in ("purge --retention-days abc", "purge --retention-days nan", "faq eval --test missing.csv --shots -1",
                     "report --png", "faq gaps --distance nan", "faq eval --test", "run --role bogus"):
        assert any(a.startswith(expected) for a in argvs), expected
    assert len({tuple(a[:2]) for _, a in CASES}) >= 6


@pytest.mark.parametrize(("opt", "argv"), CASES, ids=[" ".join(a) for _, a in CASES])
def test_bad_option_is_one_error_line(opt: str, argv: list[str], isolated: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(argv)
    out = capsys.readouterr()
    lines = out.err.splitlines()
    assert code == 2, out.err
    assert len(lines) == 1 and lines[0].startswith("error:"), out.err
    assert opt in lines[0]  # names the option
    assert "Traceback" not in out.err + out.out
    assert not isolated.exists()  # refused before anything was written


@pytest.mark.parametrize("argv", [["nosuch"], ["--bogus"], ["faq", "ask", "hi", "--jsn"], ["faq", "ask"],
                                  ["user", "export"], ["faq", "eval"]])
def test_unknown_or_missing_is_one_error_line(argv: list[str], isolated: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(argv)
    out = capsys.readouterr()
    assert code == 2 and len(out.err.splitlines()) == 1 and out.err.startswith("error:"), out.err
    assert "Traceback" not in out.err + out.out


@pytest.mark.parametrize("path", [p for p, _ in _commands(typer.main.get_command(cli.app))], ids=" ".join)
def test_help_still_exits_0(path: tuple[str, ...], isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*path, "--help"]) == 0
    out = capsys.readouterr()
    assert "Usage" in out.out and out.err == ""


@pytest.mark.parametrize("path", [[], ["faq"], ["user"]])
def test_bare_group_prints_help(path: list[str], isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(path) == 2  # click's code for "no command given"
    out = capsys.readouterr()
    assert "Usage" in out.out and "Traceback" not in out.err + out.out


# the real entry point, as a subprocess -------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["purge", "--retention-days", "abc"], ["purge", "--retention-days", "-1"],
                                  ["purge", "--retention-days", "nan"], ["faq", "eval", "--shots", "abc"],
                                  ["report", "--png"]])
def test_subprocess_bad_option(argv: list[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLETDESK_")}
    env.update(WALLETDESK_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-m", "core.wiring.cli", *argv], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=60)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.splitlines()) == 1 and out.stderr.startswith("error:"), out.stderr
    opt = next(a for a in argv if a.startswith("--"))
    assert opt in out.stderr and "Traceback" not in out.stderr + out.stdout
    assert not (tmp_path / "data").exists()
