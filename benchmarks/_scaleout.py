"""Shared machinery of the scale-out benchmarks (throughput.py, faults.py).

Two halves:

* ``worker`` (run as ``python benchmarks/_scaleout.py '<json config>'``): one
  service process: its own store connection / pool, FAQ engine, UseCases and
  OutboxWorker, delivering over real HTTP to the sink through :class:`HttpSender`.
  It also plays the inbound side: it generates its share of inbound events and
  calls ``UseCases.handle_message`` for each, as the web adapter would after
  parsing a webhook. Protocol on stdin/stdout: prints ``READY``, waits for ``GO``,
  generates, prints ``GENERATED``, waits for ``STOP``, prints one JSON result line.
* ``Cluster`` (used by the parent): starts the sink and N workers, drives the
  protocol, collects the sink's records and the workers' receipts.

Every inbound message carries a token (``zq...``) that comes back in what the
core delivers (as ``reply_to`` for a group answer, inside the text for ticket
and relay lines), so the sink can match deliveries to receipts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "benchmarks")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

PG_DSN = os.environ.get("WALLETDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN_RE = re.compile(r"\bzq[0-9a-z]+\b")


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    cur = peak = 0.0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return round(cur, 1), round(peak, 1)


def host_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = parts[3] + parts[4]
    return (sum(parts) - idle) / hz, sum(parts) / hz


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


# ---------------------------------------------------------------------------
# the worker process
# ---------------------------------------------------------------------------


class HttpSender:
    """The benchmark's platform sender: POSTs each delivery to the sink."""

    def __init__(self, session: Any, url: str, proc: int, limiter: Any = None) -> None:
        self.session = session
        self.url = url
        self.proc = proc
        # with ``platform_limits``: the Telegram adapter's own limiter (its windows, at
        # WALLETDESK_RATE_LIMIT_SCALE), waited in before each POST as the adapter does
        self.limiter = limiter

    async def deliver(self, delivery: Any, *, desk_ref: str | None = None) -> Any:
        from aiohttp import ClientError

        from core.errors import RateLimited, RetryLater
        from core.models import DeliveryResult

        payload = delivery.payload
        if delivery.action.startswith("desk_"):
            chat = f"desk:{delivery.ticket_id}"
        elif delivery.action == "dm":
            chat = f"{delivery.platform}:dm:{delivery.chat_id}"
        else:
            chat = f"{delivery.platform}:{delivery.chat_id}"
        token = payload.get("reply_to")
        if not (isinstance(token, str) and token.startswith("zq")):
            found = TOKEN_RE.search(str(payload.get("text", "")))
            token = found.group(0) if found else None
        if self.limiter is not None:
            await self.limiter.acquire(chat, is_group=chat.startswith("telegram:-"))
        body = json.dumps({"id": delivery.id, "chat": chat, "token": token, "action": delivery.action,
                           "worker": self.proc, "desk_ref": desk_ref})
        try:
            async with self.session.post(self.url, data=body, headers={"Content-Type": "application/json"}) as resp:
                text = await resp.text()
                if resp.status == 200:
                    return DeliveryResult(external_id=json.loads(text)["id"])
                if resp.status == 429:
                    raise RateLimited("429", retry_after=float(resp.headers.get("Retry-After", "1")))
                raise RetryLater(f"HTTP {resp.status}")
        except (ClientError, OSError, asyncio.TimeoutError) as exc:
            raise RetryLater(f"sink unreachable: {exc}") from None


@dataclass
class Msg:
    token: str
    kind: str  # faq | open | relay | dup
    user: str
    chat: str
    private: bool
    text: str


def _faq_questions() -> list[str]:
    from core.conversation.acts import Act, classify
    from core.faq.files import load_faq

    out: list[str] = []
    for entry in load_faq(None):
        for lang in ("en", "zh"):  # questions for the FAQ, not small talk or a request for a human
            out.extend(q for q in entry.questions.get(lang, ())[:3]
                       if classify(q) is Act.OTHER and not q.startswith("/"))
    return out


def plan_mixed(proc: int, n: int, seed: int, *, open_share: float = 0.05, relay_per_open: int = 3) -> list[Msg]:
    """FAQ questions in 500 shared groups, plus DM users who open a ticket and then
    write ``relay_per_open`` follow-ups (relayed to the desk), spaced a round apart
    so the ticket exists by then."""
    rnd = random.Random(seed * 1000 + proc)
    questions = _faq_questions()
    round_size = 400
    opens_per_round = max(1, int(round_size * open_share))
    out: list[Msg] = []
    openers: list[list[str]] = []  # users opened, per round
    seq = 0
    r = 0
    while len(out) < n:
        batch: list[Msg] = []
        users = [f"t{proc}r{r}u{j}" for j in range(opens_per_round)]
        for u in users:
            batch.append(Msg("", "open", u, u, True, "/human I need help with my account please"))
        for back in (1, 2, 3)[:relay_per_open]:
            if r - back >= 0:
                for u in openers[r - back]:
                    batch.append(Msg("", "relay", u, u, True, "any update on my case? it is urgent"))
        openers.append(users)
        while len(batch) < round_size:
            g = rnd.randrange(500)
            batch.append(Msg("", "faq", f"g{proc}u{rnd.randrange(5000)}", f"-{1000 + g}", False,
                             rnd.choice(questions)))
        rnd.shuffle(batch)
        out.extend(batch)
        r += 1
    out = out[:n]
    for m in out:
        m.token = f"zqp{proc}n{seq}"
        seq += 1
        if m.kind != "faq":
            m.text = f"{m.text} ref {m.token}"
    return out


def plan_relays(proc: int, users: int, per_user: int) -> tuple[list[Msg], list[list[Msg]]]:
    """Ticket openers, then ``per_user`` relays per user (sent in order per user)."""
    opens = [Msg(f"zqp{proc}o{j}", "open", f"r{proc}u{j}", f"r{proc}u{j}", True, "") for j in range(users)]
    for m in opens:
        m.text = f"/human please check my withdrawal ref {m.token}"
    relays = [
        [Msg(f"zqp{proc}r{j}k{k}", "relay", f"r{proc}u{j}", f"r{proc}u{j}", True, "") for k in range(per_user)]
        for j in range(users)
    ]
    for lst in relays:
        for m in lst:
            m.text = f"still waiting, message {m.token}"
    return opens, relays


def plan_dup(n: int) -> list[Msg]:
    """The same n events for every process (event keys shared)."""
    questions = ["how much are gas fees", "my transfer has not arrived", "I lost my seed phrase",
                 "what are your support hours", "转账没到账怎么办"]
    return [Msg(f"zqd{i}", "dup", f"dupu{i % 97}", f"-{2000 + i % 50}", False, questions[i % len(questions)])
            for i in range(n)]


class MemoFaq:
    """The real engine behind an exact-text memo: with the benchmark's small question
    pool every repeat is a hit, so this measures the core path without the FAQ's cost."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.memo: dict[tuple[str, str | None], Any] = {}

    def ask(self, text: str, lang: str | None = None) -> Any:
        key = (text, lang)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self.engine.ask(text, lang=lang)
        return hit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


class TimedFaq:
    """The FAQ engine with a timer around ``ask`` (``--breakdown``)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.seconds = 0.0
        self.calls = 0

    def ask(self, text: str, lang: str | None = None) -> Any:
        t0 = time.perf_counter()
        try:
            return self.engine.ask(text, lang=lang)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


class Breakdown:
    """Where a worker's message time goes (``--breakdown``): statement logs around the
    store's connection (the core's and the outbox worker's apart), timers around the FAQ,
    the shield and ``handle_message``."""

    def __init__(self, store: Any, faq: Any) -> None:
        from core.storage.statements import CountingStore

        self.inbound = CountingStore(store)
        self.outbox = CountingStore(store)
        self.faq = TimedFaq(faq)
        self.shield_s = 0.0
        self.handle_s = 0.0
        self.messages = 0
        import core.conversation.dialogue as dialogue

        def timed(fn: Any) -> Any:
            if asyncio.iscoroutinefunction(fn):
                async def run_async(*a: Any, **kw: Any) -> Any:
                    t0 = time.perf_counter()
                    try:
                        return await fn(*a, **kw)
                    finally:
                        self.shield_s += time.perf_counter() - t0
                return run_async

            def run(*a: Any, **kw: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*a, **kw)
                finally:
                    self.shield_s += time.perf_counter() - t0
            return run

        dialogue.guard = timed(dialogue.guard)  # type: ignore[attr-defined]
        dialogue.guard_in_store = timed(dialogue.guard_in_store)  # type: ignore[attr-defined]

    def result(self, cpu_s: float) -> dict[str, Any]:
        def side(log: Any) -> dict[str, Any]:
            return {"statements": len(log), "statement_s": round(log.seconds, 3), "transactions": log.transactions,
                    "transaction_s": round(log.transaction_seconds, 3), "begin_s": round(log.begin_seconds, 3),
                    "end_s": round(log.end_seconds, 3)}

        return {"messages": self.messages, "handle_s": round(self.handle_s, 3), "faq_s": round(self.faq.seconds, 3),
                "faq_calls": self.faq.calls, "shield_s": round(self.shield_s, 3), "cpu_s": round(cpu_s, 3),
                "inbound": side(self.inbound.log), "outbox": side(self.outbox.log)}


class Worker:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.proc = int(cfg["proc"])
        self.receipts: dict[str, tuple[float, str]] = {}
        self.outcomes: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.opened: dict[str, asyncio.Event] = {}

    async def setup(self) -> None:
        import aiohttp

        from core.shield import phrases as shield
        from core.config import load_settings
        from core.faq_engine import FaqEngine
        from core.faq.files import load_faq
        from core.identity.codes import ConsoleCodeSender
        from core.support.outbox import OutboxWorker
        from core.use_cases import UseCases
        from core.storage import store_for_url

        settings = load_settings({
            "WALLETDESK_DATA_DIR": self.cfg["data_dir"], "WALLETDESK_SECRET_KEY": "bench-secret",
            "WALLETDESK_SUPPORT_HOURS": "mon-sun 00:00-23:59", "WALLETDESK_DATABASE_URL": self.cfg["db"],
            # the generated users send dozens of messages a second each: to the flood limits that is a
            # flood, and what they cut off is not relayed by design; these benchmarks measure delivery
            "WALLETDESK_FLOOD_USER": "off", "WALLETDESK_FLOOD_GROUP": "off",
            "WALLETDESK_RATE_LIMIT_SCALE": str(self.cfg.get("rate_limit_scale", 1.0)),
        })
        db = self.cfg["db"]
        if self.cfg.get("store") == "aiosqlite" and db.startswith("sqlite://"):
            db = "sqlite+aiosqlite://" + db.split("://", 1)[1]  # the threaded driver, for comparison
        self.store = store_for_url(db)
        await self.store.open()
        self.faq = FaqEngine(load_faq(None))
        if self.cfg.get("faq") == "memo":
            self.faq = MemoFaq(self.faq)  # type: ignore[assignment]
        shield.warm_up()
        self.breakdown = Breakdown(self.store, self.faq) if self.cfg.get("breakdown") else None
        core_store, core_faq, outbox_store = self.store, self.faq, self.store
        if self.breakdown is not None:
            core_store, core_faq, outbox_store = self.breakdown.inbound, self.breakdown.faq, self.breakdown.outbox
        self.core = UseCases(settings, core_store, core_faq, code_sender=ConsoleCodeSender())
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200),
                                             timeout=aiohttp.ClientTimeout(total=10))
        limiter = None
        if self.cfg.get("platform_limits"):
            from adapters.telegram.adapter import RATE_LIMITS
            from core.support.ratelimit import ChatRateLimiter

            limiter = ChatRateLimiter(*RATE_LIMITS, scale=settings.rate_limit_scale)
        sender = HttpSender(self.session, self.cfg["sink"], self.proc, limiter)
        self.worker = OutboxWorker(
            outbox_store, {"telegram": sender, "console": sender}, lease_seconds=float(self.cfg.get("lease", 30.0)),
            poll_interval=float(self.cfg.get("poll", 0.05)), batch=int(self.cfg.get("batch", 50)),
            max_attempts=int(self.cfg.get("max_attempts", settings.outbox_max_attempts)),
            on_result=self.core.timers.delivery_finished,
        )
        self.core.on_enqueue(self.worker.wake)
        self.worker_task: asyncio.Task[None] | None = None

    def start_outbox(self) -> None:
        if self.worker_task is None:
            self.worker_task = asyncio.create_task(self._outbox_forever())

    async def _outbox_forever(self) -> None:
        """Run the worker loop as core/wiring/app.py does (one task). With ``supervise`` a
        crashed loop is restarted; either way a crash is counted and reported."""
        while True:
            try:
                await self.worker.run()
                return
            except Exception as exc:  # noqa: BLE001
                self.errors[f"outbox_loop_died:{type(exc).__name__}: {str(exc)[:80]}"] += 1
                if not self.cfg.get("supervise", False):
                    return
                await asyncio.sleep(0.5)

    async def handle(self, m: Msg, *, record: bool = True) -> str:
        from core.models import ChatRef, InboundMessage, UserRef

        user = UserRef("telegram", m.user)
        chat = ChatRef("telegram", m.chat, is_private=m.private)
        event_key = f"tg:{m.token}"
        inbound = InboundMessage(event_key=event_key, user=user, chat=chat, text=m.text, message_id=m.token,
                                 display_name=m.user, addressed=True)
        if m.kind == "relay" and m.user in self.opened:
            await self.opened[m.user].wait()  # a user writes again only after the bot answered the first
        t0 = time.time()
        if record:
            self.receipts[m.token] = (t0, m.kind)
        deadline = t0 + 120
        delay = 0.1
        while True:
            try:
                t_in = time.perf_counter()
                out = await self.core.dialogue.handle_message(inbound)
                if self.breakdown is not None:
                    self.breakdown.handle_s += time.perf_counter() - t_in
                    self.breakdown.messages += 1
                self.outcomes[f"{m.kind}:{out.status}"] += 1
                if m.kind == "relay" and out.status == "handled" and out.ticket_id is None:
                    self.outcomes["relay:not_relayed"] += 1
                if m.kind == "open":
                    self.opened.setdefault(m.user, asyncio.Event()).set()
                return out.status
            except Exception as exc:  # noqa: BLE001  (the platform redelivers the same event)
                self.errors[f"inbound:{type(exc).__name__}"] += 1
                if time.time() > deadline:
                    self.outcomes[f"{m.kind}:gave_up"] += 1
                    return "gave_up"
                await asyncio.sleep(delay)
                delay = min(1.0, delay * 2)

    async def run_closed(self, msgs: list[Msg], concurrency: int) -> None:
        it = iter(msgs)

        async def loop() -> None:
            for m in it:
                await self.handle(m)

        await asyncio.gather(*(loop() for _ in range(concurrency)))

    async def run_paced(self, msgs: list[Msg], rate: float) -> None:
        """Open loop: message i arrives at t0 + i / rate whatever happens to the others."""
        t0 = time.time() + 0.05
        tasks = set()
        for i, m in enumerate(msgs):
            wait = t0 + i / rate - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(self.handle(m))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)

    async def run_relays(self, per_user: list[list[Msg]]) -> None:
        async def user(lst: list[Msg]) -> None:
            for m in lst:
                await self.handle(m)

        await asyncio.gather(*(user(lst) for lst in per_user))

    async def drain(self, timeout: float = 60.0) -> None:
        end = time.time() + timeout
        while time.time() < end:
            try:
                async with self.store.transaction() as tx:
                    stats = await tx.outbox_stats(time.time())
                if stats["pending"] == 0:
                    return
            except Exception:  # noqa: BLE001
                pass
            await asyncio.sleep(0.1)

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        readline = lambda: loop.run_in_executor(None, sys.stdin.readline)  # noqa: E731
        await self.setup()
        plan = self.cfg["plan"]
        kind = plan["kind"]
        autostart = bool(self.cfg.get("autostart"))
        relays: list[list[Msg]] = []
        if kind == "relays":
            opens, relays = plan_relays(self.proc, int(plan["users"]), int(plan["per_user"]))
            self.start_outbox()
            await asyncio.gather(*(self.handle(m, record=False) for m in opens))
            if not autostart:
                await self.drain(float(self.cfg.get("drain_timeout", 60.0)))
        print("READY", flush=True)
        if not autostart:
            line = await readline()
            if not line.startswith("GO"):
                return
        self.start_outbox()
        t_start = time.time()
        cpu0 = time.process_time()
        if kind == "mixed":
            msgs = plan_mixed(self.proc, int(plan["n"]), int(plan.get("seed", 1)))
            for m in msgs:
                if m.kind == "open":
                    self.opened[m.user] = asyncio.Event()
            if plan.get("rate"):
                await self.run_paced(msgs, float(plan["rate"]))
            else:
                await self.run_closed(msgs, int(plan.get("concurrency", 32)))
        elif kind == "relays":
            await self.run_relays(relays)
        elif kind == "dup":
            await self.run_closed(plan_dup(int(plan["n"])), int(plan.get("concurrency", 16)))
        gen_seconds = time.time() - t_start
        print("GENERATED", flush=True)
        await readline()  # STOP
        cpu_s = time.process_time() - cpu0
        self.worker.stop()
        if self.worker_task is not None:
            try:
                await asyncio.wait_for(self.worker_task, 10)
            except asyncio.TimeoutError:
                pass
        cur, peak = rss_mb()
        result = {"proc": self.proc, "receipts": self.receipts, "outcomes": dict(self.outcomes),
                  "errors": dict(self.errors), "rss_mb": cur, "rss_peak_mb": peak, "gen_seconds": gen_seconds,
                  "cpu_s": round(cpu_s, 2)}
        if self.breakdown is not None:
            result["breakdown"] = self.breakdown.result(cpu_s)
        await self.session.close()
        try:
            await self.store.close()
        except Exception:  # noqa: BLE001
            pass
        print("RESULT " + json.dumps(result), flush=True)


def worker_main() -> None:
    logging.basicConfig(level=logging.ERROR)
    cfg = json.loads(sys.argv[1])
    if cfg.get("profile"):
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
        try:
            asyncio.run(Worker(cfg).main())
        finally:
            prof.disable()
            prof.dump_stats(cfg["profile"])
    else:
        asyncio.run(Worker(cfg).main())


# ---------------------------------------------------------------------------
# the parent side
# ---------------------------------------------------------------------------


class Proc:
    """One worker subprocess and its line protocol."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.p = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), json.dumps(cfg)], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, text=True, bufsize=1,
        )
        self.lines: asyncio.Queue[str] = asyncio.Queue()
        self.result: dict[str, Any] | None = None
        import threading

        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        loop = self._loop
        for line in self.p.stdout:
            line = line.rstrip("\n")
            if line.startswith("RESULT "):
                self.result = json.loads(line[7:])
            loop.call_soon_threadsafe(self.lines.put_nowait, line)
        loop.call_soon_threadsafe(self.lines.put_nowait, "EOF")

    @property
    def _loop(self) -> asyncio.AbstractEventLoop:
        return _LOOP

    async def expect(self, word: str, timeout: float = 120) -> None:
        async with asyncio.timeout(timeout):
            while True:
                line = await self.lines.get()
                if line.startswith(word):
                    return
                if line == "EOF":
                    raise RuntimeError(f"worker {self.cfg['proc']} exited before {word}")

    def send(self, word: str) -> None:
        assert self.p.stdin is not None
        try:
            self.p.stdin.write(word + "\n")
            self.p.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def kill9(self) -> None:
        os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait()

    async def finish(self, timeout: float = 60) -> dict[str, Any]:
        self.send("STOP")
        await self.expect("RESULT", timeout)
        assert self.result is not None
        return self.result


_LOOP: asyncio.AbstractEventLoop


class Sink:
    def __init__(self) -> None:
        self.p = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "_sink.py")], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert self.p.stdout is not None
        line = self.p.stdout.readline()
        self.port = int(line.split()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        import aiohttp

        self.http = aiohttp.ClientSession()

    async def get(self, path: str) -> dict[str, Any]:
        async with self.http.get(self.base + path) as resp:
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.base + path, json=body) as resp:
            return await resp.json()

    async def close(self) -> None:
        await self.http.close()
        assert self.p.stdin is not None
        self.p.stdin.close()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()


@dataclass
class Database:
    backend: str
    url: str
    schema: str | None = None
    tmp: Any = None

    @classmethod
    async def fresh(cls, backend: str) -> "Database":
        if backend == "sqlite":
            tmp = tempfile.TemporaryDirectory(prefix="wd-bench-")
            return cls("sqlite", f"sqlite:///{tmp.name}/bench.db", tmp=tmp)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        return cls("postgres", f"{PG_DSN}?schema={schema}", schema=schema)

    async def query(self, sql: str) -> list[dict[str, Any]]:
        if self.backend == "sqlite":
            import sqlite3

            con = sqlite3.connect(self.url.split("///", 1)[1])
            con.row_factory = sqlite3.Row
            try:
                return [dict(r) for r in con.execute(sql)]
            finally:
                con.close()
        import asyncpg

        con = await asyncpg.connect(PG_DSN, server_settings={"search_path": self.schema or "public"})
        try:
            return [dict(r) for r in await con.fetch(sql)]
        finally:
            await con.close()

    async def drop(self) -> None:
        if self.backend == "postgres":
            import asyncpg

            for _ in range(30):
                try:
                    con = await asyncpg.connect(PG_DSN)
                    break
                except Exception:  # noqa: BLE001  (the server may be restarting)
                    await asyncio.sleep(1)
            else:
                return
            try:
                await con.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            finally:
                await con.close()
        elif self.tmp is not None:
            self.tmp.cleanup()


@dataclass
class Cluster:
    db: Database
    sink: Sink
    data_dir: str
    procs: list[Proc] = field(default_factory=list)

    @classmethod
    async def start(cls, backend: str) -> "Cluster":
        global _LOOP
        _LOOP = asyncio.get_running_loop()
        db = await Database.fresh(backend)
        sink = Sink()
        data_dir = tempfile.mkdtemp(prefix="wd-bench-data-")
        if backend == "postgres":  # migrate once up front, so workers start on a ready schema
            from core.storage import store_for_url

            store = store_for_url(db.url)
            await store.open()
            await store.close()
        return cls(db, sink, data_dir)

    def config(self, proc: int, plan: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"proc": proc, "db": self.db.url, "sink": self.sink.base + "/deliver", "data_dir": self.data_dir,
                "plan": plan, **extra}

    async def spawn(self, n: int, plan: dict[str, Any], **extra: Any) -> list[Proc]:
        procs = [Proc(self.config(i, plan, **extra)) for i in range(n)]
        self.procs.extend(procs)
        await asyncio.gather(*(p.expect("READY", 180 + float(extra.get("drain_timeout", 0))) for p in procs))
        return procs

    async def wait_tokens(self, want: int, timeout: float) -> bool:
        end = time.time() + timeout
        while time.time() < end:
            stats = await self.sink.get("/stats")
            if stats["tokens"] >= want:
                return True
            await asyncio.sleep(0.05)
        return False

    async def close(self) -> None:
        for p in self.procs:
            if p.p.poll() is None:
                try:
                    p.p.wait(15 if p.result is not None else 0.1)
                except subprocess.TimeoutExpired:
                    pass
            if p.p.poll() is None:
                p.p.kill()
                p.p.wait()
        await self.sink.close()
        await self.db.drop()
        import shutil

        shutil.rmtree(self.data_dir, ignore_errors=True)


def worker_totals(results: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Every worker's outcome and error counts, summed."""
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for r in results:
        outcomes.update(r["outcomes"])
        errors.update(r["errors"])
    return dict(outcomes), dict(errors)


def order_violations(chats: dict[str, list[list[Any]]], only_prefix: str | None = None) -> tuple[int, int]:
    """(chats checked, chats whose accepted rows arrived out of row-id order),
    ignoring immediate redeliveries of the same row."""
    checked = bad = 0
    for chat, rows in chats.items():
        if only_prefix and not chat.startswith(only_prefix):
            continue
        checked += 1
        last = -1
        for row_id, _token in rows:
            if row_id == last:
                continue
            if row_id < last:
                bad += 1
                break
            last = row_id
    return checked, bad


if __name__ == "__main__":
    worker_main()
