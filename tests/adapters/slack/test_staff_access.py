"""Staff access on Slack fails closed (issue 15 item 4), over real sockets.

Staff are a list (``SLACK_STAFF_USERS``), a user group (``SLACK_STAFF_GROUP``,
``usergroups.users.list``) or the members of a staff channel that Slack says is
private; with none of them the adapter refuses to start."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from core.errors import ConfigError
from core.i18n import t
from core.identity.policy import Permission
from tests.simulators.slack_sim import SlackSim

from .conftest import ALICE, ALICE_DM, BOB, CAROL, STAFF, Desk


async def _claim_as(desk: Desk, user: str) -> Any:
    await desk.sim.send_event(desk.url, desk.sim.user_message_event(ALICE_DM, ALICE, "human"))
    root, ticket = await desk.ticket_root()
    await desk.sim.block_action(desk.url, "wd_claim", str(ticket.id), user=user, channel=STAFF, message_ts=root.ts)
    await desk.settle()
    return await desk.core.ticket_for_desk_ref(root.ts)


async def test_a_public_staff_channel_without_a_list_refuses_to_start(
        sim: SlackSim, make_desk: Callable[..., Awaitable[Desk]]) -> None:
    assert sim.channels[STAFF]["is_private"] is False
    with pytest.raises(ConfigError) as refused:
        await make_desk(SLACK_STAFF_USERS="")
    line = str(refused.value)
    assert "\n" not in line and "SLACK_STAFF_USERS" in line and "SLACK_STAFF_GROUP" in line


async def test_members_of_a_private_staff_channel_are_staff_and_nobody_else(
        sim: SlackSim, make_desk: Callable[..., Awaitable[Desk]]) -> None:
    sim.add_channel(STAFF, "staff-desk", is_private=True, members=[BOB])
    desk = await make_desk(SLACK_STAFF_USERS="")
    ticket = await _claim_as(desk, CAROL)  # writes from the desk channel, not a member
    assert ticket.state.value == "open" and ticket.assignee is None
    assert [m.text for m in sim.ephemerals if m.ephemeral_to == CAROL] == [t("policy.not_staff", "zh")]
    await desk.sim.block_action(desk.url, "wd_claim", str(ticket.id), user=BOB, channel=STAFF,
                                message_ts=ticket.desk_ref)
    await desk.settle()
    claimed = await desk.core.ticket_for_desk_ref(ticket.desk_ref)
    assert claimed is not None and claimed.assignee == f"slack:{BOB}"


async def test_a_user_group_makes_staff_and_follows_membership_changes(
        sim: SlackSim, make_desk: Callable[..., Awaitable[Desk]]) -> None:
    sim.add_usergroup("S0STAFF", [BOB])
    desk = await make_desk(SLACK_STAFF_USERS="", SLACK_STAFF_GROUP="S0STAFF")
    ticket = await _claim_as(desk, CAROL)
    assert ticket.assignee is None
    sim.add_usergroup("S0STAFF", [BOB, CAROL])
    event = {"type": "subteam_members_changed", "subteam_id": "S0STAFF", "added_users": [CAROL],
             "event_ts": sim.next_ts()}
    assert (await sim.send_event(desk.url, event)).status == 200
    # the event is processed before Slack gets its 200: Carol is staff now
    assert desk.core.policy.allows(desk.adapter.inbound.actor(CAROL, STAFF), Permission.STAFF)
    await desk.sim.block_action(desk.url, "wd_claim", str(ticket.id), user=CAROL, channel=STAFF,
                                message_ts=ticket.desk_ref)
    await desk.settle()
    claimed = await desk.core.ticket_for_desk_ref(ticket.desk_ref)
    assert claimed is not None and claimed.assignee == f"slack:{CAROL}"


async def test_an_unknown_user_group_refuses_to_start(sim: SlackSim, make_desk: Callable[..., Awaitable[Desk]]) -> None:
    with pytest.raises(ConfigError) as refused:
        await make_desk(SLACK_STAFF_USERS="", SLACK_STAFF_GROUP="S0NOPE")
    assert "SLACK_STAFF_GROUP" in str(refused.value) and "no_such_subteam" in str(refused.value)
