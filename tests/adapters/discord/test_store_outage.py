"""A store outage while Discord messages arrive (issue 16 item 2). The gateway
never sends a message again, so the adapter holds it and tries again for a
bounded time: an outage shorter than that loses nothing and doubles nothing; a
longer one loses the message, says so in the log, and asks a user who spoke to
the bot to send it again, in their language."""

from __future__ import annotations

import logging

import pytest

from core.i18n import t
from tests.fixtures.images import PHRASE
from tests.outage import StoreOutage, messages_in, store_failures
from tests.waiting import wait_until

from .conftest import Rig

USER = 401234567890123456
OTHER = 401234567890123457


async def test_a_short_outage_delays_the_message_and_it_is_processed_once(
        rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    sim, metrics = rig.sim, rig.core.metrics
    with StoreOutage(rig.store.path, monkeypatch):
        sent = await sim.user_message(sim.channel_id, "how much are gas fees?", author_id=USER, mentions_bot=True)
        await wait_until(lambda: store_failures(metrics, "discord") >= 2, what="the message tried again")
    reply = await sim.wait_for_message(sim.channel_id)
    assert reply["message_reference"]["message_id"] == sent["id"]
    await rig.settle()
    assert len(sim.messages_in(sim.channel_id)) == 1 and messages_in(metrics, "discord") == 1
    assert t("error.not_saved", "en") not in reply["content"]


async def test_a_long_outage_asks_the_user_to_send_it_again_in_their_language(
        rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    sim = rig.sim
    rig.adapter.store_retry_seconds = 0.3

    def lost() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "adapters.discord.adapter"
                and r.levelno == logging.ERROR and "lost" in r.getMessage()]

    with StoreOutage(rig.store.path, monkeypatch):
        chatter = await sim.user_message(sim.channel_id, "anyone around?", author_id=OTHER)
        sent = await sim.user_message(sim.channel_id, "我的转账还没到账", author_id=USER, mentions_bot=True)
        notice = await sim.wait_for_message(sim.channel_id)
        await wait_until(lambda: len(lost()) >= 2, what="both messages given up")
    assert notice["content"] == t("error.not_saved", "zh")
    assert notice["message_reference"]["message_id"] == sent["id"]
    assert sorted(str(r.args[0]) for r in lost()) == sorted([chatter["id"], sent["id"]])  # type: ignore[index]
    await rig.settle()
    # nothing for the chatter nobody asked the bot about, and the lost message stays lost
    assert sim.messages_in(sim.channel_id) == [notice]
    assert messages_in(rig.core.metrics, "discord") == 0
    # logged at ERROR on purpose; the autouse check is there for unexpected errors
    expected = lost()
    caplog.records[:] = [r for r in caplog.records if r not in expected]


async def test_a_phrase_posted_while_the_store_stays_down_is_deleted_all_the_same(
        rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The gateway never sends the message again and the outbox is in the store that
    failed: the phrase is deleted straight through the API, even when the message is lost."""
    sim = rig.sim
    rig.adapter.store_retry_seconds = 0.3
    with StoreOutage(rig.store.path, monkeypatch):
        sent = await sim.user_message(sim.channel_id, f"my words: {' '.join(PHRASE)}", author_id=USER)
        await wait_until(lambda: any(d["message_id"] == int(sent["id"]) for d in sim.deleted),
                         what="the phrase deleted during the outage")
        await wait_until(lambda: any("lost" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR),
                         what="the message given up")
    assert len([d for d in sim.deleted if d["message_id"] == int(sent["id"])]) == 1
    caplog.records[:] = [r for r in caplog.records if "lost" not in r.getMessage()]
