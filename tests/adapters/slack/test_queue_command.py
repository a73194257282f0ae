"""``/tickets [filter]`` on the Slack desk, over sockets: staff see the queue,
others are refused in their language, an unknown filter is one line."""

from __future__ import annotations

from core.i18n import t

from .conftest import ALICE, ALICE_DM, BOB, CAROL, STAFF, Desk


def _lines_to(desk: Desk, user: str) -> list[str]:
    return [m.text for m in desk.sim.ephemerals if m.ephemeral_to == user]


async def test_staff_list_the_queue_and_others_are_refused(desk: Desk) -> None:
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human <!channel>"))
    await desk.ticket_root()
    await sim.slash_command(desk.url, "/tickets", "", user=BOB, channel=STAFF)
    await desk.settle()
    (listing,) = _lines_to(desk, BOB)
    header, line = listing.splitlines()
    assert header == "🗂 1 ticket(s) · open"
    assert line.startswith("#1 · normal · open · Alice (slack) · contact-human · ")

    await sim.slash_command(desk.url, "/tickets", "breached", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/tickets", "everything", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/tickets", "", user=CAROL, channel=STAFF)
    await desk.settle()
    breached, refused = _lines_to(desk, BOB)[1:]
    assert breached == "🗂 0 ticket(s) · breached\nNothing waiting here."
    assert refused.startswith('Unknown filter "everything". Use any of: open, new, claimed, waiting')
    assert _lines_to(desk, CAROL) == [t("policy.not_staff", "zh")]  # Carol's Slack speaks Chinese
