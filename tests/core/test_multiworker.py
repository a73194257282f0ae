"""Several workers on one database: outbox rows delivered exactly once and in
order per chat, a dead worker's lease taken over, inbound events processed once
across cores with separate connection pools, timers fired once.

Every store below is a separate connection (SQLite) or pool (PostgreSQL) on the
same database, as separate processes would have. PostgreSQL tests use their own
schema and drop it.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import pytest

from core.config import Settings
from core.faq_engine import FaqEngine
from core.models import ChatRef, Delivery, DeliveryResult, InboundMessage, UserRef
from core.support.outbox import Effects, OutboxWorker
from core.use_cases import UseCases
from core.storage import Store
from tests.conftest import StoreFactory, Clock, RecordingCodeSender
from tests.waiting import wait_until

class RecordingSender:
    """A platform that records what it was asked to deliver, with a little jitter
    so concurrent workers finish in shuffled order."""

    def __init__(self, *, jitter: float = 0.002, block: bool = False) -> None:
        self.jitter = jitter
        self.block = block
        self.entered: list[Delivery] = []
        self.delivered: list[tuple[str, str, int]] = []  # (worker, chat, n)
        self.name = ""

    def named(self, name: str) -> "RecordingSender":
        clone = RecordingSender(jitter=self.jitter, block=self.block)
        clone.entered, clone.delivered, clone.name = self.entered, self.delivered, name
        return clone

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        self.entered.append(delivery)
        if self.block:
            await asyncio.Event().wait()  # a worker that hangs, then dies, before marking
        self.delivered.append((self.name, delivery.chat_id, int(delivery.payload["n"])))  # type: ignore[arg-type]
        await asyncio.sleep(random.random() * self.jitter)
        return DeliveryResult(external_id=f"m{delivery.id}")


async def _queue(store: Store, per_chat: dict[str, int], *, seed: int = 3) -> None:
    """Enqueue ``per_chat[chat]`` numbered messages per chat, chats interleaved at random."""
    order = [chat for chat, count in per_chat.items() for _ in range(count)]
    random.Random(seed).shuffle(order)
    seen: dict[str, int] = defaultdict(int)
    for start in range(0, len(order), 50):  # several transactions, like several inbound events
        effects = Effects(f"bulk:{start}")
        for chat in order[start:start + 50]:
            effects.send(ChatRef("telegram", chat), f"{chat}/{seen[chat]}", n=seen[chat])
            seen[chat] += 1
        async with store.transaction() as tx:
            await effects.flush(tx, 0.0)


async def test_three_workers_deliver_each_row_once_in_order_per_chat(open_stores: StoreFactory) -> None:
    stores = [await open_stores() for _ in range(3)]
    per_chat = {f"c{i:02d}": 15 for i in range(20)}
    await _queue(stores[0], per_chat)
    sender = RecordingSender()
    workers = [
        OutboxWorker(s, {"telegram": sender.named(f"w{i}")}, batch=4, poll_interval=0.005)
        for i, s in enumerate(stores)
    ]
    tasks = [asyncio.create_task(w.run()) for w in workers]

    async def all_sent() -> bool:
        async with stores[1].transaction() as tx:
            return (await tx.outbox_stats(0.0))["pending"] == 0

    try:
        await wait_until(all_sent, what="every row sent")
    finally:
        for w in workers:
            w.stop()
        await asyncio.gather(*tasks)  # each finished the batch it had: nothing can come after this

    assert len(sender.delivered) == 300
    by_chat: dict[str, list[int]] = defaultdict(list)
    for _worker, chat, n in sender.delivered:
        by_chat[chat].append(n)
    assert {chat: ns for chat, ns in by_chat.items()} == {chat: list(range(15)) for chat in per_chat}
    assert len({w for w, _c, _n in sender.delivered}) >= 2, "the work should be shared"
    async with stores[1].transaction() as tx:
        rows = await tx.deliveries()
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)} and len(rows) == 300


async def test_a_worker_only_claims_rows_it_can_send(open_stores: StoreFactory) -> None:
    tg_store, slack_store = await open_stores(), await open_stores()
    effects = Effects("mixed")
    for n in range(3):
        effects.send(ChatRef("telegram", "t1"), f"tg {n}", n=n)
        effects.send(ChatRef("slack", "C1"), f"slack {n}", n=n)
    async with tg_store.transaction() as tx:
        await effects.flush(tx, 0.0)
    tg, slack = RecordingSender(jitter=0), RecordingSender(jitter=0)
    tg_only = OutboxWorker(tg_store, {"telegram": tg.named("tg")}, max_attempts=2)
    while await tg_only.run_once():
        pass
    assert [(c, n) for _w, c, n in tg.delivered] == [("t1", 0), ("t1", 1), ("t1", 2)]
    async with slack_store.transaction() as tx:
        waiting = await tx.deliveries(status="pending")
    # Slack rows were never touched: no attempt burnt towards the dead letter
    assert [(r.platform, r.attempts) for r in waiting] == [("slack", 0)] * 3
    slack_worker = OutboxWorker(slack_store, {"slack": slack.named("slack")})
    while await slack_worker.run_once():
        pass
    assert [(c, n) for _w, c, n in slack.delivered] == [("C1", 0), ("C1", 1), ("C1", 2)]


async def test_rows_of_a_dead_worker_are_delivered_by_another_after_the_lease(
    open_stores: StoreFactory, clock: Clock
) -> None:
    dying_store, live_store = await open_stores(), await open_stores()
    await _queue(dying_store, {"X": 3, "Y": 1})
    hang = RecordingSender(block=True)
    dying = OutboxWorker(dying_store, {"telegram": hang}, clock=clock, lease_seconds=30.0)
    task = asyncio.create_task(dying.run_once())
    await wait_until(lambda: len(hang.entered) >= 2, what="the heads of X and Y claimed")  # and "sending"
    task.cancel()  # ... and dies without marking anything
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sorted(int(d.payload["n"]) for d in hang.entered) == [0, 0]  # type: ignore[arg-type]

    sender = RecordingSender(jitter=0.0)
    survivor = OutboxWorker(live_store, {"telegram": sender.named("live")}, clock=clock, lease_seconds=30.0)
    clock.advance(10)
    assert await survivor.run_once() == 0  # X's head and Y's head are still leased; X1 waits behind X0
    clock.advance(21)
    for _ in range(5):
        clock.advance(0.01)
        await survivor.run_once()
    assert sorted(sender.delivered) == [("live", "X", 0), ("live", "X", 1), ("live", "X", 2), ("live", "Y", 0)]
    assert [n for _w, c, n in sender.delivered if c == "X"] == [0, 1, 2]
    async with live_store.transaction() as tx:
        # the dead worker's late mark is refused: it no longer holds the lease
        assert not await tx.mark_sent(hang.entered[0].id, dying.owner, None, clock())
        assert {r.status for r in await tx.deliveries()} == {"sent"}


def _inbound(text: str, key: str, *, private: bool) -> InboundMessage:
    user = UserRef("telegram", "777")
    chat = ChatRef("telegram", "777", is_private=True) if private else ChatRef("telegram", "-100", is_private=False)
    return InboundMessage(event_key=key, user=user, chat=chat, text=text, message_id="55", display_name="Mia",
                          addressed=True)


@pytest.mark.parametrize(
    ("text", "private", "expected_rows"),
    [("my transfer has not arrived after two hours", False, 1), ("/human my card was charged twice", True, 3)],
    ids=["faq", "ticket"],
)
async def test_same_event_on_three_cores_is_processed_once(
    open_stores: StoreFactory, settings: Settings, faq_engine: FaqEngine, clock: Clock,
    text: str, private: bool, expected_rows: int,
) -> None:
    cores = [
        UseCases(settings, await open_stores(), faq_engine, code_sender=RecordingCodeSender(), clock=clock)
        for _ in range(3)
    ]
    message = _inbound(text, "telegram:update:9001", private=private)
    outcomes = await asyncio.gather(*(c.dialogue.handle_message(message) for c in cores))
    assert sorted(o.status for o in outcomes) == ["duplicate", "duplicate", "handled"]
    async with cores[2].store.transaction() as tx:
        rows = await tx.deliveries()
        tickets = await tx.tickets()
    assert len(rows) == expected_rows
    assert len({r.idempotency_key for r in rows}) == expected_rows
    assert len(tickets) == (1 if private else 0)


async def test_sla_reminders_fire_once_across_two_cores(
    open_stores: StoreFactory, settings: Settings, faq_engine: FaqEngine, clock: Clock
) -> None:
    cores = [
        UseCases(settings, await open_stores(), faq_engine, code_sender=RecordingCodeSender(), clock=clock)
        for _ in range(2)
    ]
    for i in range(6):
        user = UserRef("telegram", f"{500 + i}")
        out = await cores[i % 2].dialogue.handle_message(InboundMessage(
            event_key=f"tg:open:{i}", user=user, chat=ChatRef("telegram", user.user_id, is_private=True),
            text=f"/human please call me about order {i}", message_id=str(i), display_name=f"U{i}", addressed=True))
        assert out.ticket_id is not None
    clock.advance(25 * 3600)  # every priority's first-response target has passed

    fired = await asyncio.gather(*(c.timers.run() for c in cores), *(c.timers.run() for c in cores))
    again = await asyncio.gather(*(c.timers.run() for c in cores))
    async with cores[0].store.transaction() as tx:
        rows = await tx.deliveries()
    breaches = [r for r in rows if r.action == "desk_post" and "SLA" in r.data["text"]]
    assert sorted(r.ticket_id for r in breaches) == sorted({r.ticket_id for r in breaches})
    assert len(breaches) == 6
    assert sum(fired) == 12  # a breach post and a desk refresh per ticket, from whichever core got there first
    assert again == [0, 0]
