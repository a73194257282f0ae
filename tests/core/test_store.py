"""The store contract, run unchanged against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from core.models import ChatRef, Priority, TicketEvent, TicketState, UserRef
from core.storage import Store, store_for_url
from core.errors import ConfigError

ALICE = UserRef("telegram", "1")
BOB = UserRef("discord", "2")
CHAT = ChatRef("telegram", "1", is_private=True)


async def test_event_is_claimed_once(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.claim_event("telegram:update:1", 1.0)
        assert not await tx.claim_event("telegram:update:1", 2.0)


async def test_rollback_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.claim_event("e1", 1.0)
            raise RuntimeError("crash")
    async with store.transaction() as tx:
        assert await tx.claim_event("e1", 1.0)


async def test_ticket_round_trip_and_update(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.upsert_user(ALICE, "Alice", "zh", 1.0)
        ticket = await tx.create_ticket(user=ALICE, origin=CHAT, origin_message_id="9", priority=Priority.HIGH,
                                        category="gas-fees", lang="zh", subject="手续费太贵", now=1.0)
        await tx.update_ticket(ticket.id, state="claimed", assignee="slack:U1", updated_at=2.0)
        await tx.add_event(TicketEvent(ticket.id, "claim", "slack:U1", None, 2.0))
    async with store.transaction() as tx:
        got = await tx.get_ticket(ticket.id)
        assert got is not None and got.state is TicketState.CLAIMED and got.assignee == "slack:U1"
        assert got.origin == CHAT and got.priority is Priority.HIGH and got.subject == "手续费太贵"
        assert [e.kind for e in await tx.events(ticket.id)] == ["claim"]
        assert (await tx.active_ticket_for([ALICE.key])).id == ticket.id
        user = await tx.get_user(ALICE.key)
        assert user is not None and user.lang == "zh"
        with pytest.raises(ValueError):
            await tx.update_ticket(ticket.id, user_key="x")


async def test_linked_users_share_history(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.upsert_user(ALICE, "Alice", "en", 1.0)
        await tx.upsert_user(BOB, "Bob", "en", 1.0)
        assert await tx.linked_user_keys(ALICE.key) == [ALICE.key]
        await tx.link_users(ALICE.key, BOB.key)  # not confirmed: shares nothing
        assert await tx.linked_user_keys(BOB.key) == [BOB.key]
        await tx.link_users(ALICE.key, BOB.key, confirmed_at=2.0)
        assert sorted(await tx.linked_user_keys(BOB.key)) == sorted([ALICE.key, BOB.key])


async def test_outbox_idempotency_key_is_unique(store: Store) -> None:
    async with store.transaction() as tx:
        args = dict(platform="telegram", action="send", chat_id="1", thread_id=None, payload={"text": "hi"}, now=1.0)
        assert await tx.enqueue(idempotency_key="k1", **args)
        assert not await tx.enqueue(idempotency_key="k1", **args)
        assert len(await tx.deliveries()) == 1


async def test_claim_keeps_per_chat_order_and_leases(store: Store) -> None:
    async with store.transaction() as tx:
        for i in range(3):
            await tx.enqueue(platform="telegram", action="send", chat_id="A", thread_id=None, payload={"n": i},
                             idempotency_key=f"a{i}", now=1.0)
        await tx.enqueue(platform="telegram", action="send", chat_id="B", thread_id=None, payload={"n": 0},
                         idempotency_key="b0", now=1.0)
    async with store.transaction() as tx:
        first = await tx.claim_deliveries("w1", 10.0, 30.0, 10)
    # only the head of each chat
    assert sorted((d.chat_id, d.payload["n"]) for d in first) == [("A", 0), ("B", 0)]
    async with store.transaction() as tx:
        assert await tx.claim_deliveries("w2", 11.0, 30.0, 10) == []  # leased, and A's head blocks A
        head_a = next(d for d in first if d.chat_id == "A")
        assert await tx.mark_sent(head_a.id, "w1", "m1", 12.0)
        nxt = await tx.claim_deliveries("w2", 12.0, 30.0, 10)
    assert [(d.chat_id, d.payload["n"]) for d in nxt] == [("A", 1)]
    # w1 crashed with B's head: after the lease it goes to another worker
    async with store.transaction() as tx:
        again = await tx.claim_deliveries("w3", 41.0, 30.0, 10)
        assert ("B", 0) in [(d.chat_id, d.payload["n"]) for d in again]
        b = next(d for d in again if d.chat_id == "B")
        assert not await tx.mark_sent(b.id, "w1", None, 42.0)  # the old owner lost its lease
        assert await tx.mark_sent(b.id, "w3", None, 42.0)


async def test_failed_delivery_retries_then_dead_letters(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.enqueue(platform="slack", action="send", chat_id="C", thread_id=None, payload={}, idempotency_key="x",
                         now=1.0)
        (d,) = await tx.claim_deliveries("w", 1.0, 30.0, 5)
        await tx.mark_failed(d.id, "w", "429", 100.0)
        assert await tx.claim_deliveries("w", 50.0, 30.0, 5) == []
        (d,) = await tx.claim_deliveries("w", 100.0, 30.0, 5)
        assert d.attempts == 1
        await tx.mark_failed(d.id, "w", "500", None)
        dead = await tx.get_delivery(d.id)
        assert dead is not None and dead.status == "dead"
        stats = await tx.outbox_stats(200.0)
        assert stats["dead"] == 1 and stats["pending"] == 0


async def test_secrets_attempts_and_revocation(store: Store) -> None:
    async with store.transaction() as tx:
        sid = await tx.insert_secret(user_key="u", ticket_id=None, purpose="verify", secret_hash="h", data={"a": 1},
                                     now=1.0, expires_at=100.0)
        secret = await tx.live_secret("u", "verify", 2.0)
        assert secret is not None and secret.data == {"a": 1}
        assert await tx.live_secret("u", "verify", 100.0) is None  # expired
        assert await tx.bump_secret_attempts(sid, 2) == 1
        assert await tx.bump_secret_attempts(sid, 2) == 2
        assert await tx.live_secret("u", "verify", 2.0) is None  # revoked at the limit
        assert await tx.count_secrets_since("u", "verify", 0.0) == 1


async def test_concurrent_transactions_do_not_interleave(store: Store) -> None:
    async def bump(i: int) -> None:
        async with store.transaction() as tx:
            await tx.claim_event(f"c{i}", 1.0)
            await asyncio.sleep(0)
    await asyncio.gather(*(bump(i) for i in range(20)))
    async with store.transaction() as tx:
        assert all([not await tx.claim_event(f"c{i}", 1.0) for i in range(20)])


def test_unknown_database_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="WALLETDESK_DATABASE_URL"):
        store_for_url("mysql://x")


async def test_upsert_user_keeps_what_is_not_given(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.upsert_user(ALICE, "Alice", "zh", 1.0)
        await tx.upsert_user(ALICE, "", None, 2.0)  # no name, no language: both kept
        kept = await tx.get_user(ALICE.key)
        await tx.upsert_user(ALICE, "Alice L.", "en", 3.0)
        changed = await tx.get_user(ALICE.key)
    assert kept is not None and (kept.display_name, kept.lang) == ("Alice", "zh")
    assert changed is not None and (changed.display_name, changed.lang) == ("Alice L.", "en")
