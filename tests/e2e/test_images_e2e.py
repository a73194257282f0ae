"""Photos through the real ``walletdesk run`` process (issue 19 item 1): the
OCR worker is a child process started by the first image, the phrase photo
is deleted, and nothing of it outlives the service: no worker process, no
words in the database or the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.fixtures.images import PHRASE, phrase_photo
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import wait_until

GROUP = -1001
USER = 501


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
async def tg() -> TelegramSim:
    async with TelegramSim(clock=PLATFORM_TIME) as sim:
        sim.add_chat(GROUP, "supergroup", title="Wallet Community")
        sim.add_user(USER, first_name="Alice", language_code="en")
        yield sim


async def test_a_phrase_photo_is_deleted_by_the_service_and_its_ocr_worker_stops_with_it(
        tg: TelegramSim, tmp_path: Path) -> None:
    proc = WalletdeskProcess(tmp_path, {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url})
    await proc.start()
    try:
        assert proc.proc is not None
        before = _children(proc.proc.pid)
        photo = await tg.user_photo(GROUP, phrase_photo(), user_id=USER, first_name="Alice")
        await tg.wait_for(lambda: (GROUP, photo["message_id"]) in tg.deleted)
        await tg.wait_for_message(GROUP, lambda m: "removed" in m.plain_text)
        workers = _children(proc.proc.pid) - before
        assert workers, "the OCR ran in a child process"
        await proc.drain()
    finally:
        await proc.stop()
    await wait_until(lambda: not any(_running(pid) for pid in workers), what="the OCR worker gone")
    dump, log = proc.db_dump(), proc.output()
    for word in (PHRASE[0], PHRASE[7]):  # "dignity", "cushion": words no schema or string holds
        assert word not in dump and word not in log
