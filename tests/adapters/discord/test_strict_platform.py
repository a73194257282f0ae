"""The product on the strict Discord simulator (issue 16 item 6): real rate-limit
buckets are waited out, a channel the bot may not post in is refused once and
said so in the log, an answer later than the 15-minute interaction token is a
warning and the next command is answered."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

import aiohttp
import pytest

from core.errors import DeliveryError, RetryLater
from core.models import Delivery
from tests.conftest import Clock
from tests.simulators.discord_sim import Perm
from tests.waiting import wait_until

from .conftest import TOKEN, Rig

USER = 403456789012345678
_ROW_IDS = itertools.count(5000)


def _send(channel_id: int, text: str) -> Delivery:
    return Delivery(id=next(_ROW_IDS), platform="discord", action="send", chat_id=str(channel_id), thread_id=None,
                    payload={"text": text})


async def test_a_bucket_another_client_emptied_is_waited_out(rig: Rig) -> None:
    sim = rig.sim
    clock = Clock(time.monotonic())  # continues the simulator's own clock
    sim.clock = clock
    assert sim.rate_limits is not None
    sim.rate_limits.limits["POST /channels/{channel_id}/messages"] = (2, 0.2)
    # time passes only while the client waits out the 429 it got (at most 0.2 s, really waited)
    sim.rate_limits.on_limited = lambda limited: clock.advance(limited.retry_after)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {TOKEN}"}) as http:
        for n in range(2):  # e.g. a second worker process sharing the bot token
            async with http.post(f"{sim.api_base}/channels/{sim.channel_id}/messages",
                                 json={"content": f"other {n}"}) as resp:
                assert resp.status == 200
    result = await rig.adapter.deliver(_send(sim.channel_id, "after the 429"))
    assert [c.status for c in sim.calls_to("POST /channels")][-2:] == [429, 200]
    assert sim.message(result.external_id or 0)["content"] == "after the 429"  # type: ignore[index]


async def test_a_long_limit_goes_back_to_the_outbox_with_its_retry_after(rig: Rig) -> None:
    sim = rig.sim
    assert sim.rate_limits is not None
    sim.rate_limits.limits["POST /channels/{channel_id}/messages"] = (1, 3600.0)
    await rig.adapter.deliver(_send(sim.channel_id, "the only one this hour"))
    with pytest.raises(RetryLater) as info:
        await rig.adapter.deliver(_send(sim.channel_id, "much later"))
    assert info.value.retry_after is not None and info.value.retry_after > 60


async def test_no_send_permission_in_the_channel_is_refused_and_logged(rig: Rig,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    sim = rig.sim
    bot_role = sim.guilds[sim.guild_id].bot_role_id
    sim.set_channel_overwrite(sim.channel_id, bot_role, deny=Perm.SEND_MESSAGES)
    with pytest.raises(DeliveryError) as info:
        await rig.adapter.deliver(_send(sim.channel_id, "hello"))
    assert not isinstance(info.value, RetryLater) and "50013" in str(info.value)

    # through the outbox: one attempt, a dead letter the operator reads in the log
    caplog.set_level(logging.WARNING, logger="core.support.outbox")
    before = len(sim.calls_to("POST /channels"))
    await sim.user_message(sim.channel_id, "what are gas fees?", author_id=USER, mentions_bot=True)
    record = await wait_until(lambda: next((r for r in caplog.records if r.name == "core.support.outbox"
                                            and "dead letter" in r.getMessage()), None))
    assert "Missing Permissions" in record.getMessage()
    await rig.settle()
    assert len(sim.calls_to("POST /channels")) == before + 1
    assert sim.messages_in(sim.channel_id) == []  # the bot posted nothing there


async def test_an_answer_later_than_the_token_is_logged_and_the_next_command_answered(
        rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import adapters.discord.commands as commands

    sim = rig.sim
    clock = Clock(time.monotonic())  # continues the simulator's own clock, then moves by hand
    sim.clock = clock
    monkeypatch.setattr(commands, "DEFER_AFTER", 0.05)
    assert rig.adapter.commands is not None
    faq = rig.adapter.commands.faq
    release = asyncio.Event()

    async def slow_faq(question: str, lang: str) -> str:
        if question.startswith("slow"):
            await release.wait()
        return await faq(question, lang)

    monkeypatch.setattr(rig.adapter.commands, "faq", slow_faq)
    late = int((await sim.slash_command("faq", {"question": "slow: what are gas fees?"}, user_id=USER))["id"])
    await sim.wait_for(lambda: sim.interaction_responses.get(late))  # deferred
    clock.advance(15 * 60 + 1)  # the answer comes after the interaction token expired
    release.set()
    record = await wait_until(lambda: next((r for r in caplog.records if "could not answer interaction" in
                                            r.getMessage()), None))
    assert "401" in record.getMessage() and "50027" in record.getMessage() and record.levelno == logging.WARNING
    assert not sim.original_responses[late].get("content")
    fresh = int((await sim.slash_command("faq", {"question": "what are gas fees?"}, user_id=USER))["id"])
    answer = await sim.wait_for(lambda: sim.interaction_responses.get(fresh))
    assert answer["type"] == 4 and answer["data"]["content"]
