"""A store outage while Slack events arrive (issue 16 item 2). Message events are
processed before Slack gets its answer: while the store is down the answer is a
500, so Slack retries (``X-Slack-Retry-Num``); the retry after the store is back
is processed once, and later retries of it are refused by its event key."""

from __future__ import annotations

import pytest

from tests.outage import StoreOutage, messages_in, store_failures

from .conftest import ALICE, ALICE_DM, BOB, STAFF, Desk


async def test_a_message_event_is_answered_500_while_the_store_is_down_and_processed_once(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    sim, metrics = desk.sim, desk.core.metrics
    sim.auto_retry = False  # this test plays Slack's retries by hand, each at a known moment
    with StoreOutage(desk.store.path, monkeypatch):
        first = await sim.user_says(desk.url, ALICE_DM, ALICE, "what are your support hours?")
        again = await sim.redeliver(desk.url, first.event_id, retry_num=1, retry_reason="http_error")
    assert (first.status, again.status) == (500, 500)
    assert store_failures(metrics, "slack") == 2 and sim.messages_in(ALICE_DM) == []
    kept = await sim.redeliver(desk.url, first.event_id, retry_num=2, retry_reason="http_error")
    late = await sim.redeliver(desk.url, first.event_id, retry_num=3, retry_reason="http_timeout")
    assert (kept.status, late.status) == (200, 200)
    await desk.settle()
    assert len(sim.messages_in(ALICE_DM)) == 1 and messages_in(metrics, "slack") == 1


async def test_a_staff_reply_is_answered_500_while_the_store_is_down_and_relayed_once(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = desk.sim
    sim.auto_retry = False  # this test plays Slack's retries by hand, each at a known moment
    assert (await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "human"))).status == 200
    root, _ticket = await desk.ticket_root()
    await desk.settle()
    before = len(sim.messages_in(ALICE_DM))
    said = sim.user_message_event(STAFF, BOB, "please send the transaction hash", thread_ts=root.ts)
    with StoreOutage(desk.store.path, monkeypatch):
        first = await sim.send_event(desk.url, said)
    assert first.status == 500
    assert (await sim.redeliver(desk.url, first.event_id, retry_num=1, retry_reason="http_error")).status == 200
    assert (await sim.redeliver(desk.url, first.event_id, retry_num=2, retry_reason="http_error")).status == 200
    await desk.settle()
    relayed = [m.text for m in sim.messages_in(ALICE_DM)[before:]]
    assert len(relayed) == 1 and "transaction hash" in relayed[0]
