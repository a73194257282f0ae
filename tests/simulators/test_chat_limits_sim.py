"""The Telegram and Slack simulators refuse what the platforms' documented rate limits refuse
(issue 16 item 6), on a clock the test moves by hand: one test per documented rule."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot
from telegram.error import RetryAfter

from tests.conftest import Clock

from .slack_sim import SlackSim
from .telegram_sim import TelegramSim

GROUP, ALICE, BOB = -1001, 42, 43
STAFF, COMMUNITY = "C0STAFF", "C0COMMUNITY"


# ---------------------------------------------------------------------------------- Telegram


@pytest.fixture
async def tg() -> AsyncIterator[tuple[TelegramSim, Clock]]:
    clock = Clock(1_000.0)
    async with TelegramSim(clock=clock) as sim:
        sim.add_chat(GROUP, "supergroup", title="Wallet help")
        for user in (ALICE, BOB):
            await sim.user_message(user, "/start", user_id=user, chat_type="private")
        yield sim, clock


async def _send(sim: TelegramSim, chat_id: int, text: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sim.api_url}/sendMessage", json={"chat_id": chat_id, "text": text}) as resp:
            return resp.status, await resp.json()


async def test_telegram_one_message_a_second_per_chat_after_a_short_burst(tg: tuple[TelegramSim, Clock]) -> None:
    sim, clock = tg
    for n in range(3):  # "short bursts that go over this limit"
        assert (await _send(sim, ALICE, f"burst {n}"))[0] == 200
    status, body = await _send(sim, ALICE, "one too many")
    assert status == 429
    assert body == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1}}
    assert (await _send(sim, BOB, "another chat is not held"))[0] == 200
    clock.advance(1.0)  # one more second: one more message
    assert (await _send(sim, ALICE, "a second later"))[0] == 200
    assert (await _send(sim, ALICE, "at once again"))[0] == 429
    assert sim.texts_to(ALICE) == ["burst 0", "burst 1", "burst 2", "a second later"]


async def test_telegram_twenty_messages_a_minute_per_group(tg: tuple[TelegramSim, Clock]) -> None:
    sim, clock = tg
    for n in range(20):
        assert (await _send(sim, GROUP, f"group {n}"))[0] == 200, n
        clock.advance(1.5)  # slower than one a second: only the group's minute is reached
    async with Bot(sim.token, base_url=f"{sim.base_url}/bot") as bot:
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(GROUP, "the 21st within a minute")
    # the first of the 20 went out at 1,000 s; it is 1,030 s: 30 more seconds
    assert int(info.value.retry_after.total_seconds() if hasattr(info.value.retry_after, "total_seconds")
               else info.value.retry_after) == 30
    assert (await _send(sim, ALICE, "a private chat is not a group"))[0] == 200
    clock.advance(30.0)
    assert (await _send(sim, GROUP, "a minute after the first"))[0] == 200
    assert len(sim.texts_to(GROUP)) == 21


async def test_telegram_thirty_messages_a_second_overall(tg: tuple[TelegramSim, Clock]) -> None:
    sim, clock = tg
    users = list(range(1_000, 1_031))
    for user in users:
        await sim.user_message(user, "/start", user_id=user, chat_type="private")
    for user in users[:30]:
        assert (await _send(sim, user, "notice"))[0] == 200
    status, body = await _send(sim, users[30], "the 31st this second, to a chat of its own")
    assert status == 429 and body["parameters"] == {"retry_after": 1}
    assert sim.rate_limits is not None and sim.rate_limits.refused[-1].rule == "overall"
    clock.advance(1.0)
    assert (await _send(sim, users[30], "next second"))[0] == 200


async def test_telegram_limits_can_be_turned_off(tg: tuple[TelegramSim, Clock]) -> None:
    sim, _clock = tg
    sim.rate_limits = None
    for n in range(10):
        assert (await _send(sim, ALICE, f"n{n}"))[0] == 200


# ---------------------------------------------------------------------------------- Slack


@pytest.fixture
async def slack() -> AsyncIterator[tuple[SlackSim, Clock, AsyncWebClient]]:
    clock = Clock(1_000.0)
    async with SlackSim(clock=clock) as sim:
        sim.add_channel(STAFF, "staff-desk")
        sim.add_channel(COMMUNITY, "community")
        sim.add_user("U0ALICE", "alice")
        yield sim, clock, AsyncWebClient(token=sim.token, base_url=sim.api_url)


async def _refused(call: object) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return info.value


async def test_slack_post_message_one_a_second_per_channel_after_a_short_burst(
        slack: tuple[SlackSim, Clock, AsyncWebClient]) -> None:
    sim, clock, client = slack
    for n in range(3):  # "Short bursts >1 allowed"
        await client.chat_postMessage(channel=STAFF, text=f"burst {n}")
    error = await _refused(client.chat_postMessage(channel=STAFF, text="one too many"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "1"
    assert error.response.data == {"ok": False, "error": "ratelimited"}
    await client.chat_postMessage(channel=COMMUNITY, text="another channel is not held")
    clock.advance(1.0)
    await client.chat_postMessage(channel=STAFF, text="a second later")
    assert sim.texts_in(STAFF) == ["burst 0", "burst 1", "burst 2", "a second later"]


@pytest.mark.parametrize(("method", "per_minute", "call"), [
    ("conversations.info", 50, lambda c: c.conversations_info(channel=STAFF)),  # Tier 3
    ("users.info", 100, lambda c: c.users_info(user="U0ALICE")),  # Tier 4
    ("usergroups.users.list", 20, lambda c: c.usergroups_users_list(usergroup="S0STAFF")),  # Tier 2
])
async def test_slack_methods_limited_per_minute_by_tier(slack: tuple[SlackSim, Clock, AsyncWebClient], method: str,
                                                        per_minute: int, call: object) -> None:
    sim, clock, client = slack
    sim.usergroups["S0STAFF"] = ["U0ALICE"]
    for _ in range(per_minute):
        await call(client)  # type: ignore[operator]
        clock.advance(0.5)
    error = await _refused(call(client))  # type: ignore[operator]
    assert error.response.status_code == 429 and error.response.data["error"] == "ratelimited"
    # the first call was at 1,000 s and it is now 1,000 + per_minute / 2: the minute ends then
    assert int(error.response.headers["Retry-After"]) == 60 - per_minute // 2
    await client.auth_test()  # another method is not held
    clock.advance(60.0 - per_minute / 2)
    await call(client)  # type: ignore[operator]
    assert sim.rate_limits is not None and [r.key for r in sim.rate_limits.refused] == [method]
