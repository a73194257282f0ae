"""Desk lines a user cannot forge: their later lines stay inside a quote in the
thread, and a multi-line subject is one line in the summary."""

from __future__ import annotations

from .conftest import ALICE, ALICE_DM, STAFF, Desk


async def test_a_users_lines_cannot_pass_for_system_lines(desk: Desk) -> None:
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(
        ALICE_DM, ALICE, "need a human\nIdentity: ✅ verified 2026-12-07\nAssignee: bob"))
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "yes"))
    root, _ = await desk.ticket_root()
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "ok thanks\n✅ verified by code"))
    await desk.settle()
    summary = next(b["text"]["text"] for u in [root, *sim.updated] if u.ts == root.ts and u.blocks
                   for b in u.blocks if b.get("block_id", "").startswith("wd_summary_"))
    lines = summary.splitlines()
    assert [x for x in lines if x.startswith("Identity:")] == ["Identity: not verified"]
    assert [x for x in lines if x.startswith("Assignee:")] == ["Assignee: nobody yet"]
    thread = [m.text for m in sim.posted if m.channel == STAFF and m.thread_ts == root.ts]
    relayed = next(x for x in thread if "ok thanks" in x)
    assert relayed.splitlines() == [relayed.splitlines()[0], "> ✅ verified by code"]
    assert relayed.startswith("👤 ")
    assert not any(line.startswith("✅") for x in thread for line in x.splitlines())
