"""Durable delivery: every outgoing message is an outbox row first, written in
the same transaction as the state change that caused it, then delivered by
:class:`OutboxWorker` with retries, backoff honouring ``retry_after``, and a
dead-letter state staff can see."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import socket
import time
import uuid
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from core.contract import DESK_ACTIONS
from core.errors import DeliveryError, RateLimited, RetryLater, StoreError
from core.models import ChatRef, Delivery, UserRef
from core.storage import SqlTx, Store
from core.storage.turn_rows import Queued

__all__ = ["Effects", "OutboxWorker", "backoff_delay"]

_LOGGER = logging.getLogger(__name__)
_FILE_SLOTS = 2  # file deliveries in flight per worker (each holds up to WALLETDESK_FILES_MAX_BYTES)


def backoff_delay(attempts: int, retry_after: float | None, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff with jitter, never sooner than the platform's retry_after."""
    delay = min(cap, base * (2 ** max(0, attempts))) * (0.5 + random.random() / 2)
    return max(delay, retry_after or 0.0)


@dataclass(slots=True)
class _Row:
    platform: str
    action: str
    chat_id: str
    thread_id: str | None
    payload: dict[str, object]
    ticket_id: int | None
    chat_key: str | None


@dataclass(slots=True)
class Effects:
    """Collects the deliveries one use case causes; :meth:`flush` writes them in
    the caller's transaction with keys derived from the cause, so replaying the
    same cause can never queue a message twice."""

    cause: str
    rows: list[_Row] = field(default_factory=list)

    def send(self, chat: ChatRef, text: str, *, reply_to: str | None = None, ticket_id: int | None = None,
             **extra: object) -> None:
        payload: dict[str, object] = {"text": text, **extra}
        if reply_to:
            payload["reply_to"] = reply_to
        self.rows.append(_Row(chat.platform, "send", chat.chat_id, chat.thread_id, payload, ticket_id, None))

    def dm(self, user: UserRef, text: str, *, fallback: ChatRef | None = None, ticket_id: int | None = None,
           **extra: object) -> None:
        """A private message; ``fallback`` is where to say so when the platform
        won't let the bot open a private chat (Telegram before /start)."""
        payload: dict[str, object] = {"text": text, "user_id": user.user_id, **extra}
        if fallback is not None:
            payload["fallback_chat_id"] = fallback.chat_id
        self.rows.append(_Row(user.platform, "dm", user.user_id, None, payload, ticket_id, f"{user.platform}:dm:{user.user_id}"))

    def send_file(self, chat: ChatRef, payload: dict[str, object], *, ticket_id: int) -> None:
        """A kept file (``payload["file_id"]``) to a chat; the worker loads its bytes for the send."""
        self.rows.append(_Row(chat.platform, "send_file", chat.chat_id, chat.thread_id, dict(payload), ticket_id, None))

    def dm_file(self, user: UserRef, payload: dict[str, object], *, ticket_id: int) -> None:
        """A kept file to the user's private chat, in order with the ``dm`` rows to them."""
        self.rows.append(_Row(user.platform, "dm_file", user.user_id, None, {**payload, "user_id": user.user_id},
                              ticket_id, f"{user.platform}:dm:{user.user_id}"))

    def delete(self, chat: ChatRef, message_id: str) -> None:
        self.rows.append(_Row(chat.platform, "delete", chat.chat_id, chat.thread_id, {"message_id": message_id}, None, None))

    def desk(self, desk: ChatRef, action: str, ticket_id: int, payload: dict[str, object] | None = None) -> None:
        """A staff-desk row; keyed per ticket so one ticket's lines stay in order.
        ``action`` is one of the contract's desk actions (core.contract.DESK_ACTIONS)."""
        if action not in DESK_ACTIONS:
            raise ValueError(f"{action!r} is no desk action of the contract: {sorted(DESK_ACTIONS)}")
        self.rows.append(
            _Row(desk.platform, action, desk.chat_id, None, dict(payload or {}), ticket_id, f"desk:{ticket_id}")
        )

    async def flush(self, tx: SqlTx, now: float) -> int:
        """Write the rows (one statement for all of them); how many were new."""
        if not self.rows:
            return 0
        queued = await tx.enqueue_many(
            [Queued(row.platform, row.action, row.chat_id, row.thread_id, row.payload, f"{self.cause}#{n}",
                    row.ticket_id, row.chat_key) for n, row in enumerate(self.rows)], now)
        self.rows.clear()
        return queued


class OutboxWorker:
    """Claims due rows (a lease, so a crashed worker's rows come back), hands each
    to its platform's sender and records the outcome.

    Args:
        store: the store.
        senders: platform name -> sender.
        on_result: called after each row with (delivery, ok, error) for metrics and
            the desk's delivered / failed marks.
        lease_seconds: how long a claim holds before another worker may take the row; renewed
            every third of it while the row is being sent (a send may wait a minute in a rate
            limiter or a platform timeout), so a live worker never loses a row it is sending.
        sleep: the wait between renewals (tests inject a virtual clock with ``clock``).
    """

    def __init__(
        self, store: Store, senders: Mapping[str, object], *, max_attempts: int = 8, lease_seconds: float = 30.0,
        batch: int = 50, poll_interval: float = 0.2, clock: Callable[[], float] = time.time,
        on_result: Callable[[Delivery, bool, str | None, str | None], object] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._sleep = sleep
        self.store = store
        self.senders = senders
        self.max_attempts = max_attempts
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.poll_interval = poll_interval
        self.clock = clock
        self.on_result = on_result
        self.owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._file_slots = asyncio.Semaphore(_FILE_SLOTS)

    def wake(self) -> None:
        self._wake.set()

    async def deliver_now(self, delivery: Delivery) -> bool:
        """Hand one delivery to its sender without the store (used while the store is
        down); True when the platform took it."""
        outcome = await self._send(delivery, None)
        if outcome.error:
            _LOGGER.warning("outbox: direct %s on %s failed: %s", delivery.action, delivery.platform, outcome.error)
        return outcome.error is None

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                done = await self.run_once()
            except StoreError as exc:
                _LOGGER.warning("outbox: store unavailable (%s); retrying", exc)
                done = 0
                await asyncio.sleep(1.0)
            except Exception:  # the delivery loop must never die
                _LOGGER.exception("outbox: unexpected error; retrying")
                done = 0
                await asyncio.sleep(1.0)
            if done == 0 and not self._stopping:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                except asyncio.TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Deliver one batch; returns how many rows were attempted. Each row's
        outcome is recorded as soon as its send returns, so one slow platform
        call never holds the others' marks past their lease."""
        now = self.clock()
        async with self.store.transaction() as tx:
            claimed = await tx.claim_deliveries(self.owner, now, self.lease_seconds, self.batch,
                                                platforms=sorted(self.senders))
            # a chat's head row only, so no two rows of one ticket's desk thread are in a batch
            refs = {d.id: await self._desk_ref(tx, d) for d in claimed}
        if not claimed:
            return 0
        results = await asyncio.gather(*(self._deliver(d, refs[d.id]) for d in claimed), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]
        return len(claimed)

    async def _deliver(self, delivery: Delivery, desk_ref: str | None) -> None:
        beat = asyncio.create_task(self._heartbeat(delivery.id))
        try:
            if "file_id" in delivery.payload:  # a file's bytes in memory: a few at a time, not a batch's worth
                async with self._file_slots:
                    outcome = await self._send(delivery, desk_ref)
            else:
                outcome = await self._send(delivery, desk_ref)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
        async with self.store.transaction() as tx:
            await self._record(tx, outcome, self.clock())
        if (outcome.error is None or outcome.retry_at is None) and self.on_result is not None:
            await _maybe_await(self.on_result(delivery, outcome.error is None, outcome.error, outcome.external))

    async def _heartbeat(self, delivery_id: int) -> None:
        """Keep the lease on a row while its send is in flight."""
        while True:
            await self._sleep(self.lease_seconds / 3)
            try:
                async with self.store.transaction() as tx:
                    held = await tx.renew_lease(delivery_id, self.owner, self.clock() + self.lease_seconds)
            except StoreError as exc:
                _LOGGER.warning("outbox: could not renew the lease on delivery %d: %s", delivery_id, exc)
                continue
            if not held:
                return

    @staticmethod
    async def _desk_ref(tx: SqlTx, delivery: Delivery) -> str | None:
        if delivery.ticket_id is None or not delivery.action.startswith("desk_"):
            return None
        ticket = await tx.get_ticket(delivery.ticket_id, lock=False)  # never wait behind a staff action
        return ticket.desk_ref if ticket else None

    async def _send(self, delivery: Delivery, desk_ref: str | None) -> _Outcome:
        out = _Outcome(delivery, desk_ref=desk_ref)
        sender = self.senders.get(delivery.platform)
        try:
            if sender is None:
                raise RetryLater(f"no sender for platform {delivery.platform!r} in this process", retry_after=5.0)
            if delivery.action in ("desk_post", "desk_file") and desk_ref is None:
                raise RetryLater("desk root message not posted yet", retry_after=1.0)
            if "file_id" in delivery.payload:  # the bytes wait in the store, not in the payload
                async with self.store.transaction() as tx:
                    blob = await tx.get_file(int(str(delivery.payload["file_id"])))
                if blob is None:
                    raise DeliveryError("the file is no longer kept (purged or forgotten)")
                delivery = dataclasses.replace(delivery, file=blob)
            result = await sender.deliver(delivery, desk_ref=desk_ref)  # type: ignore[attr-defined]
            out.external = result.external_id
        except RateLimited as exc:
            # the platform's 429: the message is fine and may go after retry_after; no attempt is
            # counted and the wait does not grow (backoff_delay(0, ...): its jitter, or retry_after)
            out.error = str(exc) or "rate limited"
            out.retry_at = self.clock() + backoff_delay(0, exc.retry_after)
            out.rate_limited = True
        except RetryLater as exc:
            out.error = str(exc) or "retry later"
            if delivery.attempts + 1 < self.max_attempts:
                out.retry_at = self.clock() + backoff_delay(delivery.attempts, exc.retry_after)
        except DeliveryError as exc:
            out.error = str(exc) or "refused"
        except Exception as exc:  # a sender bug must not kill the worker
            _LOGGER.exception("outbox: sender %s crashed on delivery %d", delivery.platform, delivery.id)
            out.error = f"{type(exc).__name__}: {exc}"
            if delivery.attempts + 1 < self.max_attempts:
                out.retry_at = self.clock() + backoff_delay(delivery.attempts, None)
        return out

    async def _record(self, tx: SqlTx, o: _Outcome, now: float) -> None:
        d = o.delivery
        if o.error is None:
            await tx.mark_sent(d.id, self.owner, o.external, now)
            if "file_id" in d.payload:  # delivered: its bytes are kept no longer
                await tx.delete_file(int(str(d.payload["file_id"])))
            if d.action == "desk_upsert" and o.external and o.desk_ref is None and d.ticket_id:
                await tx.update_ticket(d.ticket_id, desk_ref=o.external)
            return
        await tx.mark_failed(d.id, self.owner, o.error, o.retry_at, count_attempt=not o.rate_limited)
        if o.rate_limited:  # the platform's pacing, not a failure: no warning per row
            _LOGGER.info("outbox: delivery %d to %s rate limited; again at %.1f", d.id, d.platform, o.retry_at or 0.0)
            return
        _LOGGER.warning("outbox: delivery %d to %s failed (attempt %d): %s%s", d.id, d.platform, d.attempts + 1,
                        o.error, "" if o.retry_at else " -> dead letter")


@dataclass(slots=True)
class _Outcome:
    delivery: Delivery
    error: str | None = None
    retry_at: float | None = None
    external: str | None = None
    desk_ref: str | None = None
    rate_limited: bool = False  # a 429: retried without counting an attempt


async def _maybe_await(value: object) -> None:
    if asyncio.iscoroutine(value):
        await value
