"""Parked tickets on every store: waiting on the user (one nudge in their language,
then resolved by itself), snoozes hidden from the queue, the user's answer putting
the ticket back, and each timer step firing once across processes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import IllegalTransition, InvalidInput
from core.faq_engine import FaqEngine
from core.identity.policy import Actor, NotAllowed
from core.models import ChatRef, InboundMessage, TicketState, UserRef
from core.storage import Store
from core.support.parking import parse_snooze
from core.use_cases import UseCases
from tests.conftest import StoreFactory, Clock, RecordingCodeSender, make_settings

BOB = Actor.at_desk("slack:U1")
HOUR = 3600.0
_n = iter(range(1, 100_000))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1", WALLETDESK_NUDGE_AFTER_HOURS="24",
                         WALLETDESK_WAITING_RESOLVE_AFTER_HOURS="48")


@pytest.fixture
def core(settings: Settings, store: Store, faq_engine: FaqEngine, clock: Clock) -> UseCases:
    return UseCases(settings, store, faq_engine, code_sender=RecordingCodeSender(), clock=clock)


def _msg(text: str, user: str = "100") -> InboundMessage:
    n = next(_n)
    return InboundMessage(event_key=f"tg:{n}", user=UserRef("telegram", user),
                          chat=ChatRef("telegram", user, is_private=True), text=text, message_id=str(n),
                          display_name=f"User {user}", addressed=True)


async def _ticket(core: UseCases, user: str = "100", text: str = "/human my card was charged twice") -> int:
    out = await core.dialogue.handle_message(_msg(text, user))
    assert out.ticket_id is not None
    return out.ticket_id


async def _rows(core: UseCases, ticket_id: int | None = None) -> list[dict[str, object]]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries(ticket_id=ticket_id) if ticket_id is not None else await tx.deliveries()
    return [{**dataclasses.asdict(r), "payload": r.data} for r in rows]


def _to_user(rows: list[dict[str, object]], user: str = "100") -> list[str]:
    return [str(r["payload"]["text"]) for r in rows  # type: ignore[index]
            if r["action"] in ("send", "dm") and r["chat_id"] == user]


def _desk(rows: list[dict[str, object]]) -> list[str]:
    return [str(r["payload"]["text"]) for r in rows if r["action"] == "desk_post"]  # type: ignore[index]


async def _state(core: UseCases, ticket_id: int) -> TicketState:
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(ticket_id)
    assert ticket is not None
    return ticket.state


def test_snooze_times_are_read_in_the_support_timezone() -> None:
    now = datetime(2026, 12, 7, 15, 30, tzinfo=timezone.utc).timestamp()
    assert parse_snooze("2h", now, "UTC") == now + 2 * HOUR
    assert parse_snooze("30 min", now, "UTC") == now + 1800
    assert parse_snooze("1d", now, "UTC") == now + 24 * HOUR
    assert parse_snooze("tomorrow", now, "UTC") == datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc).timestamp()
    # 09:00 in Shanghai is 01:00 UTC
    assert parse_snooze("明天", now, "Asia/Shanghai") == datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc).timestamp()
    assert parse_snooze("2026-12-08 09:00", now, "UTC") == datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc).timestamp()
    assert parse_snooze("2026-12-09", now, "UTC") == datetime(2026, 12, 9, 9, 0, tzinfo=timezone.utc).timestamp()
    assert parse_snooze("off", now, "UTC") is None
    for bad, key in (("soon", "parking.bad_snooze"), ("2026-12-01 09:00", "parking.snooze_range"),
                     ("40d", "parking.snooze_range")):
        with pytest.raises(InvalidInput) as refused:
            parse_snooze(bad, now, "UTC")
        assert refused.value.key == key


async def test_waiting_nudges_once_in_the_users_language_then_resolves(core: UseCases, clock: Clock) -> None:
    tid = await _ticket(core, text="/human 我的转账被冻结了，请人工处理")
    await core.staff.act(BOB, tid, "wait", event_key="w1", text="Could you send the transaction hash?")
    assert await _state(core, tid) is TicketState.WAITING_ON_USER
    assert any("transaction hash" in x for x in _to_user(await _rows(core, tid)))
    assert any("waiting on the user" in x for x in _desk(await _rows(core, tid)))

    clock.advance(23 * HOUR)
    await core.timers.run()
    assert not any("仍在等待您的回复" in x for x in _to_user(await _rows(core, tid)))
    clock.advance(2 * HOUR)
    await core.timers.run()
    await core.timers.run()
    nudges = [x for x in _to_user(await _rows(core, tid)) if "仍在等待您的回复" in x]
    assert nudges == [f"您好！工单 #{tid} 仍在等待您的回复。直接在这里回复即可继续处理。如果 48 小时内没有回复，工单将自动标记为已解决。"]
    assert any("nudged once" in x for x in _desk(await _rows(core, tid)))
    assert await _state(core, tid) is TicketState.WAITING_ON_USER

    clock.advance(47 * HOUR)
    await core.timers.run()
    assert await _state(core, tid) is TicketState.WAITING_ON_USER  # 48 h after the nudge, not before
    clock.advance(2 * HOUR)
    await core.timers.run()
    await core.timers.run()
    assert await _state(core, tid) is TicketState.RESOLVED
    to_user = _to_user(await _rows(core, tid))
    assert sum("已标记为已解决" in x and "没有收到您的回复" in x for x in to_user) == 1
    assert sum("仍在等待您的回复" in x for x in to_user) == 1
    assert sum("Resolved automatically" in x for x in _desk(await _rows(core, tid))) == 1
    async with core.store.transaction() as tx:
        assert await tx.parking(tid) is None
        kinds = [e.kind for e in await tx.events(tid)]
    assert kinds.count("nudge") == 1 and "resolve" in kinds


async def test_an_answer_from_the_user_clears_waiting_and_no_nudge_follows(core: UseCases, clock: Clock) -> None:
    tid = await _ticket(core)
    await core.staff.act(BOB, tid, "claim", event_key="c1")
    await core.staff.act(BOB, tid, "wait", event_key="w1")
    clock.advance(HOUR)
    await core.dialogue.handle_message(_msg("here is the hash 0x" + "ab" * 32))
    assert await _state(core, tid) is TicketState.CLAIMED  # back with its assignee
    assert any("back in the queue" in x for x in _desk(await _rows(core, tid)))
    clock.advance(30 * HOUR)
    await core.timers.run()
    assert not any("still waiting" in x for x in _to_user(await _rows(core, tid)))
    async with core.store.transaction() as tx:
        assert await tx.parking(tid) is None


async def test_an_ordinary_reply_or_a_claim_starts_no_timer(core: UseCases, clock: Clock) -> None:
    plain = await _ticket(core, "100")
    await core.staff.act(BOB, plain, "reply", event_key="r1", text="let me check with the team")
    parked = await _ticket(core, "101")
    await core.staff.act(BOB, parked, "wait", event_key="w1")
    await core.staff.act(BOB, parked, "claim", event_key="c1")  # staff took it up again ...
    await core.staff.act(BOB, parked, "reply", event_key="r2", text="checking now")  # ... and wrote: no wait
    clock.advance(100 * HOUR)
    await core.timers.run()
    assert await _state(core, plain) is TicketState.WAITING_ON_USER
    assert await _state(core, parked) is TicketState.WAITING_ON_USER
    assert not any("still waiting" in x for x in _to_user(await _rows(core), "100") + _to_user(await _rows(core), "101"))


async def test_a_snoozed_ticket_leaves_the_queue_until_its_time(core: UseCases, clock: Clock) -> None:
    shown = await _ticket(core, "100")
    hidden = await _ticket(core, "101")
    await core.staff.act(BOB, hidden, "snooze", event_key="s1", text="2h")

    def ids(listing: str) -> list[int]:
        return [int(line.split(" ")[0][1:]) for line in listing.splitlines()[1:] if line.startswith("#")]

    assert ids(await core.queue.listing(BOB, "", "en")) == [shown]
    assert ids(await core.queue.listing(BOB, "snoozed", "en")) == [hidden]
    assert any("snoozed this ticket until" in x for x in _desk(await _rows(core, hidden)))
    clock.advance(HOUR)
    await core.timers.run()
    assert ids(await core.queue.listing(BOB, "", "en")) == [shown]
    clock.advance(HOUR + 1)
    await core.timers.run()
    await core.timers.run()
    assert sorted(ids(await core.queue.listing(BOB, "", "en"))) == sorted([shown, hidden])
    assert sum("Snooze over" in x for x in _desk(await _rows(core, hidden))) == 1

    await core.staff.act(BOB, shown, "snooze", event_key="s2", text="tomorrow")
    assert ids(await core.queue.listing(BOB, "", "en")) == [hidden]
    await core.dialogue.handle_message(_msg("any news?", "100"))  # the user writes: back at once
    assert sorted(ids(await core.queue.listing(BOB, "", "en"))) == sorted([shown, hidden])
    await core.staff.act(BOB, hidden, "snooze", event_key="s3", text="1d")
    await core.staff.act(BOB, hidden, "snooze", event_key="s4", text="off")
    assert hidden in ids(await core.queue.listing(BOB, "", "en"))


async def test_parking_is_for_staff_and_live_tickets_only(core: UseCases) -> None:
    tid = await _ticket(core)
    with pytest.raises(NotAllowed):
        await core.staff.act(Actor.at_desk("slack:U9"), tid, "wait", event_key="x1")
    with pytest.raises(InvalidInput):
        await core.staff.act(BOB, tid, "snooze", event_key="x2", text="whenever")
    await core.staff.act(BOB, tid, "close", event_key="x3")
    with pytest.raises(IllegalTransition):
        await core.staff.act(BOB, tid, "wait", event_key="x4")
    with pytest.raises(IllegalTransition):
        await core.staff.act(BOB, tid, "snooze", event_key="x5", text="2h")
    async with core.store.transaction() as tx:
        assert await tx.parking(tid) is None


async def test_each_nudge_and_resolve_fires_once_across_three_processes(
        open_stores: StoreFactory, settings: Settings, faq_engine: FaqEngine, clock: Clock) -> None:
    cores = [UseCases(settings, await open_stores(), faq_engine, code_sender=RecordingCodeSender(), clock=clock)
             for _ in range(3)]
    tickets = []
    for i in range(4):
        tid = await _ticket(cores[i % 3], str(300 + i))
        await cores[(i + 1) % 3].staff.act(BOB, tid, "wait", event_key=f"w{i}")
        tickets.append(tid)
    await cores[0].staff.act(BOB, tickets[0], "snooze", event_key="s0", text="3h")
    clock.advance(25 * HOUR)
    await asyncio.gather(*(c.timers.run() for c in cores), *(c.timers.run() for c in cores))
    clock.advance(49 * HOUR)
    await asyncio.gather(*(c.timers.run() for c in cores), *(c.timers.run() for c in cores))
    assert await asyncio.gather(*(c.timers.run() for c in cores)) == [0, 0, 0]
    rows = await _rows(cores[2])
    for i, tid in enumerate(tickets):
        to_user = _to_user(rows, str(300 + i))
        assert sum("still waiting for your answer" in x for x in to_user) == 1, to_user
        assert sum("is now resolved" in x for x in to_user) == 1, to_user
        assert await _state(cores[i % 3], tid) is TicketState.RESOLVED
    assert sum("Snooze over" in x for x in _desk(rows)) == 1


async def test_a_later_staff_message_restarts_the_wait(core: UseCases, clock: Clock) -> None:
    tid = await _ticket(core)
    await core.staff.act(BOB, tid, "wait", event_key="w1")
    clock.advance(20 * HOUR)
    await core.staff.act(BOB, tid, "reply", event_key="r1", text="any luck finding the hash?")
    clock.advance(10 * HOUR)  # 30 h after the wait, 10 h after the reply
    await core.timers.run()
    assert not any("still waiting" in x for x in _to_user(await _rows(core, tid)))
    clock.advance(15 * HOUR)
    await core.timers.run()
    assert sum("still waiting" in x for x in _to_user(await _rows(core, tid))) == 1


async def test_the_desk_summary_shows_waiting_snooze_and_block(core: UseCases, clock: Clock) -> None:
    tid = await _ticket(core)

    def last_summary(rows: list[dict[str, object]]) -> dict[str, object]:
        return [r["payload"] for r in rows if r["action"] == "desk_upsert"][-1]  # type: ignore[return-value]

    await core.staff.act(BOB, tid, "wait", event_key="w1")
    assert str(last_summary(await _rows(core, tid))["parked"]).startswith("⏳ Waiting on the user since ")
    await core.staff.act(BOB, tid, "snooze", event_key="s1", text="2h")
    assert "💤 Snoozed until" in str(last_summary(await _rows(core, tid))["parked"])
    clock.advance(25 * HOUR)
    await core.timers.run()
    summary = last_summary(await _rows(core, tid))
    assert str(summary["parked"]).startswith("🔔 User nudged") and "Snoozed" not in str(summary["parked"])
    await core.staff.act(BOB, tid, "block", event_key="b1", text="threats")
    summary = last_summary(await _rows(core, tid))
    assert summary["state"] == "closed" and summary["parked"] is None
    assert str(summary["blocked"]).startswith("🚫 User blocked by slack:U1 since ") and "Reason: threats" in str(
        summary["blocked"])
    await core.staff.act(BOB, tid, "unblock", event_key="u1")
    assert last_summary(await _rows(core, tid))["blocked"] is None
