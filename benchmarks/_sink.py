"""A local "platform sink" for the scale-out benchmarks: a tiny aiohttp server on
127.0.0.1 that accepts deliveries, records what arrived (delivery id, chat,
inbound token, arrival time) and answers 429 / 500 on demand.

Run as its own process: ``python benchmarks/_sink.py [--port 0]``; it prints
``PORT <n>`` on stdout once it listens.

Endpoints:
    POST /deliver   {"id": <outbox row id>, "chat": <chat key>, "token": <inbound token or null>,
                     "action": ..., "worker": ...}  -> 200 {"id": "s<n>"} (or 429 / 500 in a fault window)
    POST /fault     {"seconds": 30, "retry_after": 1}  -> 429 with Retry-After and 500, alternating
    POST /limits    {"platform": "telegram"}  -> from now on Telegram's documented flood limits, on real
                    time (tests/simulators/chat_limits.py: 1 a second per chat after a burst of 3, 20 a
                    minute per group chat ``telegram:-<id>``, 30 a second overall); a send over them is
                    429 with Retry-After and Telegram's body. Every chat key is a chat of its own.
    GET  /stats     counts only
    GET  /dump      everything recorded (for the final accounting)
    POST /reset     forget everything
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict

from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.simulators.chat_limits import TelegramLimits  # noqa: E402


class Sink:
    def __init__(self) -> None:
        self.limits: TelegramLimits | None = None  # kept across /reset: the platform remembers
        self.reset()

    def reset(self) -> None:
        self.accepted = 0
        self.rejected = {"429": 0, "500": 0, "429_rate_limit": 0}
        self.by_id: dict[int, int] = defaultdict(int)  # outbox row id -> times accepted
        self.tokens: dict[str, list[float]] = {}  # token -> [first arrival, last arrival, count]
        self.chats: dict[str, list[tuple[int, str | None]]] = defaultdict(list)  # chat -> [(row id, token)]
        self.by_worker: dict[str, int] = defaultdict(int)
        self.fault_until = 0.0
        self.retry_after = 1.0
        self._flip = 0

    async def deliver(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        now = time.time()
        if now < self.fault_until:
            self._flip ^= 1
            if self._flip:
                self.rejected["429"] += 1
                return web.Response(status=429, text='{"ok":false,"error":"Too Many Requests"}',
                                    headers={"Retry-After": str(self.retry_after)}, content_type="application/json")
            self.rejected["500"] += 1
            return web.Response(status=500, text='{"ok":false,"error":"Internal Server Error"}',
                                content_type="application/json")
        if self.limits is not None:
            chat = str(body["chat"])
            refusal = self.limits.take(chat, is_group=chat.startswith("telegram:-"))
            if refusal is not None:
                self.rejected["429_rate_limit"] += 1
                return web.json_response(
                    {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {refusal.retry_after}",
                     "parameters": {"retry_after": refusal.retry_after}},
                    status=429, headers={"Retry-After": str(refusal.retry_after)})
        self.accepted += 1
        self.by_worker[str(body.get("worker"))] += 1
        row_id = int(body["id"])
        self.by_id[row_id] += 1
        token = body.get("token")
        if token:
            seen = self.tokens.get(token)
            if seen is None:
                self.tokens[token] = [now, now, 1]
            else:
                seen[1] = now
                seen[2] += 1
        self.chats[body["chat"]].append((row_id, token))
        return web.Response(text=f'{{"ok":true,"id":"s{self.accepted}"}}', content_type="application/json")

    async def fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fault_until = time.time() + float(body.get("seconds", 30))
        self.retry_after = float(body.get("retry_after", 1))
        return web.json_response({"until": self.fault_until})

    async def set_limits(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.limits = TelegramLimits(time.monotonic) if body.get("platform") == "telegram" else None
        return web.json_response({"limits": body.get("platform")})

    def _summary(self) -> dict[str, object]:
        duplicates = sum(n - 1 for n in self.by_id.values() if n > 1)
        return {"accepted": self.accepted, "unique_rows": len(self.by_id), "duplicate_rows": duplicates,
                "rejected": dict(self.rejected), "tokens": len(self.tokens),

                "by_worker": dict(self.by_worker)}

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self._summary())

    async def dump(self, _request: web.Request) -> web.Response:
        out = self._summary()
        out["token_times"] = self.tokens
        out["by_id"] = {str(k): v for k, v in self.by_id.items()}
        out["chats"] = self.chats
        # sends to a chat sooner than the retry_after of the 429 it got before (should be 0); here, not
        # in /stats, which is polled: it reads the whole request log
        early = self.limits.early_retries() if self.limits is not None else []
        out["early_retries"] = len(early) if self.limits is not None else None
        out["early_retry_samples"] = early[:10]
        return web.json_response(out)

    async def do_reset(self, _request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


async def serve(port: int) -> None:
    sink = Sink()
    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/deliver", sink.deliver)
    app.router.add_post("/fault", sink.fault)
    app.router.add_post("/limits", sink.set_limits)
    app.router.add_get("/stats", sink.stats)
    app.router.add_get("/dump", sink.dump)
    app.router.add_post("/reset", sink.do_reset)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {bound}", flush=True)
    # run until stdin closes (the parent exits or closes the pipe)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
