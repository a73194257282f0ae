"""The console chat is not buried in log lines: records go to a file in the data
directory, each kind of warning reaches the terminal once, and the first start
says that it is building the FAQ index."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.wiring.logs import TerminalWarnings
from tests.waiting import BUILD_DEADLINE

# Two entries sharing two questions: the FAQ loader warns once per shared question.
SHARED_QUESTIONS_FAQ = """\
version: 1
entries:
  - id: staking
    title: {en: Staking, zh: 质押}
    questions:
      en: [how do i stake my eth, can i stake usdt, where are my staking rewards]
      zh: [怎么质押]
    answers: {en: "Staking is not offered in the wallet.", zh: "钱包不提供质押。"}
  - id: unstaking
    title: {en: Unstaking, zh: 解除质押}
    questions:
      en: [how do i stake my eth, can i stake usdt, how long does unstaking take]
      zh: [怎么解除质押]
    answers: {en: "Unstaking is not offered in the wallet.", zh: "钱包不提供解除质押。"}
"""


def run_console(tmp: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLETDESK_", "TELEGRAM_", "SLACK_", "DISCORD_"))}
    env.update(WALLETDESK_DATA_DIR=str(tmp / "data"), WALLETDESK_SECRET_KEY="x",
               WALLETDESK_FAQ_FILE=str(tmp / "faq.yaml"))
    return subprocess.run([sys.executable, "-m", "core.wiring.cli", "run"], input=stdin, capture_output=True,
                          text=True, cwd=tmp, env=env, timeout=BUILD_DEADLINE)


@pytest.mark.timeout(900)  # a first FAQ build on purpose (its progress line is checked): see BUILD_DEADLINE
def test_console_chat_logs_to_a_file_and_warns_once(tmp_path: Path) -> None:
    (tmp_path / "faq.yaml").write_text(SHARED_QUESTIONS_FAQ, encoding="utf-8")
    first = run_console(tmp_path, "how do i add a custom token\n")
    assert first.returncode == 0, first.stderr
    assert [line[:5] for line in first.stdout.splitlines()] == ["bot> "]  # the answer, and nothing else
    err = first.stderr.splitlines()
    assert sum("appears in" in line for line in err) == 1, first.stderr
    assert not [line for line in err if line.startswith("{") and json.loads(line)["level"] == "info"], first.stderr
    assert err[-2].startswith("First start: building the FAQ index") and err[-1].startswith("FAQ index built in ")
    records = [json.loads(line) for line in (tmp_path / "data" / "walletdesk.log").read_text("utf-8").splitlines()]
    assert sum("appears in" in r["msg"] for r in records) == 2  # the file keeps both
    assert any(r["msg"].startswith("FAQ index built") for r in records)

    again = run_console(tmp_path, "how do i add a custom token\n")
    assert again.returncode == 0, again.stderr
    assert "First start" not in again.stderr and "FAQ index built in" not in again.stderr  # the cache was used


def warning(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("core.test", logging.WARNING, __file__, 1, msg, args, None)


def test_a_warning_is_printed_once_and_above_the_prompt() -> None:
    stream = io.StringIO()
    handler = TerminalWarnings(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.emit(warning("outbox: delivery %d failed", 1))
    handler.emit(warning("outbox: delivery %d failed", 2))  # the same warning with another figure
    assert stream.getvalue() == "WARNING outbox: delivery 1 failed\n"

    prompt = "you> "
    handler.prompt = lambda: prompt
    handler.emit(warning("store unavailable"))
    # the prompt line is cleared, the warning printed, the prompt shown again
    assert stream.getvalue().endswith("\r\x1b[KWARNING store unavailable\nyou> ")
