"""Runs the real ``walletdesk`` command as a child process against the local
platform simulators, plus a local receiver for the one-time-code webhook.

Every server here binds port 0 and reports the port it got: no port is picked
by one process and bound by another (a free port can be taken in between). The
child runs in its temp dir (no ``.env`` of the repository), with its FAQ index
cache pointing at the session's, so it starts without training the FAQ."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from aiohttp import ClientSession, web

from tests.conftest import share_faq_cache
from tests.simulators.chat_limits import scaled_clock
from tests.waiting import DEADLINE, wait_quiet, wait_until

ROOT = Path(__file__).resolve().parents[2]
# the child runs its rate limiter this much faster than the platforms (WALLETDESK_RATE_LIMIT_SCALE);
# the Telegram and Slack simulators it talks to take PLATFORM_TIME, so their documented windows
# shrink by the same factor and a burst the product paces correctly is never refused
RATE_LIMIT_SCALE = 0.01
PLATFORM_TIME = scaled_clock(RATE_LIMIT_SCALE)


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    """``app`` on 127.0.0.1, on a port the kernel picks; returns the runner and that port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process ``pid`` listens on (Linux: its socket fds against /proc/net).

    ``walletdesk run`` binds ``PORT=0`` itself; its log names the configured port, not
    the one it got, so the harness asks the kernel instead."""
    inodes: set[str] = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(fd_dir / fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class Forwarder:
    """A public URL for the child before its port is known (what a reverse proxy in
    front of ``walletdesk`` would be): forwards every request to ``target`` once set."""

    def __init__(self) -> None:
        self.target = ""
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    async def _forward(self, request: web.Request) -> web.Response:
        if not self.target:
            return web.Response(status=503, text="not started yet")
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(request.method, self.target + request.path_qs, headers=headers,
                                         data=await request.read()) as resp:
            return web.Response(status=resp.status, body=await resp.read(),
                                content_type=resp.content_type if resp.content_length else None)

    async def __aenter__(self) -> "Forwarder":
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._session = ClientSession()
        self._runner, port = await _serve(app)
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()


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
        self._runner, port = await _serve(app)
        self.url = f"http://127.0.0.1:{port}/otp"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def wait_code(self, timeout: float = DEADLINE) -> str:
        await wait_until(lambda: self.codes, timeout=timeout, what="a one-time code at the webhook")
        return str(self.codes[-1]["code"])


class WalletdeskProcess:
    """``walletdesk run`` in a child process with the given environment. It binds
    ``PORT=0``; :attr:`base_url` is known once :meth:`start` returned."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        data_dir = share_faq_cache(tmp / "data")
        self.env = {
            **{k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "SLACK_", "DISCORD_", "WALLETDESK_")) and k != "PORT"},
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
            "WALLETDESK_DATA_DIR": str(data_dir),
            "WALLETDESK_SECRET_KEY": "e2e-secret",
            "WALLETDESK_HTTP_HOST": "127.0.0.1",
            "PORT": "0",
            "WALLETDESK_RATE_LIMIT_SCALE": str(RATE_LIMIT_SCALE),
            "WALLETDESK_SUPPORT_HOURS": "mon-sun 00:00-23:59",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tmp / "walletdesk.log"
        self.port = 0
        self.base_url = ""

    async def start(self, timeout: float = DEADLINE, *, require_ok: bool = True) -> None:
        """Start the child and wait until its ``/healthz`` answers 200 (with ``require_ok``
        false: answers at all, 503 included, as it does while a platform is down)."""
        self._log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core.wiring.cli", "run"], cwd=self.tmp, env=self.env, stdout=self._log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        proc = self.proc
        async with httpx.AsyncClient() as client:
            async def healthy() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"walletdesk exited with {proc.returncode}:\n{self.output()}")
                for port in sorted(listening_ports(proc.pid)):
                    try:
                        resp = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=5.0)
                    except httpx.HTTPError:
                        continue
                    if resp.status_code == 200 or (not require_ok and resp.status_code == 503):
                        self.port, self.base_url = port, f"http://127.0.0.1:{port}"
                        return True
                return False

            try:
                await wait_until(healthy, timeout=timeout, interval=0.1)
            except BaseException as exc:
                await self.kill()  # no child outlives a failed start
                if isinstance(exc, TimeoutError):
                    raise AssertionError(f"walletdesk did not become healthy in {timeout:.0f}s:\n{self.output()}") from None
                raise

    async def outbox_pending(self) -> float:
        async with httpx.AsyncClient() as client:
            resp = await client.get(self.base_url + "/healthz", timeout=5.0)
        return float(resp.json()["outbox"].get("pending", 0))

    async def drain(self) -> None:
        """Wait until the child's outbox has nothing left to deliver (on two looks in a row)."""
        await wait_quiet(self.outbox_pending, interval=0.1, what="walletdesk's outbox")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the child and wait for it to exit (it lets in-flight deliveries finish,
        up to 15 s); killed if it has not exited after a generous wait."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.to_thread(self.proc.wait, DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if not self._log.closed:
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
