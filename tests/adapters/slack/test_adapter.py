"""The Slack adapter end to end over sockets: SlackSim <-> slack-bolt/slack-sdk <-> UseCases."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack.text import escape, to_plain
from core.errors import DeliveryError, RetryLater
from core.faq_engine import FaqEngine
from core.i18n import t
from core.models import Delivery

from tests.fixtures.faq_file import is_bundled_answer
from tests.simulators.slack_sim import SlackSim
from tests.waiting import DEADLINE

from .conftest import ALICE, ALICE_DM, BOB, CAROL, COMMUNITY, STAFF, Desk

SEED = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"


def _action_ids(blocks: list[dict[str, Any]] | None) -> set[str]:
    return {el["action_id"] for b in blocks or [] if b["type"] == "actions" for el in b["elements"]}


def _header(blocks: list[dict[str, Any]] | None) -> str:
    return next(b["text"]["text"] for b in blocks or [] if b["type"] == "header")


async def _open_ticket(desk: Desk) -> tuple[Any, Any]:
    delivery = await desk.sim.send_event(desk.url, desk.sim.user_message_event(ALICE_DM, ALICE, "human"))
    assert delivery.status == 200
    return await desk.ticket_root()


async def test_faq_answer_in_thread_on_app_mention(desk: Desk, faq_engine: FaqEngine) -> None:
    question = "how long does a transfer take to arrive?"
    event = desk.sim.app_mention_event(COMMUNITY, ALICE, f"<@{desk.sim.bot_user_id}> {question}")
    delivery = await desk.sim.send_event(desk.url, event)
    assert delivery.status == 200
    reply = await desk.sim.wait_for_post(COMMUNITY, thread_ts=event["ts"])
    assert is_bundled_answer(reply.text, "transfer-not-arrived", "en")
    assert reply.params.get("mrkdwn") in (False, "false", "0", 0)

    # Slack also sends a plain `message` event for the same mention: answered once
    same = dict(event, type="message", channel_type="channel")
    await desk.sim.send_event(desk.url, same)
    # and an unaddressed message in a community channel gets no answer
    await desk.sim.user_says(desk.url, COMMUNITY, ALICE, "what are gas fees?")
    await desk.settle()
    assert len(desk.sim.messages_in(COMMUNITY)) == 1


async def test_ticket_lifecycle_on_the_desk(desk: Desk) -> None:
    sim = desk.sim
    root, ticket = await _open_ticket(desk)
    assert {"wd_claim", "wd_resolve", "wd_close", "wd_request_verification", "wd_priority"} <= _action_ids(root.blocks)
    assert "open" in _header(root.blocks)
    opened = await sim.wait_for_post(ALICE_DM)
    assert f"#{ticket.id}" in opened.text

    # Claim updates the root message in place
    click = await sim.block_action(desk.url, "wd_claim", str(ticket.id), user=BOB, channel=STAFF, message_ts=root.ts)
    assert click.status == 200
    await desk.settle()
    update = sim.calls_to("chat.update")[-1]
    assert update["ts"] == root.ts and update["channel"] == STAFF
    current = sim.message(STAFF, root.ts)
    assert current is not None and "claimed" in _header(current.blocks)
    assert "wd_claim" not in _action_ids(current.blocks) and "wd_resolve" in _action_ids(current.blocks)
    assert f"slack:{BOB}" in current.text or any(f"slack:{BOB}" in json.dumps(b) for b in current.blocks or [])

    # a staff reply in the thread reaches the user's DM and gets a ✅
    said = sim.user_message_event(STAFF, BOB, "Could you send the <https://x.io|tx> hash & amount?", thread_ts=root.ts)
    assert (await sim.send_event(desk.url, said)).status == 200
    await desk.settle()
    relayed = [m.text for m in sim.messages_in(ALICE_DM)]
    assert any("Could you send the tx (https://x.io) hash &amp; amount?" in text for text in relayed)
    assert (STAFF, said["ts"], "white_check_mark") in sim.reactions

    # /note goes to the thread, never to the user
    note = await sim.slash_command(desk.url, "/note", f"#{ticket.id} wallet address checked, bridge delay",
                                   user=BOB, channel=STAFF)
    assert note.status == 200 and note.body == ""
    await desk.settle()
    thread = sim.texts_in(STAFF, thread_ts=root.ts)
    assert any("bridge delay" in text and "📝" in text for text in thread)
    assert not any("bridge delay" in text for text in sim.texts_in(ALICE_DM))

    # priority select
    await sim.block_action(desk.url, "wd_priority", None, user=BOB, channel=STAFF, message_ts=root.ts,
                           action_type="static_select",
                           selected_option={"value": f"{ticket.id}:urgent", "text": {"type": "plain_text", "text": "Urgent"}})
    await desk.settle()
    assert "urgent" in _header(sim.message(STAFF, root.ts).blocks)  # type: ignore[union-attr]

    # Resolve asks the user for a rating; the root offers Close and Reopen only
    await sim.block_action(desk.url, "wd_resolve", str(ticket.id), user=BOB, channel=STAFF, message_ts=root.ts)
    await desk.settle()
    assert sim.texts_in(ALICE_DM)[-1] == escape(t("ticket.resolved", "en", ticket_id=ticket.id))
    current = sim.message(STAFF, root.ts)
    assert current is not None and "resolved" in _header(current.blocks)
    assert _action_ids(current.blocks) == {"wd_close", "wd_reopen"}
    assert len([m for m in sim.posted if m.channel == STAFF and m.thread_ts is None]) == 1  # one root, always


async def test_staff_errors_are_one_line_ephemerals(desk: Desk) -> None:
    sim = desk.sim
    root, ticket = await _open_ticket(desk)
    await desk.settle()
    updates = len(sim.calls_to("chat.update"))

    await sim.block_action(desk.url, "wd_claim", "99999", user=BOB, channel=STAFF, message_ts=root.ts)
    await desk.settle()
    await sim.block_action(desk.url, "wd_reopen", str(ticket.id), user=BOB, channel=STAFF, message_ts=root.ts)
    await desk.settle()
    await sim.slash_command(desk.url, "/note", "nonsense", user=BOB, channel=STAFF)
    await desk.settle()
    lines = [m.text for m in sim.ephemerals if m.ephemeral_to == BOB]
    assert len(lines) == 3 and all("\n" not in line for line in lines[:2])
    assert "99999" in lines[0] and "open" in lines[1] and lines[2] == t("slack.note.usage", "en")
    assert len(sim.calls_to("chat.update")) == updates  # nothing changed
    ticket_now = await desk.core.ticket_for_desk_ref(root.ts)
    assert ticket_now is not None and ticket_now.state == ticket.state


async def test_only_listed_staff_may_act(make_desk: Callable[..., Awaitable[Desk]]) -> None:
    desk = await make_desk(SLACK_STAFF_USERS=BOB)
    sim = desk.sim
    root, ticket = await _open_ticket(desk)
    await sim.block_action(desk.url, "wd_claim", str(ticket.id), user=CAROL, channel=STAFF, message_ts=root.ts)
    intruder = sim.user_message_event(STAFF, CAROL, "hi from carol", thread_ts=root.ts)
    await sim.send_event(desk.url, intruder)
    await desk.settle()
    refusals = [m for m in sim.ephemerals if m.ephemeral_to == CAROL]
    assert [m.text for m in refusals] == [t("policy.not_staff", "zh")] * 2
    assert not any("carol" in text for text in sim.texts_in(ALICE_DM))
    assert (await desk.core.ticket_for_desk_ref(root.ts)).state.value == "open"  # type: ignore[union-attr]


async def test_bad_signature_is_refused_and_nothing_processed(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="slack_bolt")
    caplog.set_level(logging.DEBUG, logger="adapters")
    event = desk.sim.user_message_event(ALICE_DM, ALICE, "hello")
    forged = await desk.sim.send_event(desk.url, event, signature="v0=" + "0" * 64)
    stale = await desk.sim.send_event(desk.url, event, timestamp=int(time.time()) - 600)
    assert (forged.status, stale.status) == (401, 401)
    await desk.settle()
    assert desk.sim.messages_in(ALICE_DM) == []
    assert "Invalid request signature" in caplog.text and '"hello"' not in caplog.text
    # the event was not consumed: the genuine delivery is processed
    assert (await desk.sim.send_event(desk.url, event)).status == 200
    await desk.sim.wait_for_post(ALICE_DM)


async def test_redelivered_event_is_processed_once(desk: Desk) -> None:
    first = await desk.sim.user_says(desk.url, ALICE_DM, ALICE, "hello")
    assert first.status == 200 and first.event_id
    again = await desk.sim.redeliver(desk.url, first.event_id, retry_num=1)
    third = await desk.sim.redeliver(desk.url, first.event_id, retry_num=2, retry_reason="http_error")
    assert (again.status, third.status) == (200, 200)
    await desk.settle()
    assert len(desk.sim.messages_in(ALICE_DM)) == 1


async def test_url_verification(desk: Desk) -> None:
    answer = await desk.sim.url_verification(desk.url, challenge="c-123")
    assert answer.status == 200 and answer.json() == {"challenge": "c-123"}


async def test_malformed_and_oversized_payloads(desk: Desk) -> None:
    sim = desk.sim

    async def post(body: bytes, content_type: str) -> int:
        ts = str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": sim.sign(body.decode("utf-8", "replace"), ts)}
        async with aiohttp.ClientSession() as session, session.post(desk.url, data=body, headers=headers) as resp:
            return resp.status

    assert 400 <= await post(b"{not json", "application/json") < 500
    assert 400 <= await post(urlencode({"payload": "{broken"}).encode(), "application/x-www-form-urlencoded") < 500
    assert 400 <= await post(json.dumps({"type": "event_callback"}).encode(), "application/json") < 500
    assert 400 <= await post(b"\xff\xfe\x00garbage", "application/json") < 500
    assert await post(b"{" + b" " * (2 * 1024 * 1024) + b"}", "application/json") == 413
    # an action payload without actions, and one for a foreign button
    weird = {"type": "block_actions", "user": {"id": BOB}, "actions": [], "team": {"id": sim.team_id}}
    assert 400 <= await post(urlencode({"payload": json.dumps(weird)}).encode(), "application/x-www-form-urlencoded") < 500
    await desk.settle()
    # still alive
    await sim.user_says(desk.url, ALICE_DM, ALICE, "hello")
    await sim.wait_for_post(ALICE_DM)


async def test_a_secret_slack_cannot_delete_is_reported_honestly(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    """A bot token cannot delete a person's message: the bot does not pretend it did."""
    caplog.set_level(logging.INFO)
    event = desk.sim.user_message_event(COMMUNITY, ALICE, f"<@{desk.sim.bot_user_id}> my phrase is {SEED}")
    await desk.sim.send_event(desk.url, event)
    await desk.settle()
    assert not desk.sim.calls_to("chat.delete")  # nothing to try with a bot token
    async with desk.store.transaction() as tx:
        assert (await tx.outbox_stats(time.time()))["dead"] == 0
    (warning,) = [m.text for m in desk.sim.messages_in(ALICE_DM)]
    assert "still visible: delete it yourself now" in warning and "We removed it" not in warning
    public = [m.text for m in desk.sim.posted if m.channel == COMMUNITY]
    assert any("Its sender should delete it now" in text for text in public)
    assert not any("was removed" in text for text in public)
    alert = [m.text for m in desk.sim.posted if m.channel == STAFF]
    assert any(f"posted by slack:{ALICE} in slack:{COMMUNITY}" in text and event["ts"] in text for text in alert)
    assert not any("abandon" in m.text for m in desk.sim.posted)
    assert "abandon" not in caplog.text  # no message body in the logs


async def test_with_an_admin_user_token_the_secret_is_deleted(make_desk: Callable[..., Awaitable[Desk]],
                                                              sim: SlackSim) -> None:
    desk = await make_desk(SLACK_ADMIN_USER_TOKEN=sim.admin_user_token)
    event = desk.sim.user_message_event(COMMUNITY, ALICE, f"<@{desk.sim.bot_user_id}> my phrase is {SEED}")
    await desk.sim.send_event(desk.url, event)
    await desk.settle()
    assert [m.ts for m in desk.sim.history[COMMUNITY] if m.deleted] == [event["ts"]]
    (warning,) = [m.text for m in desk.sim.messages_in(ALICE_DM)]
    assert "We removed it" in warning
    assert any("was removed" in m.text for m in desk.sim.posted if m.channel == COMMUNITY)
    assert not any("could not delete" in m.text for m in desk.sim.posted if m.channel == STAFF)


async def test_delivery_errors_map_to_core_errors(desk: Desk) -> None:
    sim = desk.sim
    send = Delivery(id=1, platform="slack", action="send", chat_id=COMMUNITY, thread_id=None, payload={"text": "hi"})
    sim.fail("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(RetryLater) as info:
        await desk.adapter.deliver(send)
    assert info.value.retry_after == 7.0
    sim.fail("chat.postMessage", status=503)
    with pytest.raises(RetryLater):
        await desk.adapter.deliver(send)
    with pytest.raises(DeliveryError, match="channel_not_found"):
        await desk.adapter.deliver(Delivery(id=2, platform="slack", action="send", chat_id="nowhere",
                                            thread_id=None, payload={"text": "hi"}))
    user_msg = sim.user_message_event(COMMUNITY, ALICE, "x")
    with pytest.raises(DeliveryError, match="cant_delete_message") as refused:
        await desk.adapter.deliver(Delivery(id=3, platform="slack", action="delete", chat_id=COMMUNITY,
                                            thread_id=None, payload={"message_id": user_msg["ts"]}))
    assert not isinstance(refused.value, RetryLater)
    # long text is split, and user markup can never ping anyone
    result = await desk.adapter.deliver(Delivery(id=4, platform="slack", action="send", chat_id=COMMUNITY,
                                                 thread_id=None, payload={"text": "<!channel> " + "word " * 2000}))
    parts = sim.messages_in(COMMUNITY)
    assert len(parts) == 3 and result.external_id == parts[-1].ts
    assert parts[0].text.startswith("&lt;!channel&gt;") and all(len(to_plain(p.text)) <= 4000 for p in parts)


async def test_failed_relay_gets_a_warning_mark(desk: Desk) -> None:
    sim = desk.sim
    root, ticket = await _open_ticket(desk)
    await desk.settle()
    sim.fail("chat.postMessage", status=200, error="is_archived")  # the relayed reply is the next post
    said = sim.user_message_event(STAFF, BOB, "Here is what to do", thread_ts=root.ts)
    await sim.send_event(desk.url, said)
    await desk.settle()
    assert (STAFF, said["ts"], "warning") in sim.reactions
    assert any(t("desk.delivery_failed", "en", error="is_archived") in text
               for text in sim.texts_in(STAFF, thread_ts=root.ts))
    assert not any("Here is what to do" in text for text in sim.texts_in(ALICE_DM))


async def test_reply_to_a_root_whose_ts_is_not_stored_yet_still_reaches_the_user(
    desk: Desk, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the race: Slack has the root (and staff reply to it) a moment before the outbox stores its ts
    import adapters.slack.inbound as inbound

    monkeypatch.setattr(inbound, "_YOUNG_THREAD_SECONDS", DEADLINE)  # however long getting here took
    sim = desk.sim
    root, ticket = await _open_ticket(desk)
    await desk.settle()
    async with desk.store.transaction() as tx:
        await tx.update_ticket(ticket.id, desk_ref=None)

    lookups: list[str] = []
    missed = asyncio.Event()
    real_lookup = desk.core.ticket_for_desk_ref

    async def lookup(desk_ref: str) -> Any:
        found = await real_lookup(desk_ref)
        lookups.append(desk_ref)
        if found is None and desk_ref == root.ts:
            missed.set()
        return found

    async def store_ts_after_a_miss() -> None:
        await asyncio.wait_for(missed.wait(), DEADLINE)  # the reply found no ticket yet...
        async with desk.store.transaction() as tx:  # ...and the outbox stores the root's ts only now
            await tx.update_ticket(ticket.id, desk_ref=root.ts)

    monkeypatch.setattr(desk.core, "ticket_for_desk_ref", lookup)
    later = asyncio.create_task(store_ts_after_a_miss())
    reply = sim.user_message_event(STAFF, BOB, "Looking into it now", thread_ts=root.ts)
    assert (await sim.send_event(desk.url, reply)).status == 200
    await later
    await desk.settle()
    assert "Looking into it now" in sim.texts_in(ALICE_DM)[-1]
    assert lookups.count(root.ts) >= 2  # looked again

    # an old thread that is not a ticket is given up at once: one look, no retries
    lookups.clear()
    stale = sim.user_message_event(STAFF, BOB, "chatter in an old thread", thread_ts="1600000000.000100")
    assert (await sim.send_event(desk.url, stale)).status == 200
    await desk.settle()
    assert lookups == ["1600000000.000100"]
