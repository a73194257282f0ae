"""The Discord adapter end to end: real discord.py, real sockets, the local
simulator, a real core on SQLite and the outbox worker delivering."""

from __future__ import annotations

import asyncio
import itertools

import discord
import pytest
from mnemonic import Mnemonic

from adapters.discord import DiscordAdapter
from core.errors import ConfigError, DeliveryError, RetryLater
from core.i18n import t
from core.models import Delivery
from core.identity.policy import Actor
from tests.fixtures.faq_file import is_bundled_answer
from tests.simulators.discord_sim import Perm

from .conftest import STAFF_ID, TOKEN, Rig, expect_leak_removed

USER = 401234567890123456
MOD = 402345678901234567


_ROW_IDS = itertools.count(1000)


def _delivery(action: str, chat_id: int | str, **payload: object) -> Delivery:
    # a fresh row id each time: Discord deduplicates a row sent twice (its id is the nonce)
    return Delivery(id=next(_ROW_IDS), platform="discord", action=action, chat_id=str(chat_id), thread_id=None,
                    payload=payload)


async def _response(rig: Rig, payload: dict) -> dict:
    iid = int(payload["id"])
    return await rig.sim.wait_for(lambda: rig.sim.interaction_responses.get(iid))


def _no_mentions(message: dict) -> None:
    assert message["allowed_mentions"] == {"parse": []}
    assert message["mention_everyone"] is False and message["mentions"] == [] and message["mention_roles"] == []


async def test_start_registers_commands_and_link(rig: Rig) -> None:
    sim = rig.sim
    assert rig.adapter.connected and rig.adapter.bot_id == sim.bot_id
    assert rig.core.link_templates["discord"] == f"https://discord.com/users/{sim.bot_id}"
    assert sim.identifies[0]["intents"] & (1 << 15)  # message content
    commands = {c["name"]: c for c in sim.registered_commands[None]}
    assert set(commands) == {"faq", "ticket", "verify", "Escalate to staff", "Block this user"}
    assert int(commands["Block this user"]["default_member_permissions"]) == Perm.MANAGE_MESSAGES
    escalate = commands["Escalate to staff"]
    assert escalate["type"] == 3 and int(escalate["default_member_permissions"]) == Perm.MANAGE_MESSAGES
    assert escalate["name_localizations"]["zh-CN"] == t("discord.cmd.escalate", "zh")
    assert commands["faq"]["description_localizations"]["zh-CN"] == t("discord.cmd.faq", "zh")
    assert DiscordAdapter.configured(rig.core.settings)


async def test_mention_gets_faq_answer_in_channel_without_pings(rig: Rig) -> None:
    sim = rig.sim
    sent = await sim.user_message(sim.channel_id, "how much are gas fees?", author_id=USER, mentions_bot=True)
    reply = await sim.wait_for_message(sim.channel_id)
    assert is_bundled_answer(reply["content"], "gas-fees", "en")
    assert reply["message_reference"]["message_id"] == sent["id"]
    _no_mentions(reply)


async def test_unaddressed_message_gets_nothing(rig: Rig) -> None:
    sim = rig.sim
    await sim.user_message(sim.channel_id, "how much are gas fees?", author_id=USER)
    # a reply to a bot message counts as addressed; it also marks when the first one was processed
    await sim.user_message(sim.channel_id, "what are your support hours?", author_id=USER, mentions_bot=True)
    first = await sim.wait_for_message(sim.channel_id)
    await sim.user_message(sim.channel_id, "my transfer has not arrived", author_id=USER,
                           reference_message_id=first["id"])
    await sim.wait_for(lambda: len(sim.messages_in(sim.channel_id)) == 2)
    await rig.settle()  # the unaddressed message was read first: its handler is done too
    contents = [m["content"] for m in sim.messages_in(sim.channel_id)]
    assert len(contents) == 2 and not any("gas" in c.lower() for c in contents)


async def test_dm_human_opens_ticket(rig: Rig) -> None:
    sim = rig.sim
    dm = sim.open_dm(USER)
    await sim.user_message(dm, "human", author_id=USER, username="bob")
    ticket = await rig.ticket_of(USER)
    assert ticket.origin.chat_id == str(dm) and ticket.origin.is_private
    reply = await sim.wait_for_message(dm)
    assert f"#{ticket.id}" in reply["content"]
    _no_mentions(reply)


async def test_faq_slash_command_answers_ephemerally_in_the_users_locale(rig: Rig) -> None:
    sim = rig.sim
    question = "what are your support hours?"
    response = await _response(rig, await sim.slash_command("faq", {"question": question}, user_id=USER,
                                                            locale="zh-CN"))
    assert response["type"] == 4 and response["data"]["flags"] == 64
    assert is_bundled_answer(response["data"]["content"], "support-hours", "zh")
    assert response["data"]["allowed_mentions"] == {"parse": []}
    unknown = await _response(rig, await sim.slash_command(
        "faq", {"question": "what is the airspeed velocity of a swallow"}, user_id=USER, locale="en-US"))
    assert unknown["data"]["content"] == t("faq.group_offer_human", "en")
    assert sim.messages_in(sim.channel_id) == []  # nothing public


async def test_verify_slash_command(rig: Rig) -> None:
    sim = rig.sim
    sim.add_user(STAFF_ID, "alice")
    real = await _response(rig, await sim.slash_command("verify", {"name": f"<@{STAFF_ID}>"}, user_id=USER))
    assert real["data"]["content"].startswith("✅") and real["data"]["flags"] == 64
    fake = await _response(rig, await sim.slash_command("verify", {"name": "Alice Supp0rt"}, user_id=USER,
                                                        locale="zh-TW"))
    assert fake["data"]["content"] == t("staffcheck.impostor", "zh", name="Alice Supp0rt")


async def test_ticket_slash_command_answers_by_dm(rig: Rig) -> None:
    sim = rig.sim
    response = await _response(rig, await sim.slash_command("ticket", user_id=USER))
    assert response["data"]["content"] == t("discord.ticket_dm", "en") and response["data"]["flags"] == 64
    dm = await sim.wait_for(lambda: sim.dm_channel_for(USER))
    assert (await sim.wait_for_message(dm))["content"] == t("ticket.none", "en")


async def test_moderator_escalates_and_non_moderator_is_refused(rig: Rig) -> None:
    sim = rig.sim
    target = await sim.user_message(sim.channel_id, "my funds vanished after I clicked a link", author_id=USER,
                                    username="victim")
    refused = await _response(rig, await sim.message_context_command(
        "Escalate to staff", target, user_id=USER + 1, enforce_permissions=False))
    assert refused["data"]["content"] == t("escalate.not_moderator", "en") and refused["data"]["flags"] == 64
    assert await rig.no_ticket(USER)

    done = await _response(rig, await sim.message_context_command(
        "Escalate to staff", target, user_id=MOD, member_roles=[sim.moderator_role_id]))
    ticket = await rig.ticket_of(USER)
    assert done["data"]["content"] == t("discord.escalated", "en", ticket_id=ticket.id)
    assert done["data"]["flags"] == 64
    assert ticket.origin.chat_id == str(sim.channel_id) and not ticket.origin.is_private
    notice = await sim.wait_for_message(sim.channel_id, lambda m: f"#{ticket.id}" in m["content"])
    assert f"https://discord.com/users/{sim.bot_id}" in notice["content"]
    assert notice["message_reference"]["message_id"] == target["id"]
    _no_mentions(notice)

    # staff reply to a group-origin ticket reaches the user by DM
    await rig.core.staff.act(Actor.at_desk("console:operator"), ticket.id, "reply", event_key="r1", text="@everyone we're on it")
    dm = await sim.wait_for(lambda: sim.dm_channel_for(USER))
    reply = await sim.wait_for_message(dm)
    assert reply["content"] == t("ticket.staff_reply", "en", text="@\u200beveryone we're on it")
    _no_mentions(reply)


async def test_seed_phrase_is_deleted_and_user_warned_by_dm(rig: Rig) -> None:
    sim = rig.sim
    phrase = Mnemonic("english").generate(128)
    leak = await sim.user_message(sim.channel_id, f"is my wallet ok? {phrase}", author_id=USER)
    await expect_leak_removed(sim, leak["id"], USER, phrase)
    for path in rig.data_dir.glob("test.db*"):
        assert phrase.encode() not in path.read_bytes()


async def test_user_text_never_pings(rig: Rig) -> None:
    sim = rig.sim
    text = f"@everyone hi @here <@&{sim.moderator_role_id}> <@{sim.owner_id}>"
    result = await rig.adapter.deliver(_delivery("send", sim.channel_id, text=text))
    message = sim.message(result.external_id or 0)
    assert message is not None
    _no_mentions(message)
    assert "@everyone" not in message["content"] and "hi" in message["content"]


async def test_long_text_is_split_at_2000(rig: Rig) -> None:
    sim = rig.sim
    text = ("word " * 900).strip()
    await rig.adapter.deliver(_delivery("send", sim.channel_id, text=text))
    messages = sim.messages_in(sim.channel_id)
    assert len(messages) == 3 and all(len(m["content"]) <= 2000 for m in messages)
    assert " ".join(m["content"] for m in messages) == text


async def test_429_then_success_still_delivers(rig: Rig) -> None:
    sim = rig.sim
    sim.fail("POST /channels", status=429, times=1, retry_after=0.2)
    result = await rig.adapter.deliver(_delivery("send", sim.channel_id, text="after the limit"))
    assert [c.status for c in sim.calls_to("POST /channels")] == [429, 200]
    assert sim.message(result.external_id or 0)["content"] == "after the limit"  # type: ignore[index]
    # a limit longer than the adapter waits in line goes back to the outbox with retry_after
    sim.fail("POST /channels", status=429, times=1, retry_after=120)
    with pytest.raises(RetryLater) as info:
        await rig.adapter.deliver(_delivery("send", sim.channel_id, text="much later"))
    assert info.value.retry_after == pytest.approx(120)


async def test_server_error_window_maps_to_retry_later(rig: Rig) -> None:
    sim = rig.sim
    sim.fail_for(3600, 503, route="/messages")
    with pytest.raises(RetryLater):
        await rig.adapter.deliver(_delivery("send", sim.channel_id, text="during the outage"))
    sim.clear_failures()  # the outage is over
    await rig.adapter.deliver(_delivery("send", sim.channel_id, text="after the outage"))
    assert sim.messages_in(sim.channel_id)[-1]["content"] == "after the outage"


async def test_outbox_retries_through_an_outage(rig: Rig) -> None:
    sim = rig.sim
    sim.fail_for(3600, 503, route="POST /channels")  # until the answer ran into it
    await sim.user_message(sim.channel_id, "what are gas fees?", author_id=USER, mentions_bot=True)
    await sim.wait_for(lambda: 503 in [c.status for c in sim.calls_to("POST /channels")])
    sim.clear_failures()
    reply = await sim.wait_for_message(sim.channel_id)
    assert is_bundled_answer(reply["content"], "gas-fees", "en")
    assert 503 in [c.status for c in sim.calls_to("POST /channels")]


async def test_delete_missing_is_done_and_forbidden_is_refused(rig: Rig) -> None:
    sim = rig.sim
    await rig.adapter.deliver(_delivery("delete", sim.channel_id, message_id="123456789012345678"))
    other = await sim.user_message(sim.channel_id, "hello", author_id=USER)
    sim.set_bot_permissions(sim.guild_id, Perm.BOT_DEFAULT & ~Perm.MANAGE_MESSAGES)
    with pytest.raises(DeliveryError) as info:
        await rig.adapter.deliver(_delivery("delete", sim.channel_id, message_id=other["id"]))
    assert not isinstance(info.value, RetryLater)


async def test_dm_refused_falls_back_to_the_channel(rig: Rig) -> None:
    sim = rig.sim
    sim.add_user(USER, "bob", guild_id=sim.guild_id)
    sim.block_dms(USER)
    with pytest.raises(DeliveryError) as info:
        await rig.adapter.deliver(_delivery("dm", USER, text="Support: hi", user_id=str(USER),
                                            fallback_chat_id=str(sim.channel_id)))
    assert not isinstance(info.value, RetryLater)
    notice = await sim.wait_for_message(sim.channel_id)
    assert notice["allowed_mentions"]["parse"] == []
    assert [str(u) for u in notice["allowed_mentions"]["users"]] == [str(USER)]
    assert [u["id"] for u in notice["mentions"]] == [str(USER)] and notice["mention_everyone"] is False
    assert t("dm.fallback", "zh", name=f"<@{USER}>", link=f"https://discord.com/users/{sim.bot_id}") \
        in notice["content"]


async def test_gateway_disconnect_then_message_arrives_once(rig: Rig) -> None:
    sim = rig.sim
    await sim.disconnect_gateway()
    sent = await sim.user_message(sim.channel_id, "how much are gas fees?", author_id=USER, mentions_bot=True)
    await sim.wait_for(lambda: sim.resumes)
    await sim.wait_for_message(sim.channel_id)
    await sim.dispatch("MESSAGE_CREATE", sent)  # the same event again
    await rig.barrier()  # read and handled
    assert len(sim.messages_in(sim.channel_id)) == 1
    assert len(sim.identifies) == 1 and rig.adapter.connected


async def test_malformed_and_foreign_events_do_not_stop_the_gateway(rig: Rig,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    sim = rig.sim
    await sim.dispatch("MESSAGE_CREATE", {"id": "1", "channel_id": "999", "content": "no author"})
    bogus = await sim.user_message(sim.channel_id, "x", author_id=USER)
    await sim.dispatch("MESSAGE_CREATE", {**bogus, "id": str(sim.new_id()), "channel_id": "5"})
    await sim.user_message(sim.channel_id, "how much are gas fees?", author_id=USER, mentions_bot=True)
    assert await sim.wait_for_message(sim.channel_id)
    assert any("dropped a malformed MESSAGE_CREATE" in r.getMessage() for r in caplog.records)
    assert rig.adapter.connected and len(sim.identifies) == 1


async def test_bad_token_is_a_config_error(rig: Rig) -> None:
    assert not DiscordAdapter.configured(rig.core.settings.model_copy(update={"discord_bot_token": None}))
    rig.sim.token = "another-token"
    adapter = DiscordAdapter(rig.core, guild_ready_timeout=0.05, ready_timeout=2.0)
    try:
        with pytest.raises(ConfigError):
            await adapter.start()
        assert adapter.client is None and not adapter.connected
    finally:
        rig.sim.token = TOKEN


async def test_slow_answer_is_deferred_then_edited(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.discord.commands as commands

    monkeypatch.setattr(commands, "DEFER_AFTER", 0.05)
    assert rig.adapter.commands is not None
    faq = rig.adapter.commands.faq
    deferred = asyncio.Event()

    async def slow_faq(question: str, lang: str) -> str:
        await deferred.wait()  # slower than DEFER_AFTER, however slow the machine is
        return await faq(question, lang)

    monkeypatch.setattr(rig.adapter.commands, "faq", slow_faq)
    sim = rig.sim
    payload = await sim.slash_command("faq", {"question": "how much are gas fees?"}, user_id=USER)
    iid = int(payload["id"])
    await sim.wait_for(lambda: sim.interaction_responses.get(iid))
    assert sim.interaction_responses[iid] == {"type": 5, "data": {"flags": 64}}
    deferred.set()
    await sim.wait_for(lambda: sim.original_responses.get(iid, {}).get("content"))
    assert sim.original_responses[iid]["content"] == await faq("how much are gas fees?", "en")


async def test_a_row_sent_again_after_a_crash_posts_once(rig: Rig) -> None:
    # the outbox row's id is the nonce: a resend (its mark lost with a crashed worker) is deduplicated by Discord
    sim = rig.sim
    long_text = "x" * 2500  # two chunks, each with its own nonce
    row = Delivery(id=41, platform="discord", action="send", chat_id=str(sim.channel_id), thread_id=None,
                   payload={"text": long_text})
    first = await rig.adapter.deliver(row)
    again = await rig.adapter.deliver(row)
    assert first.external_id == again.external_id and sim.nonce_hits == 2
    assert len(sim.messages_in(sim.channel_id)) == 2
    other = await rig.adapter.deliver(Delivery(id=42, platform="discord", action="send", chat_id=str(sim.channel_id),
                                               thread_id=None, payload={"text": "another row"}))
    assert other.external_id != first.external_id and len(sim.messages_in(sim.channel_id)) == 3


async def test_moderator_blocks_from_the_message_menu_and_the_user_is_then_silenced(rig: Rig) -> None:
    sim = rig.sim
    target = await sim.user_message(sim.channel_id, "join my pump group", author_id=USER, username="troll")
    await rig.barrier()  # the bot has seen the troll
    refused = await _response(rig, await sim.message_context_command(
        "Block this user", target, user_id=USER + 1, enforce_permissions=False))
    assert refused["data"]["content"] == t("abuse.not_moderator", "en") and refused["data"]["flags"] == 64
    done = await _response(rig, await sim.message_context_command(
        "Block this user", target, user_id=MOD, member_roles=[sim.moderator_role_id]))
    assert done["data"]["content"].startswith("🚫 ") and done["data"]["flags"] == 64
    assert f"discord:{USER}" in await rig.core.blocking.listing(Actor.at_desk("console:operator"), "en")
    await sim.user_message(sim.channel_id, "how much are gas fees?", author_id=USER, mentions_bot=True)
    notice = await sim.wait_for_message(sim.channel_id, lambda m: "only notice" in m["content"])
    _no_mentions(notice)
