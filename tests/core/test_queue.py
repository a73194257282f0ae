"""The staff queue on every store: filters, order, SLA words, paging, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput
from core.i18n import t
from core.identity.policy import Actor, NotAllowed, StaffPolicy
from core.models import ChatRef, Priority, UserRef
from core.storage import Store
from core.support.queue import PAGE, TicketQueue
from tests.conftest import Clock, make_settings

BOB = Actor.at_desk("slack:U0BOB")
NOW = 1_790_000_000.0


async def _ticket(store: Store, n: int, priority: Priority, *, age_min: float, state: str = "open",
                  assignee: str | None = None, answered: bool = False, name: str | None = None) -> int:
    user = UserRef("telegram", str(1000 + n))
    async with store.transaction() as tx:
        await tx.upsert_user(user, name or f"User {n}", "en", NOW)
        ticket = await tx.create_ticket(user=user, origin=ChatRef("telegram", str(1000 + n), is_private=True),
                                        origin_message_id=None, priority=priority, category="gas-fees", lang="en",
                                        subject=f"question {n}", now=NOW - age_min * 60)
        await tx.update_ticket(ticket.id, state=state, assignee=assignee,
                               first_response_at=NOW - 1 if answered else None, updated_at=NOW)
    return ticket.id


@pytest.fixture
def queue(store: Store, tmp_path: Path) -> TicketQueue:
    settings = make_settings(tmp_path, SLACK_STAFF_USERS="U0BOB")
    return TicketQueue(settings, store, StaffPolicy(settings), Clock(NOW))


async def test_filters_order_and_sla_words(store: Store, queue: TicketQueue) -> None:
    # SLA targets: urgent 15 min, high 60, normal 240, low 1440
    breached = await _ticket(store, 1, Priority.HIGH, age_min=90)                       # due 30 min ago
    breaching = await _ticket(store, 2, Priority.URGENT, age_min=5)                     # due in 10 min
    fine = await _ticket(store, 3, Priority.NORMAL, age_min=10, state="claimed", assignee="slack:U0BOB")
    waiting = await _ticket(store, 4, Priority.LOW, age_min=600, state="waiting_on_user", answered=True)
    await _ticket(store, 5, Priority.URGENT, age_min=1, state="resolved", answered=True)

    def ids(listing: str) -> list[int]:
        return [int(line.split(" ")[0][1:]) for line in listing.splitlines()[1:] if line.startswith("#")]

    everything = await queue.listing(BOB, "", "en")
    assert everything.splitlines()[0] == "🗂 4 ticket(s) · open"
    assert ids(everything) == [breaching, breached, fine, waiting]  # urgent first, resolved left out
    assert ids(await queue.listing(BOB, "breached", "en")) == [breached]
    assert ids(await queue.listing(BOB, "breaching", "en")) == [breaching, breached]  # breached ones too
    assert ids(await queue.listing(BOB, "mine", "en")) == [fine]
    assert ids(await queue.listing(BOB, "@U0BOB", "en")) == [fine]
    assert ids(await queue.listing(BOB, "unassigned high", "en")) == [breached]
    assert ids(await queue.listing(BOB, "waiting", "en")) == [waiting]
    line = next(x for x in everything.splitlines() if x.startswith(f"#{breached} "))
    assert "high · open · User 1 (telegram) · gas-fees · BREACHED" in line and line.endswith("nobody yet")
    assert t("desk.sla_met", "en") in next(x for x in everything.splitlines() if x.startswith(f"#{waiting} "))
    zh = await queue.listing(BOB, "urgent", "zh")
    assert zh.splitlines()[0] == "🗂 共 1 个工单 · urgent"


async def test_a_long_queue_is_paged_and_an_empty_one_says_so(store: Store, queue: TicketQueue) -> None:
    assert (await queue.listing(BOB, "", "en")).splitlines()[1] == "Nothing waiting here."
    for n in range(PAGE + 3):
        await _ticket(store, n, Priority.NORMAL, age_min=n)
    listing = (await queue.listing(BOB, "open", "en")).splitlines()
    assert len([x for x in listing if x.startswith("#")]) == PAGE
    assert listing[-1].startswith("… and 3 more.")


async def test_only_staff_list_and_unknown_words_are_refused(store: Store, queue: TicketQueue) -> None:
    with pytest.raises(NotAllowed):
        await queue.listing(Actor.at_desk("slack:U0CAROL"), "", "en")
    with pytest.raises(InvalidInput) as refused:
        await queue.listing(BOB, "open everything", "en")
    assert refused.value.key == "queue.bad_filter" and refused.value.params["word"] == "everything"
