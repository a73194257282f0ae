"""Slack ``message_changed``: an edit passes the shield like a new message (a
leaked edit is deleted like one), and nothing answers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mnemonic import Mnemonic

from tests.simulators.slack_sim import SlackSim

from .conftest import ALICE, ALICE_DM, COMMUNITY, Desk

PHRASE = Mnemonic("english").to_mnemonic(bytes(range(32, 48)))


async def test_a_phrase_edited_into_a_message_is_deleted(make_desk: Callable[..., Awaitable[Desk]],
                                                         sim: SlackSim) -> None:
    desk = await make_desk(SLACK_ADMIN_USER_TOKEN=sim.admin_user_token)
    first = sim.user_message_event(COMMUNITY, ALICE, "hi all")
    await sim.send_event(desk.url, first)
    await desk.settle()
    assert not [m for m in sim.history[COMMUNITY] if m.deleted]
    edited = sim.message_changed_event(COMMUNITY, first["ts"], f"hi all, my words are {PHRASE}")
    assert (await sim.send_event(desk.url, edited)).status == 200
    await desk.settle()
    assert [m.ts for m in sim.history[COMMUNITY] if m.deleted] == [first["ts"]]  # the original message, edited
    (warning,) = [m.text for m in sim.messages_in(ALICE_DM)]
    assert "We removed it" in warning
    assert not any(PHRASE.split()[0] + " " + PHRASE.split()[1] in m.text for m in sim.posted)


async def test_an_ordinary_edit_is_not_answered_and_a_preview_edit_is_ignored(desk: Desk) -> None:
    sim = desk.sim
    first = sim.user_message_event(COMMUNITY, ALICE, f"<@{sim.bot_user_id}> what are gas fees?")
    await sim.send_event(desk.url, first)
    await desk.settle()
    answers = len([m for m in sim.posted if m.channel == COMMUNITY])
    assert answers == 1
    await sim.send_event(desk.url, sim.message_changed_event(COMMUNITY, first["ts"],
                                                             f"<@{sim.bot_user_id}> what are gas fees on BSC?"))
    same = sim.message_changed_event(COMMUNITY, first["ts"], f"<@{sim.bot_user_id}> what are gas fees on BSC?")
    await sim.send_event(desk.url, same)  # Slack re-sends an edit when a link preview is added
    await desk.settle()
    assert len([m for m in sim.posted if m.channel == COMMUNITY]) == answers  # no second answer
