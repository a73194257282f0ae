"""``/faq`` on the Slack desk, over sockets: a staff member turns the question
they answered by hand into an FAQ phrasing, and the bot answers it next time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from adapters.slack.text import escape
from core.faq.library import FaqLibrary
from core.i18n import t
from tests.fixtures.faq_file import bundled_entry
from tests.waiting import BUILD_DEADLINE

from .conftest import ALICE, ALICE_DM, BOB, CAROL, COMMUNITY, STAFF, Desk

ODD_QUESTION = "the zorblax bridge ate my coins"


async def _with_library(desk: Desk) -> FaqLibrary:
    library = FaqLibrary(desk.core.settings, desk.store)
    await library.adopt(desk.core.answers.engine)
    desk.core.answers.attach_library(library)
    return library


def _lines_to(desk: Desk, user: str) -> list[str]:
    return [m.text for m in desk.sim.ephemerals if m.ephemeral_to == user]


@pytest.mark.timeout(900)  # FAQ rebuilds: see BUILD_DEADLINE
async def test_staff_answer_becomes_an_faq_phrasing(desk: Desk) -> None:
    sim = desk.sim
    await _with_library(desk)
    assert not desk.core.answers.engine.ask(ODD_QUESTION).answered

    # Alice's question stumps the bot; she takes the human, and Bob answers by hand
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, ODD_QUESTION))
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "yes"))
    root, ticket = await desk.ticket_root()
    await sim.send_event(desk.url, sim.user_message_event(STAFF, BOB, "Bridges can take an hour; check the explorer.",
                                                          thread_ts=root.ts))
    await desk.settle()

    # Bob teaches the FAQ that this was a transfer-not-arrived question
    await sim.slash_command(desk.url, "/faq", f"add transfer-not-arrived #{ticket.id}", user=BOB, channel=STAFF)
    await desk.settle(BUILD_DEADLINE)
    (added,) = _lines_to(desk, BOB)
    entry = bundled_entry("transfer-not-arrived")
    assert added == t("faqadmin.added", "en", entry="transfer-not-arrived", lang="en", text=ODD_QUESTION,
                      examples=len(entry["questions"]["en"]) + 1)

    # Carol asks the same thing in the community channel: answered from the FAQ
    event = sim.app_mention_event(COMMUNITY, CAROL, f"<@{sim.bot_user_id}> {ODD_QUESTION}")
    await sim.send_event(desk.url, event)
    reply = await sim.wait_for_post(COMMUNITY, thread_ts=event["ts"])
    assert " ".join(reply.text.split()) == " ".join(escape(entry["answers"]["en"]).split())


async def test_faq_command_refusals_are_one_line_and_change_nothing(
    make_desk: Callable[..., Awaitable[Desk]],
) -> None:
    desk = await make_desk(SLACK_STAFF_USERS=BOB)
    sim = desk.sim
    library = await _with_library(desk)
    before = library.current

    await sim.slash_command(desk.url, "/faq", "add transfer-not-arrived where are my coins", user=CAROL, channel=STAFF)
    await sim.slash_command(desk.url, "/faq", "add no-such-entry where are my coins", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/faq", "add transfer-not-arrived", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/faq", "add transfer-not-arrived #424242", user=BOB, channel=STAFF)
    await desk.settle()
    assert _lines_to(desk, CAROL) == [t("faqadmin.not_admin", "zh")]  # Carol's Slack speaks Chinese
    assert _lines_to(desk, BOB) == [
        t("faqadmin.unknown_entry", "en", entry="no-such-entry"),
        t("faqadmin.usage", "en"),
        t("faqadmin.no_ticket", "en", ticket_id=424242),
    ]
    async with desk.store.transaction() as tx:
        assert await tx.faq_phrasings() == []
    assert library.current is before


@pytest.mark.timeout(900)  # FAQ rebuilds: see BUILD_DEADLINE
async def test_faq_preview_ids_and_reload(desk: Desk) -> None:
    sim = desk.sim
    library = await _with_library(desk)
    await sim.slash_command(desk.url, "/faq", "转账两个小时了还没到账", user=CAROL, channel=COMMUNITY)
    await sim.slash_command(desk.url, "/faq", "ids", user=CAROL, channel=COMMUNITY)
    await sim.slash_command(desk.url, "/faq", "reload", user=BOB, channel=STAFF)
    await desk.settle(BUILD_DEADLINE)
    preview, ids = _lines_to(desk, CAROL)
    assert preview.startswith("transfer-not-arrived（置信度 ") and "区块浏览器" in preview
    assert "transfer-not-arrived" in ids and "backup-seed-phrase" in ids
    (reloaded,) = _lines_to(desk, BOB)
    assert reloaded.startswith("FAQ reloaded: ") and library.reloads == 1


@pytest.mark.timeout(900)  # FAQ rebuilds: see BUILD_DEADLINE
async def test_added_phrasings_are_listed_and_can_be_removed(desk: Desk) -> None:
    sim = desk.sim
    await _with_library(desk)
    await sim.slash_command(desk.url, "/faq", "added", user=BOB, channel=STAFF)
    await desk.settle()
    await sim.slash_command(desk.url, "/faq", f"add transfer-not-arrived {ODD_QUESTION}", user=BOB, channel=STAFF)
    await desk.settle(BUILD_DEADLINE)
    await sim.slash_command(desk.url, "/faq", "added", user=BOB, channel=STAFF)
    await desk.settle()
    assert desk.core.answers.engine.ask(ODD_QUESTION).id == "transfer-not-arrived"
    # commands run concurrently, so their answers may come in any order
    await sim.slash_command(desk.url, "/faq", "remove #1", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/faq", "remove 77", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/faq", "remove #1", user=CAROL, channel=COMMUNITY)
    await desk.settle(BUILD_DEADLINE)
    none, _added, listed, *rest = _lines_to(desk, BOB)
    assert none == t("faqadmin.added_none", "en")
    assert listed == t("faqadmin.added_list", "en", items=f"#1 transfer-not-arrived: “{ODD_QUESTION}”")
    assert sorted(rest) == sorted([
        t("faqadmin.removed", "en", phrasing_id=1, entry="transfer-not-arrived", text=ODD_QUESTION),
        t("faqadmin.no_phrasing", "en", phrasing_id=77),
    ])
    assert _lines_to(desk, CAROL) == [t("faqadmin.not_admin", "zh")]
    assert not (desk.core.answers.engine.ask(ODD_QUESTION).answered and desk.core.answers.engine.ask(ODD_QUESTION).id == "transfer-not-arrived")
