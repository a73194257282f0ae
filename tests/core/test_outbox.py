"""The outbox worker: retries with backoff honouring retry_after, dead letters,
leases, and nothing lost when the process dies between commit and delivery."""

from __future__ import annotations

from pathlib import Path

from core.errors import DeliveryError, RetryLater
from core.models import Delivery, DeliveryResult
from core.support.outbox import Effects, OutboxWorker, backoff_delay
from core.models import ChatRef
from core.storage.sqlite import SQLiteStore
from tests.conftest import Clock


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
    assert [(r["status"], r["attempts"]) for r in rows] == [("dead", 3), ("dead", 1)]
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
