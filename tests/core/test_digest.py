"""The staff channel's daily digest and the App Home overview on every store:
the figures, once a day across workers (an injected clock), the time zone, off
when unset; the overview is for staff only."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from core.identity.policy import Actor, NotAllowed, StaffPolicy
from core.models import ChatRef, Priority, UserRef
from core.storage import Store
from core.support.desk import TicketDesk
from core.support.digest import DailyDigest, DigestFigures
from core.support.overview import QueueOverview
from core.support.queue import TicketQueue
from tests.conftest import Clock, make_settings

STAFF_CHAT = ChatRef("slack", "C0STAFF")
BOB = Actor.at_desk("slack:U0BOB")


def ts(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()


NOW = ts(2026, 12, 7, 9, 30)  # a Monday, 09:30 UTC


async def _ticket(store: Store, n: int, priority: Priority, *, age_min: float, state: str = "open",
                  answered_after_min: float | None = None) -> int:
    user = UserRef("telegram", str(1000 + n))
    created = NOW - age_min * 60
    async with store.transaction() as tx:
        await tx.upsert_user(user, f"User {n}", "en", NOW)
        ticket = await tx.create_ticket(user=user, origin=ChatRef("telegram", str(1000 + n), is_private=True),
                                        origin_message_id=None, priority=priority, category="gas-fees", lang="en",
                                        subject=f"question {n}", now=created)
        await tx.update_ticket(ticket.id, state=state, updated_at=NOW, first_response_at=None
                               if answered_after_min is None else created + answered_after_min * 60)
    return ticket.id


async def _seed(store: Store) -> dict[str, int]:
    # SLA targets: urgent 15 min, high 60, normal 240, low 1440
    return {
        "late_high": await _ticket(store, 1, Priority.HIGH, age_min=90),  # due 30 min ago, unanswered
        "late_reply": await _ticket(store, 2, Priority.URGENT, age_min=300, state="resolved",
                                    answered_after_min=40),  # due 285 min ago, answered after 40: a breach
        "in_time": await _ticket(store, 3, Priority.NORMAL, age_min=600, state="waiting_on_user",
                                 answered_after_min=30),  # the oldest active, but waiting on the user
        "old_breach": await _ticket(store, 4, Priority.LOW, age_min=3 * 1440, state="closed"),  # due 2 days ago
        "oldest": await _ticket(store, 5, Priority.NORMAL, age_min=200, state="claimed"),  # due in 40 min
    }


def _digest(store: Store, tmp_path: Path, clock: Clock, **env: str) -> DailyDigest:
    settings = make_settings(tmp_path, **env)
    desk = cast(TicketDesk, SimpleNamespace(chat=STAFF_CHAT))
    return DailyDigest(settings, store, desk, clock, lambda: None)


async def _queued(store: Store) -> list[Any]:
    async with store.transaction() as tx:
        return await tx.deliveries(status="pending")


async def test_the_figures_count_backlog_oldest_and_the_last_days_breaches(store: Store, tmp_path: Path) -> None:
    ids = await _seed(store)
    targets = make_settings(tmp_path).sla_first_response
    async with store.transaction() as tx:
        figures = await DigestFigures.gather(tx, NOW, targets)
    assert figures.backlog == {"high": 1, "normal": 2}
    assert figures.oldest is not None and figures.oldest.id == ids["oldest"]  # waiting for staff, not the user
    assert figures.breaches == {"high": 1, "urgent": 1}  # the low one fell due two days ago
    text = figures.render("en", "2026-12-07", NOW)
    assert text.splitlines() == [
        "📊 Daily digest · 2026-12-07",
        "Backlog: 3 active ticket(s) — urgent 0 · high 1 · normal 2 · low 0",
        f"Oldest waiting for staff: #{ids['oldest']} (normal, gas-fees), waiting 3 h 20 min",
        "SLA breaches in the last 24 h: 2 — urgent 1 · high 1 · normal 0 · low 0",
    ]
    assert figures.render("zh", "2026-12-07", NOW).splitlines()[1] == "积压：3 个进行中的工单 — 紧急 0 · 高 1 · 普通 2 · 低 0"


async def test_posted_once_a_day_across_workers_at_the_local_time(store: Store, tmp_path: Path) -> None:
    await _seed(store)
    clock = Clock(ts(2026, 12, 7, 0, 59))  # 08:59 in Shanghai
    first = _digest(store, tmp_path, clock, WALLETDESK_DIGEST_AT="09:00", WALLETDESK_TIMEZONE="Asia/Shanghai")
    second = _digest(store, tmp_path, clock, WALLETDESK_DIGEST_AT="09:00", WALLETDESK_TIMEZONE="Asia/Shanghai")
    assert await first.run() == 0 and await second.run() == 0  # not yet
    clock.advance(60)
    assert await second.run() == 1
    assert await first.run() == 0 and await second.run() == 0  # once, whichever worker ticks first
    (posted,) = await _queued(store)
    assert (posted.platform, posted.chat_id, posted.action) == ("slack", "C0STAFF", "send")
    assert str(posted.data["text"]).startswith("📊 Daily digest · 2026-12-07\nBacklog: 3 active ticket(s)")
    clock.advance(15 * 3600)  # 00:00 the next day in Shanghai: the next digest is due at 09:00
    assert await first.run() == 0
    clock.advance(9 * 3600)
    assert await first.run() == 1 and await second.run() == 0
    assert str((await _queued(store))[-1].data["text"]).startswith("📊 Daily digest · 2026-12-08")


async def test_no_digest_when_unset(store: Store, tmp_path: Path) -> None:
    await _seed(store)
    assert await _digest(store, tmp_path, Clock(NOW)).run() == 0
    assert await _queued(store) == []


def test_a_bad_digest_time_is_refused_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="WALLETDESK_DIGEST_AT"):
        make_settings(tmp_path, WALLETDESK_DIGEST_AT="9am")


async def test_the_overview_counts_and_lists_for_staff_only(store: Store, tmp_path: Path) -> None:
    ids = await _seed(store)
    settings = make_settings(tmp_path, SLACK_STAFF_USERS="U0BOB")
    overview = QueueOverview(TicketQueue(settings, store, StaffPolicy(settings), Clock(NOW)))
    ov = await overview.overview(BOB, "en")
    assert ov.by_state == {"open": 1, "claimed": 1, "waiting_on_user": 1}
    assert ov.by_priority == {"high": 1, "normal": 2}
    assert (ov.breaching, ov.breached) == (1, 1)  # the oldest is due in 40 min: not yet breaching
    assert [tk.id for tk, _ in ov.top] == [ids["late_high"], ids["in_time"], ids["oldest"]]
    assert ov.top[0][1].startswith(f"#{ids['late_high']} · high · open · User 1 (telegram) · gas-fees · ")
    with pytest.raises(NotAllowed):
        await overview.overview(Actor(UserRef("slack", "U0CAROL")), "en")
