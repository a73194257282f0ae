"""Throughput of the core path, one JSON line per configuration:

    inbound message -> UseCases.handle_message (FAQ answer; ~5% open a ticket,
    ~15% are follow-ups relayed to an open ticket) -> outbox -> OutboxWorker ->
    HTTP POST to a local platform sink (separate process, 127.0.0.1).

Configurations: SQLite with one process; PostgreSQL with 1, 2 and 4 processes on
one database. Each process is a whole service (its own store pool, FAQ engine,
UseCases and OutboxWorker) and generates its own share of the inbound load
(closed loop, ``--concurrency`` events in flight per process), as a web process
would after parsing webhooks. All processes share one outbox, so any process
may deliver any process's rows. Latency is receipt (just before handle_message)
-> the sink recorded the delivery carrying the message's token.

Then a latency run per backend: open-loop arrivals at about half the measured
peak, reporting p50/p99 overall and for relays.

Usage (project root)::

    .venv/bin/python benchmarks/throughput.py                      # everything (~3-4 min)
    .venv/bin/python benchmarks/throughput.py --only sqlite        # or pg1 pg2 pg4 latency
    .venv/bin/python benchmarks/throughput.py --messages 20000 --profile /tmp/prof   # cProfile per process
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scaleout import Cluster, host_cpu, order_violations, percentile, worker_totals  # noqa: E402

CONFIGS = {"sqlite": ("sqlite", 1), "pg1": ("postgres", 1), "pg2": ("postgres", 2), "pg4": ("postgres", 4)}


async def run_config(backend: str, workers: int, messages: int, *, concurrency: int, rate: float | None = None,
                     timeout: float = 60.0, profile: str | None = None, label: str = "throughput",
                     faq: str = "real", store: str = "core", breakdown: bool = False) -> dict[str, Any]:
    cluster = await Cluster.start(backend)
    try:
        per = messages // workers
        total = per * workers
        plan: dict[str, Any] = {"kind": "mixed", "n": per, "seed": 1, "concurrency": concurrency}
        if rate:
            plan["rate"] = rate / workers
        extra: dict[str, Any] = {"faq": faq, "store": store, "breakdown": breakdown}
        procs = []
        for i in range(workers):
            if profile:
                extra = {**extra, "profile": f"{profile}.{backend}{workers}.{i}"}
            procs.append(cluster.config(i, plan, **extra))
        from _scaleout import Proc

        started = [Proc(cfg) for cfg in procs]
        cluster.procs.extend(started)
        await asyncio.gather(*(p.expect("READY", 180) for p in started))
        t_go = time.time()
        busy0, _ = host_cpu()
        for p in started:
            p.send("GO")
        complete = await cluster.wait_tokens(total, timeout)
        t_done = time.time()
        busy1, _ = host_cpu()
        results = await asyncio.gather(*(p.finish() for p in started))
        dump = await cluster.sink.get("/dump")
        stuck = [] if complete else await cluster.db.query(
            "SELECT id, action, status, attempts, last_error, lease_owner, chat_key FROM outbox"
            " WHERE status <> 'sent' ORDER BY id LIMIT 5")
    finally:
        await cluster.close()

    receipts: dict[str, tuple[float, str]] = {}
    for r in results:
        receipts.update({k: (v[0], v[1]) for k, v in r["receipts"].items()})
    arrivals = dump["token_times"]
    lat: dict[str, list[float]] = {"all": [], "faq": [], "open": [], "relay": []}
    for token, (t_recv, kind) in receipts.items():
        seen = arrivals.get(token)
        if seen is None:
            continue
        ms = (seen[1] - t_recv) * 1000
        lat["all"].append(ms)
        lat[kind].append(ms)
    first = min(t for t, _k in receipts.values()) if receipts else t_go
    last = max((v[1] for k, v in arrivals.items() if k in receipts), default=t_done)
    delivered = sum(1 for k in receipts if k in arrivals)
    missing: dict[str, int] = {}
    for token, (_t, kind) in receipts.items():
        if token not in arrivals:
            missing[kind] = missing.get(kind, 0) + 1
    elapsed = last - first
    outcomes, errors = worker_totals(results)
    checked, bad = order_violations(dump["chats"], "desk:")
    r2 = lambda x: None if x is None else round(x, 1)  # noqa: E731
    line: dict[str, Any] = {
        "benchmark": label, "backend": backend, "workers": workers, "messages": total, "faq": faq,
        "store": store if backend == "sqlite" else "core",
        "delivered_messages": delivered, "complete": complete,
        "msgs_per_s": round(delivered / elapsed, 1) if elapsed > 0 else None,
        "deliveries_per_s": round(dump["accepted"] / elapsed, 1) if elapsed > 0 else None,
        "p50_ms": r2(percentile(lat["all"], 50)), "p99_ms": r2(percentile(lat["all"], 99)),
        "relay_p50_ms": r2(percentile(lat["relay"], 50)), "relay_p99_ms": r2(percentile(lat["relay"], 99)),
        "faq_p99_ms": r2(percentile(lat["faq"], 99)), "open_p99_ms": r2(percentile(lat["open"], 99)),
        "rss_mb_per_process": [r["rss_mb"] for r in sorted(results, key=lambda r: r["proc"])],
        "rss_peak_mb_per_process": [r["rss_peak_mb"] for r in sorted(results, key=lambda r: r["proc"])],
        "host_busy_cores": round((busy1 - busy0) / (t_done - t_go), 2),
        "worker_cpu_cores": round(sum(r["cpu_s"] for r in results) / (t_done - t_go), 2),
        "inbound_seconds": round(max(r["gen_seconds"] for r in results), 2),
        "seconds": round(elapsed, 2), "concurrency_per_process": concurrency,
        "duplicate_deliveries": dump["duplicate_rows"], "desk_chats_out_of_order": bad,
        "outcomes": outcomes, "errors": errors, "undelivered_by_kind": missing, "not_sent_rows": stuck,
    }
    if rate:
        line["offered_msgs_per_s"] = rate
    if breakdown:
        line["breakdown_us_per_message"] = [_per_message(r["breakdown"]) for r in results]
    return line


def _per_message(b: dict[str, Any]) -> dict[str, Any]:
    """A worker's breakdown in microseconds per inbound message (the outbox's side: the
    deliveries those messages caused, which this worker's outbox loop made)."""
    n = max(1, b["messages"])
    us = lambda s: round(s * 1e6 / n)  # noqa: E731
    out: dict[str, Any] = {"messages": b["messages"], "handle_message": us(b["handle_s"]), "faq": us(b["faq_s"]),
                           "shield": us(b["shield_s"]), "worker_cpu": us(b["cpu_s"])}
    for side in ("inbound", "outbox"):
        s = b[side]
        out[side] = {"statements": round(s["statements"] / n, 2), "transactions": round(s["transactions"] / n, 2),
                     "in_statements": us(s["statement_s"]), "begin": us(s["begin_s"]), "commit": us(s["end_s"]),
                     "in_transactions": us(s["transaction_s"])}
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=[*CONFIGS, "latency"], help="configurations to run")
    parser.add_argument("--messages", type=int, default=12000, help="inbound messages per configuration")
    parser.add_argument("--concurrency", type=int, default=32, help="inbound events in flight per process")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per configuration")
    parser.add_argument("--latency-seconds", type=float, default=15.0, help="length of each half-load latency run")
    parser.add_argument("--faq", choices=["real", "memo"], default="real",
                        help="memo: the real engine behind an exact-text memo (excludes the FAQ model's cost)")
    parser.add_argument("--store", choices=["core", "aiosqlite"], default="core",
                        help="aiosqlite: the sqlite+aiosqlite:// store (statements on aiosqlite's thread) for comparison")
    parser.add_argument("--profile", help="write cProfile stats per worker process to PREFIX.<config>.<i>")
    parser.add_argument("--breakdown", action="store_true",
                        help="time each worker's statements (the core's and the outbox's), transactions, FAQ, shield"
                             " and handle_message: microseconds per inbound message (benchmarks/README.md)")
    args = parser.parse_args()
    wanted = args.only or [*CONFIGS, "latency"]
    peaks: dict[str, tuple[int, float]] = {}
    for name in CONFIGS:
        if name not in wanted:
            continue
        backend, workers = CONFIGS[name]
        line = await run_config(backend, workers, args.messages, concurrency=args.concurrency, timeout=args.timeout,
                                profile=args.profile, faq=args.faq, store=args.store, breakdown=args.breakdown)
        print(json.dumps(line, ensure_ascii=False), flush=True)
        rate = line["msgs_per_s"] or 0.0
        if rate > peaks.get(backend, (0, 0.0))[1]:
            peaks[backend] = (workers, rate)
    if "latency" in wanted:
        for backend in ("sqlite", "postgres"):
            if backend not in peaks:  # no peak measured in this run: measure it first
                workers = 1 if backend == "sqlite" else 2
                line = await run_config(backend, workers, args.messages, concurrency=args.concurrency,
                                        timeout=args.timeout, faq=args.faq, store=args.store)
                peaks[backend] = (workers, line["msgs_per_s"] or 100.0)
            workers, peak = peaks[backend]
            rate = peak / 2
            n = int(rate * args.latency_seconds)
            line = await run_config(backend, workers, n, concurrency=args.concurrency, rate=rate,
                                    timeout=args.latency_seconds + 30, label="throughput_latency_half_load",
                                    faq=args.faq, store=args.store)
            line["peak_msgs_per_s"] = peak
            print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
