"""Discord MESSAGE_UPDATE: an edit passes the shield like a new message (a
leaked edit is deleted like one); nothing answers it."""

from __future__ import annotations

from mnemonic import Mnemonic

from tests.waiting import wait_until

from .conftest import Rig, expect_leak_removed
from .test_adapter import USER

PHRASE = Mnemonic("english").to_mnemonic(bytes(range(48, 64)))


async def _handled(rig: Rig) -> None:
    """The user's first message is through the core (it stored the user) before the edit."""
    async def stored() -> bool:
        async with rig.store.transaction() as tx:
            return await tx.get_user(f"discord:{USER}") is not None
    await wait_until(stored, what="the first message handled")


async def test_a_phrase_edited_into_a_message_is_deleted(rig: Rig) -> None:
    sim = rig.sim
    first = await sim.user_message(sim.channel_id, "hi all, quick question later", author_id=USER)
    await _handled(rig)
    assert not sim.deleted
    await sim.user_edit(first["id"], f"hi all, are these words ok? {PHRASE}")
    await expect_leak_removed(sim, first["id"], USER, PHRASE.split()[0] + " " + PHRASE.split()[1])


async def test_an_ordinary_edit_is_not_answered(rig: Rig) -> None:
    sim = rig.sim
    asked = await sim.user_message(sim.channel_id, "what are gas fees?", author_id=USER, mentions_bot=True)
    await sim.wait_for_message(sim.channel_id)
    await _handled(rig)
    await sim.user_edit(asked["id"], f"<@{sim.bot_id}> what are gas fees on BSC?")
    # drained: a later question's answer arrives, and it is the only new bot message
    later = await sim.user_message(sim.channel_id, "how do I back up my recovery phrase?", author_id=USER,
                                   mentions_bot=True)
    await wait_until(lambda: any(m.get("message_reference", {}).get("message_id") == later["id"]
                                 for m in sim.messages_in(sim.channel_id)), what="the later answer")
    assert len(sim.messages_in(sim.channel_id)) == 2
