"""Row locks on PostgreSQL: two real OS processes, each with its own store, race
staff actions and ticket opening. Only legal final states, one open ticket per
user, and a second state change waits for the first to commit."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from core.config import load_settings
from core.errors import IllegalTransition
from core.identity.policy import Actor
from core.models import ChatRef, Priority, TicketState, UserRef
from core.storage import Store
from core.storage.postgres import PostgresStore
from core.storage.sqlite import SQLiteStore
from core.support.tickets import next_state
from core.use_cases import UseCases
from tests.waiting import wait_until

PG_DSN = os.environ.get("WALLETDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ROUNDS = 30
# (first process's action, second process's action): each pair races on one ticket per round
RACES = [("close", "reply"), ("resolve", "reopen")]


def _use_cases(store: Store, data_dir: str) -> UseCases:
    settings = load_settings({"WALLETDESK_DATA_DIR": data_dir, "WALLETDESK_SECRET_KEY": "test-secret",
                              "WALLETDESK_SUPPORT_HOURS": "mon-sun 00:00-23:59"})
    return UseCases(settings, store, None, code_sender=None)  # type: ignore[arg-type]  # no FAQ, no codes here


def _store(where: str) -> Store:
    """``where``: a PostgreSQL schema name, or a SQLite file path (single writer: no locks needed)."""
    return SQLiteStore(where) if where.endswith(".db") else PostgresStore(PG_DSN, schema=where)


async def _racer(where: str, side: int, data_dir: str, barrier: object, ticket_ids: list[int]) -> None:
    store = _store(where)
    await store.open()
    core = _use_cases(store, data_dir)
    staff = Actor.at_desk("console:operator")
    try:
        for r, ticket_id in enumerate(ticket_ids):
            action = RACES[r % len(RACES)][side]
            await asyncio.to_thread(barrier.wait)  # type: ignore[attr-defined]
            try:
                await core.staff.act(staff, ticket_id, action, event_key=f"{side}:{r}", text=f"text {r}")
            except IllegalTransition:
                pass  # lost the race to a change that made this action illegal: refused, nothing written
            await asyncio.to_thread(barrier.wait)  # type: ignore[attr-defined]
            user = UserRef("telegram", f"opener{r}")
            async with store.transaction() as tx:  # what TicketDesk.open does: look, then open
                if await tx.active_ticket_for(await tx.linked_user_keys(user.key)) is None:
                    await tx.create_ticket(user=user, origin=ChatRef("telegram", user.user_id, is_private=True),
                                           origin_message_id=None, priority=Priority.NORMAL, category=None,
                                           lang="en", subject=f"side {side}", now=1.0)
    finally:
        await store.close()


def _racer_process(where: str, side: int, data_dir: str, barrier: object, ticket_ids: list[int]) -> None:
    asyncio.run(_racer(where, side, data_dir, barrier, ticket_ids))


@pytest.fixture
async def pg(tmp_path: Path):
    store = PostgresStore(PG_DSN, schema=f"t_{uuid.uuid4().hex[:12]}")
    await store.open()
    yield store
    await store.drop_schema()
    await store.close()


@pytest.fixture(params=["postgres", "sqlite"])
async def shared(request: pytest.FixtureRequest, tmp_path: Path):
    """A store two processes open, and how a child names it."""
    if request.param == "sqlite":
        store: Store = SQLiteStore(tmp_path / "race.db")
        await store.open()
        yield store, str(tmp_path / "race.db")
        await store.close()
        return
    pg_store = PostgresStore(PG_DSN, schema=f"t_{uuid.uuid4().hex[:12]}")
    await pg_store.open()
    yield pg_store, pg_store.schema
    await pg_store.drop_schema()
    await pg_store.close()


def _start(r: int) -> TicketState:
    return TicketState.OPEN if RACES[r % len(RACES)][0] == "close" else TicketState.CLAIMED


async def _open_ticket(store: Store, n: int, state: TicketState) -> int:
    user = UserRef("telegram", f"u{n}")
    async with store.transaction() as tx:
        ticket = await tx.create_ticket(user=user, origin=ChatRef("telegram", user.user_id, is_private=True),
                                        origin_message_id=None, priority=Priority.NORMAL, category=None, lang="en",
                                        subject="help", now=1.0)
        if state is not TicketState.OPEN:
            await tx.update_ticket(ticket.id, state=state.value)
    return ticket.id


async def test_two_processes_racing_staff_actions_and_openings_leave_only_legal_states(
        shared: tuple[Store, str], tmp_path: Path) -> None:
    pg, where = shared
    ticket_ids = []
    for r in range(ROUNDS):  # close vs reply on an open ticket; resolve vs reopen on a resolved one
        ticket_ids.append(await _open_ticket(pg, r, _start(r)))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_racer_process, args=(where, side, str(tmp_path / f"p{side}"), barrier,
                                                      ticket_ids)) for side in (0, 1)]
    for p in procs:
        p.start()
    await wait_until(lambda: all(p.exitcode is not None for p in procs), what="both racers finished")
    assert [p.exitcode for p in procs] == [0, 0]

    async with pg.transaction() as tx:
        for r, ticket_id in enumerate(ticket_ids):  # replaying the recorded actions through the state machine ends where the row is
            ticket = await tx.get_ticket(ticket_id, lock=False)
            assert ticket is not None
            events = [e.kind for e in await tx.events(ticket_id)]
            replay = dataclasses.replace(ticket, state=_start(r))
            for kind in events:
                replay = dataclasses.replace(replay, state=next_state(replay, kind))
            assert replay.state is ticket.state, (r, events, ticket.state)
        for r in range(ROUNDS):
            openers = await tx.tickets(user_keys=[f"telegram:opener{r}"])
            assert len(openers) == 1, f"round {r}: {len(openers)} tickets opened for one user"


async def test_a_second_state_change_waits_for_the_first_to_commit(pg: PostgresStore) -> None:
    """Observes the interleaving: while one transaction holds the ticket, another's read of it
    blocks (PostgreSQL shows it waiting on a lock) instead of reading the old state."""
    ticket_id = await _open_ticket(pg, 0, TicketState.OPEN)
    other = await asyncpg.connect(PG_DSN)
    try:
        await other.execute(f'SET search_path TO "{pg.schema}"')
        async with pg.transaction() as tx:
            await tx.get_ticket(ticket_id)
            await tx.update_ticket(ticket_id, state=TicketState.CLOSED.value)
            pid = await other.fetchval("SELECT pg_backend_pid()")

            async def second() -> str:
                async with pg.transaction() as tx2:
                    ticket = await tx2.get_ticket(ticket_id)
                    assert ticket is not None
                    return ticket.state.value

            task = asyncio.create_task(second())
            blocked = await wait_until(
                lambda: task.done() or other.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> $1"
                    " AND datname = current_database() AND query LIKE '%FROM tickets WHERE id%'", pid),
                what="the second read blocked on the row lock")
            assert not task.done(), "the second transaction read the ticket while the first still held it"
            assert blocked
        assert await task == TicketState.CLOSED.value  # it then read what the first committed
    finally:
        await other.close()
