"""Data-subject export and erasure, and transcript retention, on both backends."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from core.config import Settings
from core.errors import NotFound
from core.faq_engine import FaqEngine
from core.models import ChatRef, InboundMessage, Priority, TicketEvent, UserRef
from core.ops.privacy import FORGOTTEN_SUBJECT, PURGED_SUBJECT, export_user, forget_user, purge_closed_transcripts
from core.ops.report import build_report
from core.use_cases import UseCases
from core.storage import Store
from core.identity.policy import Actor
from tests.conftest import OpsCli
from pathlib import Path
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Staff are named: the staff policy fails closed."""
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1,U2")


ALICE = UserRef("telegram", "4242")
ALICE_DC = UserRef("discord", "777")
BOB = UserRef("telegram", "5151")
TABLES = ("users", "conversations", "tickets", "ticket_events", "outbox", "otp_codes", "processed_events",
          "faq_phrasings")


def _dm(user: UserRef, text: str, key: str, name: str) -> InboundMessage:
    return InboundMessage(event_key=key, user=user, chat=ChatRef(user.platform, user.user_id, is_private=True),
                          text=text, message_id=key.rsplit(":", 1)[-1], display_name=name)


async def _dump(store: Store) -> str:
    """Every row of every table as text (a test may look under the store API)."""
    rows: dict[str, Any] = {}
    async with store.transaction() as tx:
        for table in TABLES:
            rows[table] = await tx._c.fetchall(f"SELECT * FROM {table}")  # noqa: SLF001
    return json.dumps(rows, ensure_ascii=False, default=str)


@pytest.fixture
async def desk(settings: Settings, store: Store, faq_engine: FaqEngine, clock: Any, code_sender: Any) -> UseCases:
    """Alice (Telegram, linked to Discord) and Bob each opened a ticket and talked to staff."""
    core = UseCases(settings, store, faq_engine, code_sender=code_sender, clock=clock)
    out = await core.dialogue.handle_message(_dm(ALICE, "/human my transfer xyzzy-subject never arrived", "telegram:update:1",
                                        "Alice Liddell"))
    tid = out.ticket_id
    assert tid is not None
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "reply", event_key="s1", text="Send the transaction id please (re xyzzy-reply)")
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "note", event_key="s2", text="internal xyzzy-note")
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "request_verification", event_key="s3")
    await core.dialogue.handle_message(_dm(ALICE, "here it is xyzzy-followup 0xabc", "telegram:update:2", "Alice Liddell"))
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "resolve", event_key="s4")
    await core.dialogue.handle_message(_dm(ALICE, "5 great help xyzzy-comment", "telegram:update:3", "Alice Liddell"))
    async with store.transaction() as tx:
        await tx.upsert_user(ALICE_DC, "alice_dc_name", "en", clock())
        await tx.link_users(ALICE.key, ALICE_DC.key, confirmed_at=clock())  # confirmed from both accounts
    bob = await core.dialogue.handle_message(_dm(BOB, "/human bob keeps his words", "telegram:update:4", "Bob Builder"))
    await core.staff.act(Actor.at_desk("slack:U2"), bob.ticket_id or 0, "reply", event_key="s5", text="hello bob-reply")
    return core


async def test_export_has_the_data_and_no_secrets(desk: UseCases, store: Store, code_sender: Any) -> None:
    data = await export_user(store, ALICE_DC.key, now=1.0)
    text = json.dumps(data, ensure_ascii=False)
    assert {a["account"] for a in data["accounts"]} == {ALICE.key, ALICE_DC.key}
    assert data["accounts"][1]["display_name"] == "Alice Liddell" or data["accounts"][0]["display_name"] == "Alice Liddell"
    (ticket,) = data["tickets"]
    assert ticket["subject"] == "my transfer xyzzy-subject never arrived"
    assert ticket["csat"] == 5 and ticket["csat_comment"] == "great help xyzzy-comment"
    bodies = [e["text"] for e in ticket["events"]]
    assert any("xyzzy-reply" in (b or "") for b in bodies) and any("xyzzy-followup" in (b or "") for b in bodies)
    assert {e["by"] for e in ticket["events"]} == {"you", "support", "bot"}  # the bot's replies are theirs too
    assert ticket["internal_notes"] == 1 and "xyzzy-note" not in text
    assert "bob" not in text.lower()
    # the one-time code, its hash and the column names of secrets never leave
    async with store.transaction() as tx:
        hashes = [r["secret_hash"] for r in await tx._c.fetchall("SELECT secret_hash FROM otp_codes")]  # noqa: SLF001
    assert hashes and not any(h in text for h in hashes)
    assert code_sender.last_code not in re.findall(r"\d+", text), text
    assert "secret" not in text and "hash" not in text


async def test_export_unknown_and_malformed(store: Store) -> None:
    with pytest.raises(NotFound):
        await export_user(store, "telegram:nobody")
    with pytest.raises(ValueError, match="platform"):
        await export_user(store, "nobody")


async def test_forget_leaves_no_trace_but_keeps_counts(desk: UseCases, store: Store, clock: Any) -> None:
    async with store.transaction() as tx:  # staff taught the FAQ with Alice's words, and with Bob's
        alice_ticket, bob_ticket = sorted(t.id for t in await tx.tickets())
        for ticket_id, text in ((alice_ticket, "my transfer xyzzy-subject never arrived"), (bob_ticket, "bob asks")):
            await tx.add_faq_phrasing(entry_id="transfer-not-arrived", lang="en", text=text, added_by="slack:U1",
                                      ticket_id=ticket_id, now=clock())
    before = await _dump(store)
    assert "xyzzy" in before and "Alice Liddell" in before and ALICE.key in before
    result = await forget_user(store, ALICE.key)
    assert sorted(result.accounts) == sorted([ALICE.key, ALICE_DC.key]) and result.tickets == 1
    after = await _dump(store)
    for trace in ("xyzzy", "Alice Liddell", "alice_dc_name", ALICE.key, ALICE_DC.key, f":dm:{ALICE.user_id}"):
        assert trace not in after, trace
    # Bob is untouched
    assert "bob keeps his words" in after and "hello bob-reply" in after and "Bob Builder" in after
    assert "bob asks" in after
    with pytest.raises(NotFound):
        await export_user(store, ALICE.key)
    # reporting still counts Alice's ticket, its topic and its score
    report = await build_report(store, since=0, now=clock() + 1, sla_first_response=desk.settings.sla_first_response)
    assert report.tickets == 2 and report.csat_count == 1 and report.csat_mean == 5.0
    async with store.transaction() as tx:
        subjects = sorted(t.subject for t in await tx.tickets())
    assert subjects == [FORGOTTEN_SUBJECT, "bob keeps his words"]
    with pytest.raises(NotFound):
        await forget_user(store, ALICE.key)


async def test_purge_removes_bodies_of_old_closed_tickets_only(store: Store) -> None:
    now = 1_800_000_000.0
    day = 86400.0
    user = UserRef("telegram", "9")
    chat = ChatRef("telegram", "9", is_private=True)
    plan = {"old-closed": ("closed", 100), "recent-closed": ("closed", 10), "old-resolved": ("resolved", 200),
            "open": ("open", None)}
    ids: dict[str, int] = {}
    async with store.transaction() as tx:
        for name, (state, days_ago) in plan.items():
            t = await tx.create_ticket(user=user, origin=chat, origin_message_id=None, priority=Priority.NORMAL,
                                       category="gas-fees", lang="en", subject=f"subject {name}", now=now - 300 * day)
            ids[name] = t.id
            await tx.add_event(TicketEvent(t.id, "opened", user.key, f"body {name}", now - 300 * day))
            await tx.enqueue(platform="telegram", action="send", chat_id="9", thread_id=None,
                             payload={"text": f"payload {name}"}, idempotency_key=f"k-{name}", now=now - 300 * day,
                             ticket_id=t.id)
            fields: dict[str, object] = {"state": state}
            if state == "closed":
                fields["closed_at"] = now - days_ago * day
            if state == "resolved":
                fields["resolved_at"] = now - days_ago * day
            await tx.update_ticket(t.id, **fields)
    result = await purge_closed_transcripts(store, 90, now=now)
    assert (result.tickets, result.events, result.cutoff) == (1, 1, now - 90 * day)
    async with store.transaction() as tx:
        for name, tid in ids.items():
            ticket = await tx.get_ticket(tid)
            events = await tx.events(tid)
            (delivery,) = await tx.deliveries(ticket_id=tid)
            assert ticket is not None
            if name == "old-closed":
                assert ticket.subject == PURGED_SUBJECT and events[0].body is None
                assert delivery.data == {} and delivery.status == "dead"
                assert ticket.user.key == user.key and ticket.category == "gas-fees"  # not a forget
            else:
                assert ticket.subject == f"subject {name}" and events[0].body == f"body {name}"
                assert delivery.data == {"text": f"payload {name}"}
    again = await purge_closed_transcripts(store, 90, now=now)
    assert (again.tickets, again.events) == (0, 0)
    with pytest.raises(ValueError):
        await purge_closed_transcripts(store, -1, now=now)


def test_cli_export_forget_purge(ops_cli: OpsCli) -> None:
    async def fill(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.upsert_user(ALICE, "Alice", "en", 1.0)
            t = await tx.create_ticket(user=ALICE, origin=ChatRef("telegram", "4242", is_private=True),
                                       origin_message_id=None, priority=Priority.NORMAL, category=None, lang="en",
                                       subject="cli-marker question", now=1.0)
            await tx.update_ticket(t.id, state="closed", closed_at=2.0)

    ops_cli.seed(fill)
    run = ops_cli.invoke
    out = run(["user", "export", ALICE.key])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["tickets"][0]["subject"] == "cli-marker question"
    assert run(["user", "forget", ALICE.key], input="n\n").exit_code != 0  # declined
    assert "cli-marker" in run(["user", "export", ALICE.key]).stdout
    out = run(["purge", "--retention-days", "1", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["tickets"] == 1
    out = run(["user", "forget", ALICE.key, "--yes"])
    assert out.exit_code == 0, out.output
    assert isinstance(run(["user", "export", ALICE.key]).exception, NotFound)
    assert isinstance(run(["user", "forget", "nonsense", "--yes"]).exception, ValueError)


# ----------------------------------------------------------- issue 15 items 13 and 14


@pytest.mark.parametrize("name", ["李明", "Bo"])
async def test_forget_scrubs_mentions_of_a_short_display_name(store: Store, name: str) -> None:
    user = UserRef("telegram", "31")
    async with store.transaction() as tx:
        await tx.upsert_user(user, name, "zh", 1.0)
        await tx.enqueue(platform="slack", action="send", chat_id="C1", thread_id=None,
                         payload={"text": f"new ticket from {name}: hello"}, idempotency_key="k-mention", now=1.0)
        await tx.enqueue(platform="slack", action="send", chat_id="C1", thread_id=None,
                         payload={"text": "Bob asked About fees"}, idempotency_key="k-other", now=1.0)
    result = await forget_user(store, user.key)
    assert result.deliveries_scrubbed >= 1
    after = await _dump(store)
    assert name not in after.replace("Bob", "").replace("About", "")  # before: names under 3 chars survived
    assert "Bob asked About fees" in after  # other people's words stay


async def test_purge_clears_the_question_kept_in_conversations(store: Store) -> None:
    from core.models import Conversation, ConversationState

    now, day = 1_800_000_000.0, 86400.0
    user = UserRef("telegram", "32")
    chat = ChatRef("telegram", "32", is_private=True)
    async with store.transaction() as tx:
        t = await tx.create_ticket(user=user, origin=chat, origin_message_id=None, priority=Priority.NORMAL,
                                   category=None, lang="en", subject="s", now=now - 300 * day)
        await tx.update_ticket(t.id, state="closed", closed_at=now - 100 * day)
        await tx.set_conversation(user.key, chat.key, Conversation(
            ConversationState.IDLE, question="xyzzy-question my card was charged twice", category="refund-dispute"),
            now - 100 * day)
    await purge_closed_transcripts(store, 90, now=now)
    assert "xyzzy-question" not in await _dump(store)
    async with store.transaction() as tx:
        assert (await tx.get_conversation(user.key, chat.key)).category == "refund-dispute"


def test_faq_csv_export_neutralises_formulas_and_reads_back(tmp_path) -> None:
    from core.faq.files import export_faq, load_faq

    entries = load_faq(None)
    first = entries[0]
    evil = ['=HYPERLINK("https://evil.example","click")', "+1+2", "-2+3", "@SUM(A1:A2)"]
    questions = dict(first.questions)
    questions["en"] = list(questions.get("en", ())) + evil
    import dataclasses

    entries[0] = dataclasses.replace(first, questions=questions)
    path = export_faq(entries, tmp_path / "faq.csv")
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    back = {q for e in load_faq(path) if e.id == first.id for q in e.questions["en"]}
    assert set(evil) <= back  # the apostrophe comes off on the way in


async def test_a_redacted_ticket_subject_is_not_taught_to_the_faq(tmp_path, store: Store) -> None:
    from mnemonic import Mnemonic

    from core.errors import InvalidInput
    from core.shield.gate import TextSource, guard
    from tests.core.test_faq_live import FAQ_YAML, _library

    faq_file = tmp_path / "faq.yaml"
    faq_file.write_text(FAQ_YAML, encoding="utf-8")
    library = await _library(tmp_path, store, faq_file)
    subject = guard("restore fails " + Mnemonic("english").generate(128), TextSource.MESSAGE).text  # as stored
    async with store.transaction() as tx:
        ticket = await tx.create_ticket(user=ALICE, origin=ChatRef("telegram", "4242", is_private=True),
                                        origin_message_id=None, priority=Priority.NORMAL, category=None, lang="en",
                                        subject=subject, now=1.0)
    with pytest.raises(InvalidInput) as refused:  # before: only "[removed]", which the shield never writes
        await library.add_phrasing("transfer-not-arrived", "", actor="slack:U1", ticket_id=ticket.id, now=2.0)
    assert refused.value.key == "faqadmin.secret"
    async with store.transaction() as tx:
        assert await tx.faq_phrasings() == []
