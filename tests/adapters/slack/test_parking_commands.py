"""Parking and blocking from the Slack desk, over sockets: ``/ticket N wait`` with a
question, the nudge a day later in the user's DM, ``/ticket N snooze`` hiding the
ticket from ``/tickets``, ``/block`` by mention with its reason listed, refusals in
the staff member's language, ``/unblock``."""

from __future__ import annotations

from core.i18n import t
from tests.conftest import Clock

from .conftest import ALICE, ALICE_DM, BOB, CAROL, STAFF, Desk


def _lines_to(desk: Desk, user: str) -> list[str]:
    return [m.text for m in desk.sim.ephemerals if m.ephemeral_to == user]


async def test_wait_nudge_snooze_and_block_from_slack(desk: Desk, clock: Clock) -> None:
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human please"))
    root, ticket = await desk.ticket_root()
    tid = ticket.id
    await sim.slash_command(desk.url, "/ticket", f"{tid} wait could you send the transaction hash?", user=BOB,
                            channel=STAFF)
    await desk.settle()
    assert any("could you send the transaction hash?" in x for x in sim.texts_in(ALICE_DM))
    assert any("waiting on the user" in x for x in sim.texts_in(STAFF, root.ts))

    clock.advance(25 * 3600)
    await desk.core.timers.run()
    await desk.settle()
    assert sum("still waiting for your answer" in x for x in sim.texts_in(ALICE_DM)) == 1
    assert any("nudged once" in x for x in sim.texts_in(STAFF, root.ts))

    await sim.slash_command(desk.url, "/ticket", f"{tid} snooze 2h", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/ticket", f"{tid} snooze someday", user=BOB, channel=STAFF)
    await desk.settle()
    await sim.slash_command(desk.url, "/tickets", "", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/tickets", "snoozed", user=BOB, channel=STAFF)
    await desk.settle()
    bad_snooze, listing, snoozed = _lines_to(desk, BOB)
    assert "someday" in bad_snooze
    assert listing == "🗂 0 ticket(s) · open\nNothing waiting here."
    assert snoozed.splitlines()[1].startswith(f"#{tid} · ")

    await sim.slash_command(desk.url, "/block", f"<@{ALICE}|alice> spam &amp; insults", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/block", f"<@{ALICE}>", user=CAROL, channel=STAFF)
    await desk.settle()
    assert _lines_to(desk, BOB)[-1] == f"🚫 slack:{ALICE} is blocked."
    assert _lines_to(desk, CAROL) == [t("abuse.not_moderator", "zh")]  # on Slack only staff may
    assert sum("only notice" in x for x in sim.texts_in(ALICE_DM)) == 1
    assert any(f"slack:{ALICE} blocked by slack:{BOB}. Reason: spam &amp; insults" in x
               for x in sim.texts_in(STAFF, root.ts))
    before = len(sim.texts_in(ALICE_DM))
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "hello? I need a human"))
    await desk.settle()
    assert len(sim.texts_in(ALICE_DM)) == before  # silent now
    await sim.slash_command(desk.url, "/block", "", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/unblock", f"<@{ALICE}>", user=BOB, channel=STAFF)
    await desk.settle()
    listing, unblocked = _lines_to(desk, BOB)[-2:]
    assert listing.splitlines()[1].startswith(f"slack:{ALICE} · spam &amp; insults · by slack:{BOB} · ")
    assert unblocked == f"✅ slack:{ALICE} is unblocked."
