"""Round-robin auto-assignment and tags on every store: turns skip who is off shift,
nothing is assigned outside support hours, the rotation stays fair when two processes
open tickets at once, and tags show on the desk, filter the queue and count in the report."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from core.errors import ConfigError, InvalidInput
from core.faq_engine import FaqEngine
from core.identity.policy import Actor, NotAllowed
from core.models import ChatRef, InboundMessage, UserRef
from core.ops.report import build_report
from core.storage import Store
from core.storage.postgres import PostgresStore
from core.storage.sqlite import SQLiteStore
from core.use_cases import UseCases
from tests.conftest import Clock, RecordingCodeSender, make_settings

STAFF = "U0BOB,U0DAN,U0EVE"
BOB, DAN, EVE = (f"slack:{u}" for u in STAFF.split(","))


def _core(store: Store, tmp_path: Path, faq_engine: FaqEngine, clock: Clock | None = None, **env: str) -> UseCases:
    settings = make_settings(tmp_path, **{"SLACK_STAFF_USERS": STAFF, "WALLETDESK_AUTO_ASSIGN": "round_robin", **env})
    return UseCases(settings, store, faq_engine, code_sender=RecordingCodeSender(), clock=clock or Clock())


async def _open(core: UseCases, user_id: str) -> int:
    user = UserRef("telegram", user_id)
    msg = InboundMessage(f"tg:{user_id}:1", user, ChatRef("telegram", user_id, is_private=True),
                         "I need a human please", "1", display_name=f"User {user_id}", addressed=True)
    out = await core.dialogue.handle_message(msg)
    assert out.ticket_id is not None
    return out.ticket_id


async def _assignee(core: UseCases, ticket_id: int) -> str | None:
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(ticket_id)
    assert ticket is not None
    return ticket.assignee


async def test_turns_go_round_and_skip_who_is_off_shift(store: Store, tmp_path: Path, faq_engine: FaqEngine) -> None:
    core = _core(store, tmp_path, faq_engine)
    first = [await _assignee(core, await _open(core, str(100 + n))) for n in range(4)]
    assert first == [BOB, DAN, EVE, BOB]
    assert (await core.assignment.shift(Actor.at_desk(DAN), "off", "en")).startswith("You are off shift")
    then = [await _assignee(core, await _open(core, str(200 + n))) for n in range(3)]
    assert then == [EVE, BOB, EVE]  # Dan skipped
    await core.assignment.shift(Actor.at_desk(DAN), "on", "zh")
    assert await _assignee(core, await _open(core, "300")) == BOB
    assert await _assignee(core, await _open(core, "301")) == DAN
    with pytest.raises(NotAllowed):
        await core.assignment.shift(Actor.at_desk("slack:U0CAROL"), "off", "en")
    # the desk says who got it
    async with core.store.transaction() as tx:
        posts = [r.data for r in await tx.deliveries(ticket_id=1) if r.action == "desk_post"]
    assert {"kind": "system", "text": f"🎯 Assigned to {BOB} (round robin)."} in posts


async def test_nobody_is_assigned_outside_hours_or_when_all_are_off(store: Store, tmp_path: Path,
                                                                   faq_engine: FaqEngine) -> None:
    # the clock is a Wednesday 14:13 UTC
    closed = _core(store, tmp_path, faq_engine, WALLETDESK_SUPPORT_HOURS="mon-fri 09:00-10:00")
    assert await _assignee(closed, await _open(closed, "100")) is None
    core = _core(store, tmp_path, faq_engine)
    for who in (BOB, DAN, EVE):
        await core.assignment.shift(Actor.at_desk(who), "off", "en")
    assert await _assignee(core, await _open(core, "101")) is None
    off = _core(store, tmp_path, faq_engine, WALLETDESK_AUTO_ASSIGN="off")
    await off.assignment.shift(Actor.at_desk(BOB), "on", "en")
    assert await _assignee(off, await _open(off, "102")) is None
    assert "Auto-assignment is off" in await off.assignment.shift(Actor.at_desk(BOB), "status", "en")


def test_round_robin_without_a_staff_list_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as stopped:
        make_settings(tmp_path, WALLETDESK_AUTO_ASSIGN="round_robin", SLACK_STAFF_GROUP="S0STAFF")
    assert str(stopped.value).startswith("WALLETDESK_AUTO_ASSIGN: round_robin takes turns among SLACK_STAFF_USERS")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_two_processes_share_one_fair_rotation(kind: str, store: Store, tmp_path: Path,
                                                     faq_engine: FaqEngine) -> None:
    """Two stores on one database (two processes) open 24 tickets at once: each of the three
    staff gets 8 (without the row lock, two transactions read the same turn and one person
    gets both tickets)."""
    if (kind == "postgres") != isinstance(store, PostgresStore) or type(store).__name__ in ("AiosqliteStore",
                                                                                             "MemoryStore"):
        pytest.skip("one run per database kind (an in-memory database cannot be shared)")
    second: Store = (PostgresStore(store.dsn, schema=store.schema) if isinstance(store, PostgresStore)  # type: ignore[attr-defined]
                     else SQLiteStore(tmp_path / "test.db"))
    await second.open()
    try:
        cores = [_core(s, tmp_path, faq_engine) for s in (store, second)]
        ids = await asyncio.gather(*(_open(cores[n % 2], str(1000 + n)) for n in range(24)))
        assignees = [await _assignee(cores[0], i) for i in sorted(ids)]
    finally:
        await second.close()
    assert Counter(assignees) == {BOB: 8, DAN: 8, EVE: 8}, assignees


async def test_tags_show_on_the_desk_and_count_in_the_report(store: Store, tmp_path: Path,
                                                             faq_engine: FaqEngine) -> None:
    clock = Clock()
    core = _core(store, tmp_path, faq_engine, clock, WALLETDESK_AUTO_ASSIGN="off")
    bob = Actor.at_desk(BOB)
    one, two = await _open(core, "100"), await _open(core, "101")
    await core.staff.act(bob, one, "tag", event_key="t1", text="add vip")
    await core.staff.act(bob, one, "tag", event_key="t2", text="add #Refund")
    await core.staff.act(bob, one, "tag", event_key="t3", text="add vip")  # already there: nothing changes
    await core.staff.act(bob, two, "tag", event_key="t4", text="add vip")
    with pytest.raises(InvalidInput) as absent:
        await core.staff.act(bob, two, "tag", event_key="t5", text="remove refund")
    assert absent.value.key == "tag.not_there"
    with pytest.raises(InvalidInput):
        await core.staff.act(bob, two, "tag", event_key="t6", text="add two words")
    await core.staff.act(bob, two, "tag", event_key="t7", text="add spam")
    await core.staff.act(bob, two, "tag", event_key="t8", text="remove spam")
    async with core.store.transaction() as tx:
        upserts = [r.data for r in await tx.deliveries(ticket_id=one) if r.action == "desk_upsert"]
    assert upserts[-1]["tags"] == "🏷 Tags: refund, vip" and upserts[-1]["tag_list"] == ["refund", "vip"]
    vip = await core.queue.listing(bob, "#vip", "en")
    assert vip.splitlines()[0] == "🗂 2 ticket(s) · #vip"
    assert [line.split(" ")[0] for line in vip.splitlines()[1:]] == [f"#{one}", f"#{two}"]
    assert (await core.queue.listing(bob, "#refund open", "en")).splitlines()[0] == "🗂 1 ticket(s) · #refund open"
    assert (await core.queue.listing(bob, "#spam", "en")).splitlines()[1] == "Nothing waiting here."
    report = await build_report(store, since=clock() - 3600, now=clock() + 1,
                                sla_first_response=core.settings.sla_first_response)
    assert report.by_tag == {"vip": 2, "refund": 1}
    assert report.as_json()["by_tag"] == {"vip": 2, "refund": 1}
