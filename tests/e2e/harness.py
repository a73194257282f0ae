"""Runs the real ``walletdesk`` command as a child process against the local
platform simulators, plus a local receiver for the one-time-code webhook."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CodeReceiver:
    """The operator's SMS/e-mail bridge: checks the signature, keeps the codes."""

    def __init__(self, secret: str = "otp-hook-secret") -> None:
        self.secret = secret.encode()
        self.codes: list[dict[str, object]] = []
        self.rejected = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        ts = request.headers.get("X-Walletdesk-Timestamp", "")
        want = "sha256=" + hmac.new(self.secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, request.headers.get("X-Walletdesk-Signature", "")):
            self.rejected += 1
            return web.Response(status=401)
        self.codes.append(json.loads(body))
        return web.Response(status=204)

    async def __aenter__(self) -> "CodeReceiver":
        app = web.Application()
        app.router.add_post("/otp", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/otp"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def wait_code(self, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while not self.codes and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert self.codes, "no one-time code reached the webhook"
        return str(self.codes[-1]["code"])


class WalletdeskProcess:
    """``walletdesk run`` in a child process with the given environment."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "DISCORD_", "WALLETDESK_"))},
            "WALLETDESK_DATA_DIR": str(tmp / "data"),
            "WALLETDESK_SECRET_KEY": "e2e-secret",
            "WALLETDESK_HTTP_HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WALLETDESK_RATE_LIMIT_SCALE": "0.01",
            "WALLETDESK_SUPPORT_HOURS": "mon-sun 00:00-23:59",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tmp / "walletdesk.log"
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60.0) -> None:
        self._log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core.wiring.cli", "run"], cwd=ROOT, env=self.env, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"walletdesk exited with {self.proc.returncode}:\n{self.output()}")
                try:
                    resp = await client.get(self.base_url + "/healthz", timeout=1.0)
                    if resp.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"walletdesk did not become healthy:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                self.proc.kill()
        self._log.close()
        return self.proc.wait()

    async def kill(self) -> None:
        await self.stop(signal.SIGKILL)

    @property
    def db_path(self) -> Path:
        return self.tmp / "data" / "walletdesk.db"

    def db_dump(self) -> str:
        import sqlite3

        con = sqlite3.connect(self.db_path)
        try:
            return "\n".join(con.iterdump())
        finally:
            con.close()
