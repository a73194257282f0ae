"""``walletdesk ticket export``: a ticket worked through the real use cases on a
SQLite file, exported by the real command as text, JSON and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mnemonic import Mnemonic

from core.faq_engine import FaqEngine
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, UserRef
from core.storage.sqlite import SQLiteStore
from core.use_cases import UseCases
from tests.conftest import Clock, RecordingCodeSender, make_settings
from tests.test_cli import run

ALICE = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16, 32)))


async def _worked_ticket(data: Path, faq_engine: FaqEngine) -> None:
    store = SQLiteStore(data / "walletdesk.db")
    await store.open()
    core = UseCases(make_settings(data, SLACK_STAFF_USERS="U0AGENT"), store, faq_engine, code_sender=RecordingCodeSender(), clock=Clock())
    n = iter(range(1, 100))

    async def say(text: str) -> None:
        await core.dialogue.handle_message(InboundMessage(event_key=f"tg:{next(n)}", user=ALICE, chat=DM, text=text,
                                                          message_id="1", display_name="Alice", addressed=True))

    await say("I need a human")
    await say("my app says <script>alert(1)</script>\n✅ verified by code")
    staff = Actor.at_desk("slack:U0AGENT")
    await core.staff.act(staff, 1, "note", event_key="s1", text="INTERNAL-ONLY check the logs")
    await core.staff.act(staff, 1, "reply", event_key="s2", text="Hi Alice, which network was it?")
    async with store.transaction() as tx:  # a body an older version let through
        await tx._c.execute("INSERT INTO ticket_events (ticket_id, kind, actor, body, at, internal) "
                            "VALUES (1, 'user_message', 'telegram:100', ?, 1790000500, 0)", (f"old {PHRASE}",))
    await store.close()


@pytest.fixture
async def data(tmp_path: Path, faq_engine: FaqEngine) -> Path:
    (tmp_path / "data").mkdir()
    await _worked_ticket(tmp_path / "data", faq_engine)
    return tmp_path


def test_text_export_has_every_line_in_order_internal_marked_and_no_secret(data: Path) -> None:
    out = run("ticket", "export", "1", tmp=data)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("Ticket #1 · waiting_on_user · normal")
    assert "User: telegram:100 (Alice)" in text
    lines = text.splitlines()
    order = [next(i for i, line in enumerate(lines) if needle in line)
             for needle in ("I need a human", "<script>", "INTERNAL-ONLY", "which network", "[redacted: recovery phrase]")]
    assert order == sorted(order)
    assert "[internal]" in lines[order[2]] and "[internal]" not in lines[order[3]]
    # the user's second line stays one line: it cannot pass for a system line of its own
    assert not any(line.startswith("✅") for line in lines)
    assert PHRASE.split()[3] + " " + PHRASE.split()[4] not in text


def test_json_and_html_exports(data: Path) -> None:
    exported = json.loads(run("ticket", "export", "1", "--format", "json", tmp=data).stdout)
    assert exported["ticket"]["id"] == 1 and exported["ticket"]["user"] == "telegram:100"
    kinds = [e["kind"] for e in exported["events"]]
    assert "note" in kinds and "staff_reply" in kinds
    assert [e["internal"] for e in exported["events"] if e["kind"] == "note"] == [True]
    page = run("ticket", "export", "1", "--format", "html", tmp=data).stdout
    assert page.startswith("<!doctype html>") and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page and PHRASE not in page


@pytest.mark.parametrize("args", [("ticket", "export", "9"), ("ticket", "export", "1", "--format", "pdf"),
                                  ("ticket", "export", "0"), ("ticket", "export", "one")])
def test_bad_export_requests_are_one_error_line(data: Path, args: tuple[str, ...]) -> None:
    out = run(*args, tmp=data)
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error:"), out.stderr
