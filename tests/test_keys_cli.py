"""``walletdesk keys rotate|status`` and the sealed store behind every command, run as the
real ``walletdesk`` process over a SQLite file (and PostgreSQL for rotation)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from core.faq_engine import FaqEngine
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, UserRef
from core.storage import store_for_url
from core.storage.keyring import KEYRING_FILE, load_sealer
from core.storage.sealed_rows import SealedStore
from core.use_cases import UseCases
from tests.conftest import PG_DSN, Clock, RecordingCodeSender, make_settings

ALICE = UserRef("telegram", "100")
SENTENCE = "the wombat-lantern app freezes on the receive screen"
NAME = "Alice Wombatson"


def run(*args: str, tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WALLETDESK_", "TELEGRAM_", "SLACK_", "DISCORD_"))}
    base.update(WALLETDESK_DATA_DIR=str(tmp / "data"), WALLETDESK_SECRET_KEY="x", **env)
    return subprocess.run([sys.executable, "-m", "core.wiring.cli", *args], capture_output=True, text=True,
                          cwd=tmp, env=base, timeout=120)


async def _seed(url: str, data: Path, faq_engine: FaqEngine, *, sealed: bool = True) -> None:
    """A ticket worked through the real use cases, sealed with the data dir's keyring (as
    ``walletdesk run`` would), or in the clear (a deployment from before encryption)."""
    store = store_for_url(url)
    if sealed:
        store = SealedStore(store, load_sealer(None, data))
    await store.open()
    core = UseCases(make_settings(data, SLACK_STAFF_USERS="U0"), store, faq_engine,
                    code_sender=RecordingCodeSender(), clock=Clock())
    await core.dialogue.handle_message(InboundMessage(
        event_key="tg:1", user=ALICE, chat=ChatRef("telegram", "100", is_private=True), text=f"/human {SENTENCE}",
        message_id="1", display_name=NAME, addressed=True))
    await core.staff.act(Actor.at_desk("slack:U0"), 1, "reply", event_key="s1", text=f"Hi {NAME}, which version?")
    await store.close()


def _raw_sqlite(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        rows = {t: con.execute(f"SELECT * FROM {t}").fetchall()  # noqa: S608 (fixed names)
                for t in ("users", "tickets", "ticket_events", "outbox", "conversations")}
    finally:
        con.close()
    return json.dumps(rows, ensure_ascii=False, default=str)


@pytest.fixture
async def data(tmp_path: Path, faq_engine: FaqEngine) -> Path:
    (tmp_path / "data").mkdir()
    await _seed(f"sqlite:///{tmp_path / 'data' / 'walletdesk.db'}", tmp_path / "data", faq_engine)
    return tmp_path


def _one_error_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert out.stderr.startswith("error: ")
    return out.stderr


def test_commands_read_sealed_text_and_rotation_reseals_it(data: Path) -> None:
    db = data / "data" / "walletdesk.db"
    before = _raw_sqlite(db)
    assert "wombat" not in before and NAME not in before and "wd1:" in before
    status = json.loads(run("keys", "status", "--json", tmp=data).stdout)
    old = status["key_id"]
    assert set(status["values_by_key"]) == {old}
    exported = run("ticket", "export", "1", tmp=data)
    assert exported.returncode == 0, exported.stderr
    assert SENTENCE in exported.stdout and NAME in exported.stdout
    user = run("user", "export", ALICE.key, tmp=data)
    assert user.returncode == 0 and SENTENCE in user.stdout, user.stderr
    report = run("report", "--json", "--since", "2020-01-01", tmp=data)
    assert report.returncode == 0 and json.loads(report.stdout)["tickets"] == 1, report.stderr

    rotated = run("keys", "rotate", "--json", tmp=data)
    assert rotated.returncode == 0, rotated.stderr
    out = json.loads(rotated.stdout)
    assert out["generated"] and out["key_id"] != old and out["resealed"]["ticket_events"] >= 2
    assert set(out["values_by_key"]) == {out["key_id"]} and out["dropped"] == []
    after = _raw_sqlite(db)
    assert after != before and "wombat" not in after and f"wd1:{old}:" not in after
    keyring = (data / "data" / KEYRING_FILE).read_text().split()
    assert len(keyring) == 2  # the old key kept for processes still running on it
    assert oct((data / "data" / KEYRING_FILE).stat().st_mode & 0o777) == "0o600"
    for key in keyring:  # keys never reach the output
        assert key not in rotated.stdout + rotated.stderr
    assert SENTENCE in run("ticket", "export", "1", tmp=data).stdout

    dropped = run("keys", "rotate", "--drop-old", tmp=data)
    assert dropped.returncode == 0 and old in dropped.stdout, dropped.stderr
    assert len((data / "data" / KEYRING_FILE).read_text().split()) == 1
    assert SENTENCE in run("ticket", "export", "1", tmp=data).stdout


def test_a_wrong_or_malformed_key_is_one_error_line(data: Path) -> None:
    other = "ab" * 32
    for args in (("ticket", "export", "1"), ("report",), ("keys", "rotate"), ("user", "export", ALICE.key)):
        message = _one_error_line(run(*args, tmp=data, WALLETDESK_DATA_KEY=other))
        assert "WALLETDESK_DATA_KEY" in message and "sealed with data key" in message and other not in message
    message = _one_error_line(run("ticket", "export", "1", tmp=data, WALLETDESK_DATA_KEY="not-a-key-xyz"))
    assert "WALLETDESK_DATA_KEY" in message and "not-a-key-xyz" not in message
    (data / "data" / KEYRING_FILE).unlink()  # the keyring lost: a new one is made, and it does not open the rows
    message = _one_error_line(run("ticket", "export", "1", tmp=data))
    assert KEYRING_FILE in message and "sealed with data key" in message


def test_the_data_key_variable_with_an_old_key_after_it(data: Path) -> None:
    """WALLETDESK_DATA_KEY="new,old": the old key still opens, rotation re-seals under the new."""
    old = (data / "data" / KEYRING_FILE).read_text().strip()
    new = "cd" * 32
    keys = f"{new},{old}"
    assert SENTENCE in run("ticket", "export", "1", tmp=data, WALLETDESK_DATA_KEY=keys).stdout
    out = run("keys", "rotate", "--drop-old", "--json", tmp=data, WALLETDESK_DATA_KEY=keys)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert not result["generated"] and len(result["dropped"]) == 1 and result["source"] == "WALLETDESK_DATA_KEY"
    assert SENTENCE in run("ticket", "export", "1", tmp=data, WALLETDESK_DATA_KEY=new).stdout


async def test_a_database_from_before_encryption_reads_and_is_sealed_by_rotation(
        tmp_path: Path, faq_engine: FaqEngine) -> None:
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "walletdesk.db"
    await _seed(f"sqlite:///{db}", tmp_path / "data", faq_engine, sealed=False)
    assert "wombat" in _raw_sqlite(db)
    assert SENTENCE in run("ticket", "export", "1", tmp=tmp_path).stdout
    assert run("keys", "rotate", tmp=tmp_path).returncode == 0
    raw = _raw_sqlite(db)
    assert "wombat" not in raw and NAME not in raw
    assert SENTENCE in run("ticket", "export", "1", tmp=tmp_path).stdout


async def test_rotation_on_postgresql(tmp_path: Path, faq_engine: FaqEngine) -> None:
    (tmp_path / "data").mkdir()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{PG_DSN}{'&' if '?' in PG_DSN else '?'}schema={schema}"
    await _seed(url, tmp_path / "data", faq_engine)
    try:
        out = run("keys", "rotate", "--json", tmp=tmp_path, WALLETDESK_DATABASE_URL=url)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["resealed"]["tickets"] == 1
        exported = run("ticket", "export", "1", tmp=tmp_path, WALLETDESK_DATABASE_URL=url)
        assert SENTENCE in exported.stdout and NAME in exported.stdout, exported.stderr
    finally:
        store = store_for_url(url)
        await store.open()
        await store.drop_schema()  # type: ignore[attr-defined]
        await store.close()
