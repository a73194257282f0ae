"""The ``walletdesk`` command's contracts, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mnemonic import Mnemonic

from tests.conftest import share_faq_cache
from tests.waiting import BUILD_DEADLINE

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: str | None = None, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLETDESK_", "TELEGRAM_", "SLACK_", "DISCORD_"))}
    # the session's FAQ index: the bundled FAQ is not trained again in every child process
    env.update(WALLETDESK_DATA_DIR=str(share_faq_cache(tmp / "data")), WALLETDESK_SECRET_KEY="x")
    return subprocess.run([sys.executable, "-m", "core.wiring.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=tmp, env=env, timeout=BUILD_DEADLINE)


def test_faq_ask_answers_chinese_transfer_question(tmp_path: Path) -> None:
    out = run("faq", "ask", "转账两个小时了还没到账", "--json", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["id"] == "transfer-not-arrived" and result["answered"] is True and result["lang"] == "zh"
    assert 0 <= result["confidence"] <= 1 and "区块浏览器" in result["answer"]


def test_faq_ask_abstains_on_chatter(tmp_path: Path) -> None:
    result = json.loads(run("faq", "ask", "will ETH hit 10k next month?", "--json", tmp=tmp_path).stdout)
    assert result == {**result, "answered": False, "id": None, "answer": None}


@pytest.mark.parametrize("args", [("faq", "ask", "   ", "--json"), ("faq", "eval", "--test", "missing.csv", "--json")])
def test_bad_input_is_one_line_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    out = run(*args, tmp=tmp_path)
    assert out.returncode != 0
    assert out.stderr.startswith("error:") and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_faq_eval_on_bundled_faq(tmp_path: Path) -> None:
    test = tmp_path / "test.csv"
    test.write_text("text,label\nmy transfer is stuck for hours,transfer-not-arrived\n"
                    "i lost my seed phrase what now,lost-seed-phrase\nwhat is your favourite movie,none\n")
    out = run("faq", "eval", "--test", str(test), "--json", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for key in ("accuracy", "macro_f1", "n", "p50_ms", "p99_ms", "coverage_at_precision", "answered_precision",
                "answered_coverage", "out_of_scope_abstained"):
        assert key in result
    assert result["n"] == 3


def test_faq_eval_wrong_columns(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("question,intent\nhi,x\n")
    out = run("faq", "eval", "--train", str(bad), "--test", str(bad), "--json", tmp=tmp_path)
    assert out.returncode != 0 and out.stderr.startswith("error:") and "Traceback" not in out.stderr


def test_shield_scan_contract(tmp_path: Path) -> None:
    phrase = Mnemonic("english").generate(256)
    lines = [f"my words: {phrase}", "see https://etherscan.io/tx/0x" + "ab" * 32, "hello\\nworld"]
    out = run("shield", "scan", "--json", stdin="\n".join(lines) + "\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert rows[0]["leak"] and "seed_phrase" in rows[0]["kinds"] and phrase not in rows[0]["redacted"]
    assert not rows[1]["leak"]
    assert rows[2] == {"leak": False, "kinds": [], "redacted": "hello\nworld"}


def test_console_chat_with_piped_input(tmp_path: Path) -> None:
    out = run("run", stdin="how do I back up my recovery phrase\nwhat's the capital of France\nno\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    replies = [line for line in out.stdout.splitlines() if line.startswith("bot>")]
    assert len(replies) == 3
    assert "human" in replies[1] and "OK" in replies[2]


def test_faq_ask_and_export_include_phrasings_staff_added(tmp_path: Path) -> None:
    import asyncio

    from core.storage.sqlite import SQLiteStore

    question = "the zorblax bridge ate my coins"
    before = json.loads(run("faq", "ask", question, "--json", tmp=tmp_path).stdout)
    assert not (before["answered"] and before["id"] == "transfer-not-arrived")
    assert not (tmp_path / "data" / "walletdesk.db").exists()  # asking creates no database

    async def add() -> None:
        store = SQLiteStore(tmp_path / "data" / "walletdesk.db")
        await store.open()
        async with store.transaction() as tx:
            await tx.add_faq_phrasing(entry_id="transfer-not-arrived", lang="en", text=question,
                                      added_by="slack:U1", ticket_id=None, now=1.0)
        await store.close()

    asyncio.run(add())
    out = run("faq", "ask", question, "--json", tmp=tmp_path)
    after = json.loads(out.stdout)
    assert after["id"] == "transfer-not-arrived" and after["answered"] is True
    assert "1 phrasing" in out.stderr
    assert run("faq", "export", "out.yaml", tmp=tmp_path).returncode == 0
    assert question in (tmp_path / "out.yaml").read_text(encoding="utf-8")
