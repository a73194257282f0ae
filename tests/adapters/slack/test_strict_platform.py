"""The product on the strict Slack simulator (issue 16 item 6): the answer to a
message event stays inside Slack's 3 s when users.info hangs; Slack's own retries of
a late answer, arriving while the first delivery is still being handled, are
processed once; a channel the bot is not in is a refusal, never retried, and a staff
channel without the bot is one warning at start-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from core.errors import DeliveryError, RetryLater
from core.models import Delivery
from tests.outage import messages_in
from tests.simulators.slack_sim import SlackSim

from .conftest import ALICE, ALICE_DM, BOB, STAFF, Desk


async def test_the_event_is_answered_inside_three_seconds_while_users_info_hangs(desk: Desk) -> None:
    sim = desk.sim
    assert sim.ack_timeout == 3.0  # Slack's deadline, not a test's
    gate = sim.hold("users.info")
    delivered = await sim.user_says(desk.url, ALICE_DM, ALICE, "what are your support hours?")
    assert not delivered.timed_out and delivered.status == 200
    gate.set()
    await desk.settle()
    assert len(sim.messages_in(ALICE_DM)) == 1 and len(sim.deliveries_of(delivered.event_id or "")) == 1


async def test_slack_retries_of_a_late_answer_are_processed_once(desk: Desk) -> None:
    sim = desk.sim
    delays: list[float] = []

    async def sleep(seconds: float) -> None:  # Slack's 1 and 5 minutes, not waited out
        delays.append(seconds)

    sim.sleep = sleep
    sim.ack_timeout = 0.2  # users.info hangs: every delivery is late, Slack retries three times
    gate = sim.hold("users.info")
    first = await sim.user_says(desk.url, ALICE_DM, ALICE, "what are your support hours?")
    assert first.timed_out
    await sim.retries_done()
    deliveries = sim.deliveries_of(first.event_id or "")
    assert [d.retry_num for d in deliveries] == [None, 1, 2, 3] and delays == [0.0, 60.0, 300.0]
    gate.set()  # four handlers of the same event now go on at once
    await desk.settle()
    assert len(sim.messages_in(ALICE_DM)) == 1 and messages_in(desk.core.metrics, "slack") == 1


@pytest.mark.parametrize("channel, error", [("C0GONE", "channel_not_found"), ("C0NOTIN", "not_in_channel")])
async def test_a_channel_the_bot_cannot_post_in_is_refused_not_retried(desk: Desk, channel: str, error: str) -> None:
    desk.sim.add_channel("C0NOTIN", "random", bot_is_member=False)
    row = Delivery(id=77, platform="slack", action="send", chat_id=channel, thread_id=None, payload={"text": "hi"})
    with pytest.raises(DeliveryError) as info:
        await desk.adapter.deliver(row)
    assert not isinstance(info.value, RetryLater) and str(info.value) == error


async def test_a_button_is_acknowledged_at_once_while_its_work_waits_on_slack(desk: Desk) -> None:
    sim = desk.sim
    assert (await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "human"))).status == 200
    root, ticket = await desk.ticket_root()
    await desk.settle()
    gate = sim.hold("chat.update")  # Slack is slow to update the root message
    click = await sim.block_action(desk.url, "wd_claim", str(ticket.id), user=BOB, channel=STAFF, message_ts=root.ts)
    assert not click.timed_out and click.status == 200
    assert not any(m.ts == root.ts for m in sim.updated)  # the work is still waiting
    gate.set()
    await desk.settle()
    current = sim.message(STAFF, root.ts)
    assert current is not None and any("claimed" in str(b) for b in current.blocks or [])


@pytest.mark.parametrize("private", [False, True])
async def test_a_staff_channel_without_the_bot_is_one_warning_at_start(
        sim: SlackSim, make_desk: Callable[..., Awaitable[Desk]], caplog: pytest.LogCaptureFixture,
        private: bool) -> None:
    sim.channels[STAFF].update(is_member=False, is_private=private)
    caplog.set_level(logging.WARNING, logger="adapters.slack.desk_check")
    await make_desk()
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "adapters.slack.desk_check"]
    assert STAFF in warning and "/invite" in warning
    assert ("channel_not_found" if private else "not_in_channel") in warning


async def test_a_public_staff_channel_the_token_may_post_in_is_no_warning(
        sim: SlackSim, make_desk: Callable[..., Awaitable[Desk]], caplog: pytest.LogCaptureFixture) -> None:
    sim.channels[STAFF]["is_member"] = False
    sim.scopes.append("chat:write.public")
    caplog.set_level(logging.WARNING, logger="adapters.slack.desk_check")
    desk = await make_desk()
    assert not [r for r in caplog.records if r.name == "adapters.slack.desk_check"]
    root, _ticket = await _open(desk)
    assert root.channel == STAFF


async def _open(desk: Desk) -> tuple[Any, Any]:
    assert (await desk.sim.send_event(desk.url, desk.sim.user_message_event(ALICE_DM, ALICE, "human"))).status == 200
    return await desk.ticket_root()
