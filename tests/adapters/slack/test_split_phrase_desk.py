"""A phrase sent in two halves by a user with a ticket: the first half was relayed to
the ticket's thread before the second showed what it was. The bot deletes that line
from the Slack thread (its own message: the bot token may), not only the store's copy."""

from __future__ import annotations

from mnemonic import Mnemonic

from .conftest import ALICE, ALICE_DM, STAFF, Desk

WORDS = Mnemonic("english").to_mnemonic(bytes(range(64, 80))).split()


async def test_the_relayed_first_half_is_deleted_from_the_thread(desk: Desk) -> None:
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human please"))
    root, _ = await desk.ticket_root()
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, " ".join(WORDS[:6])))
    await desk.settle()
    (first,) = [m for m in sim.posted if m.channel == STAFF and m.thread_ts == root.ts and WORDS[0] in m.text]
    assert (STAFF, first.ts) not in sim.deleted
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, " ".join(WORDS[6:])))
    await desk.settle()
    assert (STAFF, first.ts) in sim.deleted
    live = [m.text for m in sim.posted if m.channel == STAFF and not m.deleted]
    assert not any(" ".join(WORDS[i:i + 4]) in text for text in live for i in range(len(WORDS) - 3))
