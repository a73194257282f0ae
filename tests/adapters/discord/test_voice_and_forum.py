"""Messages in the text chat of voice and stage channels and in forum posts reach
the shield like any channel message (they used to be dropped before it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mnemonic import Mnemonic

from core.faq_engine import FaqEngine
from core.storage.sqlite import SQLiteStore
from tests.simulators.discord_sim import CH_GUILD_FORUM, CH_GUILD_STAGE_VOICE, CH_GUILD_VOICE, DiscordSim

from .conftest import expect_leak_removed, running_rig
from .test_adapter import USER

PHRASE = Mnemonic("english").to_mnemonic(bytes(range(80, 96)))
SHOWN = " ".join(PHRASE.split()[:2])  # what must never appear in anything the bot sends


@pytest.mark.parametrize("kind", [CH_GUILD_VOICE, CH_GUILD_STAGE_VOICE], ids=["voice", "stage"])
async def test_a_phrase_in_a_voice_channels_text_chat_is_deleted(
        sim: DiscordSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine, code_sender, kind: int
) -> None:
    channel = sim.add_channel(sim.guild_id, "lounge", kind=kind)
    async with running_rig(sim, tmp_path, sqlite_store, faq_engine, code_sender):
        leak = await sim.user_message(channel, f"did I write it down right? {PHRASE}", author_id=USER)
        await expect_leak_removed(sim, leak["id"], USER, SHOWN, channel_id=channel)


async def test_a_phrase_in_a_forum_post_is_deleted(
        sim: DiscordSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine: FaqEngine, code_sender
) -> None:
    forum = sim.add_channel(sim.guild_id, "help-forum", kind=CH_GUILD_FORUM)
    async with running_rig(sim, tmp_path, sqlite_store, faq_engine, code_sender):
        post = await sim.user_forum_post(forum, "wallet restore", f"restoring with {PHRASE}, why no balance?",
                                         author_id=USER)
        await expect_leak_removed(sim, post["id"], USER, SHOWN, channel_id=int(post["channel_id"]))
