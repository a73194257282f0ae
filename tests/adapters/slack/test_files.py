"""Files in a ticket's Slack thread (issue 19 item 3), over real sockets: a staff
member's file reaches the user with its bytes; a file anyone else shares there
is never fetched nor relayed (the staff policy fails closed), and the bot's own
uploads into the thread are not taken for staff files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.i18n import t
from tests.simulators.slack_sim import SlackSim

from .conftest import ALICE, ALICE_DM, BOB, CAROL, STAFF, Desk


async def _ticket(desk: Desk) -> str:
    await desk.sim.send_event(desk.url, desk.sim.user_message_event(ALICE_DM, ALICE, "human", channel_type="im"))
    root, _ = await desk.ticket_root()
    await desk.settle()
    return str(root.ts)


async def test_only_staff_files_reach_the_user(sim: SlackSim, make_desk: Callable[..., Awaitable[Desk]]) -> None:
    desk = await make_desk()
    root_ts = await _ticket(desk)
    forged = sim.user_message_event(STAFF, CAROL, "", thread_ts=root_ts, files=[("evil.png", "image/png", b"\x89PNG")])
    await sim.send_event(desk.url, forged)
    await desk.settle()
    assert sim.file_downloads == [] and sim.uploads == []  # not staff: nothing fetched, nothing sent
    assert [m.text for m in sim.ephemerals if m.ephemeral_to == CAROL] == [t("policy.not_staff", "zh")]

    shared = sim.user_message_event(STAFF, BOB, "here is the guide", thread_ts=root_ts,
                                    files=[("steps.txt", "text/plain", b"1. open settings\n2. tap revoke\n")])
    await sim.send_event(desk.url, shared)
    await desk.settle()
    (upload,) = sim.uploads
    assert upload.channel == ALICE_DM and upload.data == b"1. open settings\n2. tap revoke\n"
    assert any("here is the guide" in m.text for m in sim.posted if m.channel == ALICE_DM)  # the words too
    only_file = sim.user_message_event(STAFF, BOB, "", thread_ts=root_ts,
                                       files=[("more.txt", "text/plain", b"3. done")])
    await sim.send_event(desk.url, only_file)
    await desk.settle()
    assert (STAFF, only_file["ts"], "white_check_mark") in sim.reactions  # marked delivered, as a reply is

    # the bot's own upload comes back as a file_share message from the bot user: ignored
    echo = sim.user_message_event(STAFF, sim.bot_user_id, "", thread_ts=root_ts,
                                  files=[("steps.txt", "text/plain", b"again")])
    await sim.send_event(desk.url, echo)
    await desk.settle()
    assert len(sim.uploads) == 2
