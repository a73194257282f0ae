"""The outbox worker: retries with backoff honouring retry_after, dead letters,
leases, and nothing lost when the process dies between commit and delivery."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.errors import DeliveryError, RateLimited, RetryLater
from core.models import Delivery, DeliveryResult
from core.support.outbox import Effects, OutboxWorker, backoff_delay
from core.models import ChatRef
from core.storage.sqlite import SQLiteStore
from core.support.ratelimit import ChatRateLimiter
from tests.conftest import Clock
from tests.waiting import wait_until


class FlakySender:
    """A platform that fails the first ``fail`` calls with the given error."""

    platform = "telegram"

    def __init__(self, errors: list[Exception] | None = None) -> None:
        self.errors = list(errors or [])
        self.delivered: list[Delivery] = []

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(delivery)
        return DeliveryResult(external_id=f"m{len(self.delivered)}")


async def queue(store: SQLiteStore, cause: str, *texts: str, chat: str = "1") -> None:
    effects = Effects(cause)
    for text in texts:
        effects.send(ChatRef("telegram", chat), text)
    async with store.transaction() as tx:
        await effects.flush(tx, 0.0)


async def test_retry_after_is_honoured(sqlite_store: SQLiteStore, clock: Clock) -> None:
    sender = FlakySender([RetryLater("429", retry_after=30.0)])
    worker = OutboxWorker(sqlite_store, {"telegram": sender}, clock=clock)
    await queue(sqlite_store, "c", "hello")
    assert await worker.run_once() == 1 and sender.delivered == []
    clock.advance(29)
    assert await worker.run_once() == 0
    clock.advance(2)
    assert await worker.run_once() == 1
    assert [d.payload["text"] for d in sender.delivered] == ["hello"]


async def test_a_row_rate_limited_more_often_than_max_attempts_is_delivered_and_never_waits_more(
        sqlite_store: SQLiteStore, clock: Clock) -> None:
    # several workers share one bot's windows: a busy chat's row may be refused again and again
    sender = FlakySender([RateLimited("429", retry_after=2.0)] * 10)
    worker = OutboxWorker(sqlite_store, {"telegram": sender}, clock=clock, max_attempts=3)
    await queue(sqlite_store, "rl", "hello")
    for refusal in range(10):
        assert await worker.run_once() == 1, refusal
        clock.advance(1.9)
        assert await worker.run_once() == 0  # never before the platform's retry_after
        clock.advance(0.2)  # ... and not later than it either (no backoff growing with the refusals)
    assert await worker.run_once() == 1
    assert [d.payload["text"] for d in sender.delivered] == ["hello"]
    async with sqlite_store.transaction() as tx:
        (row,) = await tx.deliveries()
    assert row.status == "sent" and row.attempts == 1  # the send that went out; no refusal counted


async def test_dead_letter_after_max_attempts_and_permanent_errors(sqlite_store: SQLiteStore, clock: Clock) -> None:
    results: list[tuple[bool, str | None]] = []
    sender = FlakySender([RetryLater("500")] * 3)
    worker = OutboxWorker(sqlite_store, {"telegram": sender}, clock=clock, max_attempts=3,
                          on_result=lambda d, ok, err, ext: results.append((ok, err)))
    await queue(sqlite_store, "a", "one", chat="A")
    for _ in range(5):
        clock.advance(1000)
        await worker.run_once()
    assert results == [(False, "500")]  # reported once, when it gave up
    sender.errors = [DeliveryError("403 forbidden")]
    await queue(sqlite_store, "b", "two", chat="B")
    await worker.run_once()  # a permanent refusal is not retried
    async with sqlite_store.transaction() as tx:
        rows = await tx.deliveries()
    assert [(r.status, r.attempts) for r in rows] == [("dead", 3), ("dead", 1)]
    assert sender.delivered == []


async def test_order_within_a_chat_survives_failures(sqlite_store: SQLiteStore, clock: Clock) -> None:
    sender = FlakySender([RetryLater("429", retry_after=1)])
    worker = OutboxWorker(sqlite_store, {"telegram": sender}, clock=clock)
    await queue(sqlite_store, "c", "first", "second", "third")
    for _ in range(6):
        clock.advance(5)
        await worker.run_once()
    assert [d.payload["text"] for d in sender.delivered] == ["first", "second", "third"]


async def test_crash_between_commit_and_delivery_loses_nothing(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "crash.db"
    store = SQLiteStore(path)
    await store.open()
    await queue(store, "c", "survives")
    # the worker claims, then the process dies before delivering
    async with store.transaction() as tx:
        await tx.claim_deliveries("dead-worker", clock(), 30.0, 10)
    await store.close()

    store = SQLiteStore(path)
    await store.open()
    sender = FlakySender()
    worker = OutboxWorker(store, {"telegram": sender}, clock=clock, lease_seconds=30.0)
    assert await worker.run_once() == 0  # still leased by the dead worker
    clock.advance(31)
    assert await worker.run_once() == 1
    assert [d.payload["text"] for d in sender.delivered] == ["survives"]
    clock.advance(100)
    assert await worker.run_once() == 0  # and only once
    await store.close()


async def test_sender_crash_is_contained(sqlite_store: SQLiteStore, clock: Clock) -> None:
    sender = FlakySender([KeyError("bug")])
    worker = OutboxWorker(sqlite_store, {"telegram": sender}, clock=clock)
    await queue(sqlite_store, "c", "x")
    await worker.run_once()
    clock.advance(10)
    await worker.run_once()
    assert len(sender.delivered) == 1


def test_backoff_grows_and_respects_retry_after() -> None:
    assert backoff_delay(0, None) <= 1.0
    assert 16 <= backoff_delay(5, None) * 2 <= 64 * 2
    assert backoff_delay(0, 42.0) == 42.0
    assert backoff_delay(50, None) <= 300.0


class VirtualTime:
    """A clock and a sleep that only move when the test says so (no waiting)."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self._sleepers: list[tuple[float, "asyncio.Future[None]"]] = []
        self._awake: set[asyncio.Task[object] | None] = set()
        self._tasks: dict["asyncio.Future[None]", asyncio.Task[object] | None] = {}

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        task = asyncio.current_task()
        self._awake.discard(task)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        self._tasks[future] = task
        await future

    def sleeping(self) -> int:
        self._sleepers = [(t, f) for t, f in self._sleepers if not f.done()]
        return len(self._sleepers)

    def settled(self) -> bool:
        """Every sleeper woken by the last advance has gone back to sleep or finished."""
        return all(task is None or task.done() for task in self._awake)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for target, future in self._sleepers:
            if target <= self.now and not future.done():
                future.set_result(None)
                self._awake.add(self._tasks.pop(future))


class LimitedSender:
    """Telegram's real group windows (30/s overall, 1/s per chat, 20 per 60 s per group) on virtual time."""

    def __init__(self, time_: VirtualTime) -> None:
        self.limiter = ChatRateLimiter((30, 1.0), (1, 1.0), (20, 60.0), clock=time_, sleep=time_.sleep)
        self.sent: list[tuple[str, int]] = []

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        await self.limiter.acquire(delivery.chat_id, is_group=True)
        self.sent.append((delivery.chat_id, delivery.id))
        return DeliveryResult(external_id=str(delivery.id))


async def test_a_row_waiting_a_minute_in_the_group_limiter_is_never_claimed_by_a_second_worker(
        sqlite_store: SQLiteStore) -> None:
    vt = VirtualTime()
    sender = LimitedSender(vt)
    for n in range(20):  # the group's 20 messages of this minute are already out
        await sender.limiter.acquire("-100group", is_group=True)
        vt.advance(1.0)
    await queue(sqlite_store, "late", "the 21st", chat="-100group")
    first = OutboxWorker(sqlite_store, {"telegram": sender}, clock=vt, sleep=vt.sleep)
    second = OutboxWorker(sqlite_store, {"telegram": LimitedSender(vt)}, clock=vt, sleep=vt.sleep)
    sending = asyncio.create_task(first.run_once())
    await wait_until(lambda: vt.sleeping() >= 1, what="first worker waiting in the limiter")
    await wait_until(vt.settled, what="everything asleep")
    for _ in range(39):  # 39 s of virtual time, past the 30 s lease, with the row still in the limiter
        vt.advance(1.0)
        await wait_until(vt.settled, what="woken sleepers asleep again")
        assert await second.run_once() == 0, f"re-claimed at t+{vt.now - 1_020:.0f}s while still being sent"
    assert not sending.done()
    while not sending.done():
        vt.advance(1.0)
        await wait_until(lambda: sending.done() or vt.settled(), what="limiter wait over")
    assert await sending == 1
    assert await second.run_once() == 0
    assert [chat for chat, _id in sender.sent] == ["-100group"]
    async with sqlite_store.transaction() as tx:
        assert [r.status for r in await tx.deliveries()] == ["sent"]
