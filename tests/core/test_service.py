"""The support use cases end to end through the core, on a real SQLite file.
Deliveries are read back from the outbox rows the use cases wrote."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest
from mnemonic import Mnemonic

from core.errors import IllegalTransition, InvalidInput, NotFound
from core.models import ChatRef, InboundMessage, TicketState, UserRef
from core.use_cases import UseCases
from core.identity.policy import Actor, NotAllowed
from tests.conftest import Clock, RecordingCodeSender
from pathlib import Path
from core.config import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Staff are named: the staff policy fails closed."""
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1,U2")


ALICE = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
GROUP = ChatRef("telegram", "-500", is_private=False)
_n = iter(range(1, 10_000))


def msg(text: str, *, chat: ChatRef = DM, user: UserRef = ALICE, addressed: bool = True, name: str = "Alice",
        key: str | None = None) -> InboundMessage:
    n = next(_n)
    return InboundMessage(event_key=key or f"tg:{n}", user=user, chat=chat, text=text, message_id=str(n),
                          display_name=name, addressed=addressed)


async def outbox(core: UseCases, **kw: object) -> list[dict]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries(**kw)  # type: ignore[arg-type]
    return [{**dataclasses.asdict(r), "payload": r.data} for r in rows]


def texts_to(rows: list[dict], chat_id: str) -> list[str]:
    return [str(r["payload"].get("text")) for r in rows if r["chat_id"] == chat_id and r["action"] in ("send", "dm")]


async def test_known_question_gets_the_faq_answer_in_its_language(core: UseCases) -> None:
    out = await core.dialogue.handle_message(msg("转账两个小时了还没到账"))
    assert out.faq is not None and out.faq.answered and out.faq.id == "transfer-not-arrived"
    (reply,) = texts_to(await outbox(core), "100")
    assert "区块浏览器" in reply


async def test_unknown_question_offers_a_human_and_yes_opens_a_ticket(core: UseCases) -> None:
    out = await core.dialogue.handle_message(msg("can you predict the price of dogecoin next week"))
    assert out.faq is not None and not out.faq.answered
    assert "human" in texts_to(await outbox(core), "100")[-1]
    out = await core.dialogue.handle_message(msg("yes"))
    assert out.ticket_id is not None
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(out.ticket_id)
    assert ticket is not None and ticket.state is TicketState.OPEN
    assert "dogecoin" in ticket.subject
    desk = await outbox(core, ticket_id=ticket.id)
    assert [r["action"] for r in desk if r["platform"] == "console"][:2] == ["desk_upsert", "desk_post"]


async def test_duplicate_event_is_processed_once(core: UseCases) -> None:
    first = msg("gas fees are too high", key="tg:dup")
    assert (await core.dialogue.handle_message(first)).status == "handled"
    assert (await core.dialogue.handle_message(first)).status == "duplicate"
    assert len(await outbox(core)) == 1


async def test_group_stays_quiet_unless_addressed(core: UseCases) -> None:
    await core.dialogue.handle_message(msg("my transfer has not arrived", chat=GROUP, addressed=False))
    assert await outbox(core) == []
    await core.dialogue.handle_message(msg("my transfer has not arrived", chat=GROUP, addressed=True))
    rows = await outbox(core)
    assert len(rows) == 1 and rows[0]["payload"]["reply_to"]


async def _open_ticket(core: UseCases) -> int:
    out = await core.dialogue.handle_message(msg("human"))
    assert out.ticket_id is not None
    return out.ticket_id


async def test_staff_reply_reaches_user_and_note_never_does(core: UseCases) -> None:
    tid = await _open_ticket(core)
    await core.dialogue.handle_message(msg("my funds are gone"))
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "claim", event_key="a1")
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "note", event_key="a2", text="looks like a drainer SECRET-NOTE",
                            source_ref="171.1")
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "reply", event_key="a3", text="Please send the tx hash", source_ref="171.2")
    user_texts = texts_to(await outbox(core), "100")
    assert any("Please send the tx hash" in x for x in user_texts)
    assert not any("SECRET-NOTE" in x for x in user_texts)
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(tid)
        events = await tx.events(tid)
    assert ticket.state is TicketState.WAITING_ON_USER and ticket.first_response_at is not None
    assert ticket.assignee == "slack:U1"
    assert [e.internal for e in events if e.kind == "note"] == [True]
    # the user's answer moves it back to the assignee
    await core.dialogue.handle_message(msg("here: 0xabc"))
    async with core.store.transaction() as tx:
        assert (await tx.get_ticket(tid)).state is TicketState.CLAIMED


async def test_staff_action_replay_is_ignored(core: UseCases) -> None:
    tid = await _open_ticket(core)
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "reply", event_key="same", text="hello")
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "reply", event_key="same", text="hello")
    assert sum("hello" in x for x in texts_to(await outbox(core), "100")) == 1


async def test_bad_staff_input_changes_nothing(core: UseCases) -> None:
    tid = await _open_ticket(core)
    before = await outbox(core)
    with pytest.raises(NotFound):
        await core.staff.act(Actor.at_desk("slack:U1"), 999, "claim", event_key="b1")
    with pytest.raises(InvalidInput):
        await core.staff.act(Actor.at_desk("slack:U1"), tid, "fly", event_key="b2")
    with pytest.raises(InvalidInput):
        await core.staff.act(Actor.at_desk("slack:U1"), tid, "set_priority", event_key="b3", priority="asap")
    with pytest.raises(InvalidInput):
        await core.staff.act(Actor.at_desk("slack:U1"), tid, "reply", event_key="b4", text="   ")
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "close", event_key="b5")
    with pytest.raises(IllegalTransition):
        await core.staff.act(Actor.at_desk("slack:U1"), tid, "resolve", event_key="b6")
    with pytest.raises(IllegalTransition):
        await core.staff.act(Actor.at_desk("slack:U1"), tid, "reply", event_key="b7", text="late")
    rows = await outbox(core)
    assert not any("late" in str(r["payload"].get("text")) for r in rows)
    assert len(rows) > len(before)  # only the close itself added rows


async def test_verification_by_code_end_to_end(core: UseCases, code_sender: RecordingCodeSender,
                                               clock: Clock) -> None:
    tid = await _open_ticket(core)
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "request_verification", event_key="v1")
    code = code_sender.last_code
    assert len(code) == 6 and code_sender.sent[-1]["user_key"] == ALICE.key
    wrong = "000000" if code != "000000" else "111111"
    out = await core.dialogue.handle_message(msg(wrong))
    assert out.notes == ["code wrong"]
    out = await core.dialogue.handle_message(msg(code))
    assert out.notes == ["code ok"]
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(tid)
    assert ticket.verified_at == clock.now and ticket.verified_method == "code"
    # the code is never stored or relayed: not in the database file, not in any outbox row
    db = sqlite3.connect(core.store.path)  # type: ignore[attr-defined]
    dump = "\n".join(db.iterdump())
    assert code not in dump
    # and it cannot be used twice
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "request_verification", event_key="v2")
    out = await core.dialogue.handle_message(msg(code))
    assert out.notes and out.notes[0] in ("code wrong",)


async def test_code_typed_in_public_is_deleted_and_burnt(core: UseCases, code_sender: RecordingCodeSender) -> None:
    tid = await _open_ticket(core)
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "request_verification", event_key="p1")
    code = code_sender.last_code
    group_msg = msg(code, chat=GROUP, addressed=False)
    out = await core.dialogue.handle_message(group_msg)
    assert out.notes == ["code in public"]
    rows = await outbox(core)
    assert any(r["action"] == "delete" and r["payload"]["message_id"] == group_msg.message_id for r in rows)
    out = await core.dialogue.handle_message(msg(code))
    assert "code ok" not in out.notes


async def test_resolve_asks_for_rating_and_records_it(core: UseCases) -> None:
    tid = await _open_ticket(core)
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "resolve", event_key="r1")
    assert "1 (bad) to 5 (great)" in texts_to(await outbox(core), "100")[-1]
    await core.dialogue.handle_message(msg("4 quick and kind"))
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(tid)
    assert ticket.csat == 4 and ticket.csat_comment == "quick and kind"
    assert ticket.state is TicketState.RESOLVED


async def test_writing_after_resolve_asks_before_reopening(core: UseCases, clock: Clock) -> None:
    tid = await _open_ticket(core)
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "resolve", event_key="w1")
    for small_talk in ("5", "thanks!", "👍", "ok"):
        await core.dialogue.handle_message(msg(small_talk))
    await core.dialogue.handle_message(msg("actually it happened again"))
    async with core.store.transaction() as tx:
        assert (await tx.get_ticket(tid)).state is TicketState.RESOLVED
    assert f"reopen ticket #{tid}" in texts_to(await outbox(core), "100")[-1]
    await core.dialogue.handle_message(msg("yes"))
    async with core.store.transaction() as tx:
        assert (await tx.get_ticket(tid)).state is TicketState.OPEN
        events = await tx.events(tid)
    assert [e.body for e in events if e.kind == "user_message"][-1] == "actually it happened again"
    assert events[-1].kind == "bot_reply" and events[-1].body.startswith(f"Ticket #{tid} is reopened")


async def test_seed_phrase_is_removed_before_anything_is_stored(core: UseCases) -> None:
    phrase = Mnemonic("english").generate(128)
    tid = await _open_ticket(core)
    leaked = msg(f"here is my phrase {phrase} please help", chat=DM)
    out = await core.dialogue.handle_message(leaked)
    assert out.leak
    rows = await outbox(core)
    assert any(r["action"] == "delete" for r in rows)
    assert any("compromised" in str(r["payload"].get("text")) for r in rows)
    db = sqlite3.connect(core.store.path)  # type: ignore[attr-defined]
    dump = "\n".join(db.iterdump())
    assert phrase not in dump and phrase.split()[3] + " " + phrase.split()[4] not in dump
    async with core.store.transaction() as tx:
        events = await tx.events(tid)
        ticket = await tx.get_ticket(tid)
    assert [e.body for e in events if e.kind == "user_message"][-1].startswith("here is my [redacted")
    assert ticket.priority.value == "urgent"  # a phrase the user just leaked is urgent at once


async def test_seed_phrase_in_group_warns_privately(core: UseCases) -> None:
    phrase = Mnemonic("chinese_simplified").generate(128).replace(" ", "")
    out = await core.dialogue.handle_message(msg(phrase, chat=GROUP, addressed=False))
    assert out.leak
    rows = await outbox(core)
    assert {r["action"] for r in rows} == {"delete", "dm", "send"}
    dm_row = next(r for r in rows if r["action"] == "dm")
    assert "助记词" in dm_row["payload"]["text"]


async def test_too_long_message_gets_an_error_and_changes_nothing_else(core: UseCases) -> None:
    out = await core.dialogue.handle_message(msg("a" * 9000))
    assert out.status == "rejected"
    (row,) = await outbox(core)
    assert "too long" in row["payload"]["text"]
    async with core.store.transaction() as tx:
        assert await tx.tickets() == []


async def test_a_too_long_message_holding_a_phrase_is_still_deleted(core: UseCases) -> None:
    """Slack takes 40,000 characters: a long paste is scanned before it is refused."""
    phrase = Mnemonic("english").generate(128)
    out = await core.dialogue.handle_message(msg("logs: " + "x " * 6000 + phrase, chat=GROUP, addressed=False))
    assert out.status == "rejected" and out.leak and "seed_phrase" in out.leak_kinds
    rows = await outbox(core)
    assert {r["action"] for r in rows} == {"delete", "dm", "send"}
    assert not any(phrase.split()[0] + " " + phrase.split()[1] in str(r["payload"]) for r in rows)


async def test_moderator_escalation_opens_ticket_with_public_notice(core: UseCases) -> None:
    core.link_templates["telegram"] = "https://t.me/walletdesk_bot?start=ticket_{ticket_id}"
    target = msg("my account is frozen and nobody answers", chat=GROUP, addressed=False)
    user = UserRef("telegram", "7")
    with pytest.raises(NotAllowed):
        await core.escalation.escalate(moderator=Actor(user), target=target, event_key="e0")
    mod = Actor(user, platform_moderator=True)
    out = await core.escalation.escalate(moderator=mod, target=target, note="vip user", event_key="e1")
    assert out.ticket_id
    assert (await core.escalation.escalate(moderator=mod, target=target, event_key="e1")).status == "duplicate"
    notice = texts_to(await outbox(core), "-500")
    assert any(f"start=ticket_{out.ticket_id}" in x for x in notice)
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(out.ticket_id)
    assert ticket.category == "account-frozen" and ticket.priority.value == "high"
    # staff replies to a group-origin ticket go privately
    await core.staff.act(Actor.at_desk("slack:U1"), out.ticket_id, "reply", event_key="e2", text="we are on it")
    dm_rows = [r for r in await outbox(core) if r["action"] == "dm"]
    assert dm_rows and dm_rows[-1]["payload"]["fallback_chat_id"] == "-500"


async def test_staff_check_and_impostor_alert(tmp_path, sqlite_store, faq_engine, clock) -> None:
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, WALLETDESK_STAFF_NAMES="telegram:42=Alice Support")
    core = UseCases(settings, sqlite_store, faq_engine, code_sender=RecordingCodeSender(), clock=clock)
    assert "✅" in core.roster.describe("Alice Support", "en", user_key="telegram:42")
    assert "NOT" in core.roster.describe("AIice Supp0rt", "en", user_key="telegram:666")
    await core.dialogue.handle_message(msg("hello", user=UserRef("telegram", "666"), name="Alice_Support✅"))
    rows = await outbox(core)
    assert any("impersonator" in str(r["payload"].get("text")) for r in rows)


async def test_sla_warning_fires_once(core: UseCases, clock: Clock) -> None:
    tid = await _open_ticket(core)
    clock.advance(4 * 3600 * 0.9)  # normal priority: 4 h first response
    assert await core.timers.run() >= 1
    assert await core.timers.run() == 0
    clock.advance(3600)
    assert await core.timers.run() >= 1
    texts = [str(r["payload"].get("text")) for r in await outbox(core, ticket_id=tid)]
    assert sum("close to its SLA" in x for x in texts) == 1 and sum("breached" in x for x in texts) == 1
