"""Staff queue benchmark: the first page of ``/tickets`` (``/desk list``) on a
seeded database of 10,000 tickets, on SQLite and PostgreSQL.

Prints one JSON line per store and filter: ``{"benchmark": "queue_first_page",
"store", "filter", "tickets", "active", "p50_ms", "p99_ms", "runs"}``, then one line for
the daily digest's figures (``"benchmark": "digest"``: backlog by priority, the oldest
waiting ticket, the last day's SLA breaches) and one for the App Home overview
(``"benchmark": "home_overview"``). The seed
has about 8 % of tickets still active (open, claimed, waiting on the user),
every priority, ages up to 30 days, a few staff as assignees. PostgreSQL is
skipped with a note when nothing answers at WALLETDESK_TEST_PG.

Run: ``.venv/bin/python benchmarks/queue_bench.py [--tickets 10000] [--runs 60]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import Settings, load_settings  # noqa: E402
from core.identity.policy import Actor, StaffPolicy  # noqa: E402
from core.models import ChatRef, Priority, UserRef  # noqa: E402
from core.storage import Store  # noqa: E402
from core.storage.postgres import PostgresStore  # noqa: E402
from core.storage.sqlite import SQLiteStore  # noqa: E402
from core.support.digest import DigestFigures  # noqa: E402
from core.support.overview import QueueOverview  # noqa: E402
from core.support.queue import TicketQueue  # noqa: E402

PG_DSN = os.environ.get("WALLETDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
FILTERS = ("", "breached", "urgent", "mine", "waiting")
STAFF = ["slack:U0BOB", "slack:U0ANN", "slack:U0LEE"]
NOW = 1_790_000_000.0


async def seed(store: Store, n: int, rnd: random.Random) -> int:
    active = 0
    async with store.transaction() as tx:
        for i in range(n):
            user = UserRef(rnd.choice(["telegram", "discord", "slack"]), str(100_000 + i))
            await tx.upsert_user(user, f"User {i}", "en", NOW)
            created = NOW - rnd.uniform(0, 30 * 86400)
            ticket = await tx.create_ticket(user=user, origin=ChatRef(user.platform, user.user_id, is_private=True),
                                            origin_message_id=None, priority=rnd.choice(list(Priority)),
                                            category=rnd.choice(["gas-fees", "transfer-not-arrived", None]),
                                            lang="en", subject=f"question {i}", now=created)
            state = rnd.choices(["open", "claimed", "waiting_on_user", "resolved", "closed"],
                                [3, 3, 2, 30, 62])[0]
            active += state in ("open", "claimed", "waiting_on_user")
            await tx.update_ticket(ticket.id, state=state,
                                   assignee=None if state == "open" else rnd.choice(STAFF),
                                   first_response_at=None if state == "open" else created + 600, updated_at=NOW)
    return active


async def _timed(runs: int, call: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    await call()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return round(statistics.median(times), 2), round(times[min(len(times) - 1, int(len(times) * 0.99))], 2)


async def measure_digest(name: str, store: Store, settings: Settings, queue: TicketQueue, tickets: int,
                         active: int, runs: int) -> None:
    async def digest() -> object:
        async with store.transaction() as tx:
            return await DigestFigures.gather(tx, NOW, settings.sla_first_response)

    overview = QueueOverview(queue)
    for bench, call in (("digest", digest),
                        ("home_overview", lambda: overview.overview(Actor.at_desk("slack:U0BOB"), "en"))):
        p50, p99 = await _timed(runs, call)
        print(json.dumps({"benchmark": bench, "store": name, "tickets": tickets, "active": active, "p50_ms": p50,
                          "p99_ms": p99, "runs": runs}), flush=True)


async def measure(name: str, store: Store, tickets: int, runs: int) -> None:
    active = await seed(store, tickets, random.Random(7))
    settings = load_settings({"WALLETDESK_DATA_DIR": tempfile.mkdtemp(), "SLACK_STAFF_USERS": "U0BOB"})
    queue = TicketQueue(settings, store, StaffPolicy(settings), lambda: NOW)
    bob = Actor.at_desk("slack:U0BOB")
    for wanted in FILTERS:
        await queue.listing(bob, wanted, "en")  # warm
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            await queue.listing(bob, wanted, "en")
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(json.dumps({"benchmark": "queue_first_page", "store": name, "filter": wanted or "open",
                          "tickets": tickets, "active": active, "p50_ms": round(statistics.median(times), 2),
                          "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2), "runs": runs}),
              flush=True)
    await measure_digest(name, store, settings, queue, tickets, active, runs)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStore(Path(tmp) / "queue.db")
        await sqlite.open()
        try:
            await measure("sqlite", sqlite, args.tickets, args.runs)
        finally:
            await sqlite.close()
    pg = PostgresStore(PG_DSN, schema=f"bench_{uuid.uuid4().hex[:10]}")
    try:
        await pg.open()
    except Exception as exc:  # noqa: BLE001 - no server here: say so and stop
        print(json.dumps({"benchmark": "queue_first_page", "store": "postgres", "skipped": str(exc)[:200]}))
        return
    try:
        await measure("postgres", pg, args.tickets, args.runs)
    finally:
        await pg.drop_schema()
        await pg.close()


if __name__ == "__main__":
    asyncio.run(main())
