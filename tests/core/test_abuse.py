"""Blocking and flood limits on every store: a blocked user gets one notice and
then silence, opens no ticket, and is still shielded; moderators may block but
only staff unblock; a flood is cut off with one notice; a block holds in every
process."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest
from mnemonic import Mnemonic

from core.config import Settings
from core.errors import InvalidInput
from core.faq_engine import FaqEngine
from core.identity.policy import Actor, NotAllowed
from core.models import ChatRef, InboundMessage, TicketState, UserRef
from core.storage import Store
from core.support.ratelimit import InboundFlood
from core.use_cases import UseCases
from tests.conftest import StoreFactory, Clock, RecordingCodeSender, make_settings

BOB = Actor.at_desk("slack:U1")
MOD = Actor(UserRef("telegram", "7"), platform_moderator=True)
PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16)))
GROUP = ChatRef("telegram", "-500")
_n = iter(range(1, 100_000))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1", WALLETDESK_FLOOD_USER="3/10",
                         WALLETDESK_FLOOD_GROUP="5/10")


@pytest.fixture
def core(settings: Settings, store: Store, faq_engine: FaqEngine, clock: Clock) -> UseCases:
    return UseCases(settings, store, faq_engine, code_sender=RecordingCodeSender(), clock=clock)


def _msg(text: str, user: str = "100", chat: ChatRef | None = None, *, name: str | None = None,
         addressed: bool = True) -> InboundMessage:
    n = next(_n)
    return InboundMessage(event_key=f"tg:{n}", user=UserRef("telegram", user),
                          chat=chat or ChatRef("telegram", user, is_private=True), text=text, message_id=str(n),
                          display_name=name or f"User {user}", addressed=addressed)


async def _rows(core: UseCases) -> list[dict[str, object]]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    return [{**dataclasses.asdict(r), "payload": r.data} for r in rows]


def _sent(rows: list[dict[str, object]], chat_id: str) -> list[str]:
    return [str(r["payload"]["text"]) for r in rows  # type: ignore[index]
            if r["action"] in ("send", "dm") and r["chat_id"] == chat_id]


def _deletes(rows: list[dict[str, object]]) -> list[str]:
    return [str(r["payload"]["message_id"]) for r in rows if r["action"] == "delete"]  # type: ignore[index]


def _desk(rows: list[dict[str, object]]) -> list[str]:
    return [str(r["payload"].get("text")) for r in rows  # type: ignore[union-attr]
            if r["platform"] == "console" and r["action"] in ("desk_post", "send")]


async def _tickets(core: UseCases, user: str = "100") -> list[TicketState]:
    async with core.store.transaction() as tx:
        return [tk.state for tk in await tx.tickets(user_keys=[f"telegram:{user}"])]


async def test_a_blocked_user_gets_one_notice_then_silence_but_the_shield(core: UseCases, clock: Clock) -> None:
    out = await core.dialogue.handle_message(_msg("/human 我的账户被冻结了"))
    assert out.ticket_id is not None
    await core.staff.act(BOB, out.ticket_id, "block", event_key="b1", text="insults staff")
    assert await _tickets(core) == [TicketState.CLOSED]
    rows = await _rows(core)
    notices = [x for x in _sent(rows, "100") if "屏蔽" in x]
    assert notices == ["客服已屏蔽此账户，今后将不再回复或为您创建工单。这是唯一一次通知。"]  # their language
    assert "🚫 telegram:100 blocked by slack:U1. Reason: insults staff" in _desk(rows)
    before = len(await _rows(core))

    for text in ("/human", "hello?", "why did you block me", "gas fees are too high"):
        clock.advance(60)
        out = await core.dialogue.handle_message(_msg(text))
        assert out.status == "rejected" and out.notes == ["blocked"]
    assert len(await _rows(core)) == before  # silent: no answer, no desk line
    assert await _tickets(core) == [TicketState.CLOSED]  # and no new ticket

    leak = _msg(f"here {PHRASE}")
    out = await core.dialogue.handle_message(leak)
    assert out.leak and out.notes == ["blocked"]
    rows = await _rows(core)
    assert _deletes(rows) == [leak.message_id]  # still deleted ...
    assert len(rows) == before + 1  # ... and nothing said
    assert await _tickets(core) == [TicketState.CLOSED]  # a leaked phrase opens no urgent ticket either

    group_leak = _msg(f"group {PHRASE}", chat=GROUP)
    await core.dialogue.handle_message(group_leak)
    assert group_leak.message_id in _deletes(await _rows(core))


async def test_block_by_name_moderators_block_staff_unblock_and_see_why(core: UseCases, clock: Clock) -> None:
    await core.dialogue.handle_message(_msg("hi", "200", name="Spammer Sam"))
    with pytest.raises(NotAllowed):
        await core.blocking.block(Actor(UserRef("telegram", "8")), "Spammer Sam", "", event_key="x0")
    assert await core.blocking.block(MOD, "Spammer Sam", "posts scam links", event_key="m1") == "telegram:200"
    with pytest.raises(InvalidInput) as again:
        await core.blocking.block(BOB, "telegram:200", "", event_key="m2")
    assert again.value.key == "abuse.already_blocked"
    with pytest.raises(InvalidInput) as nobody:
        await core.blocking.block(BOB, "Nobody Here", "", event_key="m3")
    assert nobody.value.key == "abuse.no_user"
    listing = await core.blocking.listing(MOD, "en")
    assert listing.splitlines()[0] == "🚫 1 blocked user(s):"
    assert listing.splitlines()[1].startswith("telegram:200 · posts scam links · by telegram:7 · ")
    assert "由 telegram:7 屏蔽" in await core.blocking.listing(MOD, "zh")
    assert any("blocked by telegram:7. Reason: posts scam links" in x for x in _desk(await _rows(core)))

    # no ticket to reach them by: the one notice comes with their next message to the bot
    await core.dialogue.handle_message(_msg("hello", "200", chat=GROUP, addressed=False))  # not to the bot: nothing
    assert not any("blocked" in x for x in _sent(await _rows(core), "-500"))
    await core.dialogue.handle_message(_msg("/human", "200"))
    await core.dialogue.handle_message(_msg("/human please", "200"))
    assert sum("only notice" in x for x in _sent(await _rows(core), "200")) == 1
    assert await _tickets(core, "200") == []

    with pytest.raises(NotAllowed):
        await core.blocking.unblock(MOD, "telegram:200", event_key="u0")  # a moderator's block stands
    assert await core.blocking.unblock(BOB, "telegram:200", event_key="u1") == "telegram:200"
    assert await core.blocking.listing(BOB, "en") == "Nobody is blocked."
    out = await core.dialogue.handle_message(_msg("/human", "200"))
    assert out.status == "handled" and out.ticket_id is not None


async def test_a_flooding_user_is_cut_off_with_one_notice_and_stays_shielded(core: UseCases, clock: Clock) -> None:
    out = await core.dialogue.handle_message(_msg("/human my transfer is missing"))
    tid = out.ticket_id
    assert tid is not None
    outcomes = [await core.dialogue.handle_message(_msg(f"line {i}")) for i in range(6)]  # limit 3 in 10 s
    assert [o.notes == ["flood"] for o in outcomes] == [False, False, True, True, True, True]
    leak = _msg(f"look {PHRASE}")
    out = await core.dialogue.handle_message(leak)
    assert out.notes == ["flood"] and out.leak
    rows = await _rows(core)
    assert leak.message_id in _deletes(rows)  # shielded and warned as ever
    assert sum("faster than we can read" in x for x in _sent(rows, "100")) == 1
    assert sum("Flood: telegram:100 sent more than 3 messages in 10 s" in x for x in _desk(rows)) == 1
    async with core.store.transaction() as tx:
        relayed = [e.body for e in await tx.events(tid) if e.kind == "user_message"]
    assert relayed == ["line 0", "line 1"]  # the flood never reached the ticket

    clock.advance(11)
    out = await core.dialogue.handle_message(_msg("sorry, one more thing"))
    assert out.notes == [] and out.ticket_id == tid


async def test_a_flooding_group_is_cut_off_and_chatter_does_not_count(core: UseCases, clock: Clock) -> None:
    for i in range(20):  # not to the bot: never counted
        await core.dialogue.handle_message(_msg(f"gm {i}", str(400 + i), chat=GROUP, addressed=False))
    outcomes = [await core.dialogue.handle_message(_msg("what are gas fees", str(500 + i), chat=GROUP))
                for i in range(7)]
    assert [o.notes == ["flood"] for o in outcomes] == [False] * 5 + [True] * 2
    rows = await _rows(core)
    assert sum("more messages than I can handle" in x for x in _sent(rows, "-500")) == 1
    assert sum("Flood: telegram:-500" in x for x in _desk(rows)) == 1


def test_flood_windows_slide_and_notice_once_per_flood() -> None:
    clock = Clock(0.0)
    flood = InboundFlood((2, 10.0), None, clock=clock)
    assert [flood.hit("u", None) for _ in range(2)] == [None, None]
    assert flood.hit("u", None) == ("user", True)
    assert flood.hit("u", None) == ("user", False)
    clock.advance(10.5)
    assert flood.hit("u", None) is None and flood.hit("u", None) is None
    assert flood.hit("u", None) == ("user", False)  # the same flood, no second notice
    clock.advance(200)
    assert [flood.hit("u", None) for _ in range(3)] == [None, None, ("user", True)]  # a new flood
    assert InboundFlood(None, None, clock=clock).hit("u", "g") is None


async def test_a_block_holds_in_every_process_and_its_notice_goes_once(
        open_stores: StoreFactory, settings: Settings, faq_engine: FaqEngine, clock: Clock) -> None:
    cores = [UseCases(settings, await open_stores(), faq_engine, code_sender=RecordingCodeSender(), clock=clock)
             for _ in range(3)]
    await cores[0].dialogue.handle_message(_msg("hi", "600", name="Troll"))
    await cores[1].blocking.block(BOB, "telegram:600", "abuse", event_key="b1")
    outcomes = await asyncio.gather(*(c.dialogue.handle_message(_msg("/human", "600")) for c in cores))
    assert [o.notes for o in outcomes] == [["blocked"]] * 3
    rows = await _rows(cores[2])
    assert sum("only notice" in x for x in _sent(rows, "600")) == 1
    async with cores[0].store.transaction() as tx:
        assert await tx.tickets(user_keys=["telegram:600"]) == []


async def test_a_privacy_export_shows_the_block_and_forgetting_keeps_it_without_its_reason(core: UseCases) -> None:
    from core.ops.privacy import export_user, forget_user

    await core.dialogue.handle_message(_msg("hi", "700", name="Mallory"))
    await core.blocking.block(BOB, "telegram:700", "doxxed a moderator", event_key="b1")
    data = await export_user(core.store, "telegram:700", now=1.0)
    assert [(b["account"], b["reason"]) for b in data["blocked"]] == [("telegram:700", "doxxed a moderator")]
    await forget_user(core.store, "telegram:700")
    async with core.store.transaction() as tx:
        block = await tx.block_of(["telegram:700"])
    assert block is not None and block.reason == ""  # still blocked, the reason gone
    out = await core.dialogue.handle_message(_msg("/human", "700"))
    assert out.notes == ["blocked"]


async def test_a_moderator_cannot_escalate_a_blocked_users_message(core: UseCases) -> None:
    await core.dialogue.handle_message(_msg("hi", "800", name="Eve"))
    await core.blocking.block(BOB, "telegram:800", "spam", event_key="b1")
    with pytest.raises(InvalidInput) as refused:
        await core.escalation.escalate(moderator=MOD, target=_msg("help me", "800", chat=GROUP), event_key="e1")
    assert refused.value.key == "abuse.escalate_blocked"
    assert await _tickets(core, "800") == []


async def test_a_phrase_finished_in_a_flood_is_deleted_whole_and_scrubbed(core: UseCases) -> None:
    words = Mnemonic("english").to_mnemonic(bytes(range(48, 64))).split()
    out = await core.dialogue.handle_message(_msg("/human please"))
    tid = out.ticket_id
    assert tid is not None
    await core.dialogue.handle_message(_msg("one more line"))
    first = _msg(" ".join(words[:6]))
    await core.dialogue.handle_message(first)  # relayed: alone it is chat; the third message in 10 s
    last = _msg(" ".join(words[6:]))
    out = await core.dialogue.handle_message(last)
    assert out.notes == ["flood"] and out.leak
    assert {first.message_id, last.message_id} <= set(_deletes(await _rows(core)))
    async with core.store.transaction() as tx:
        bodies = " ".join(e.body or "" for e in await tx.events(tid))
        conversation = await tx.get_conversation("telegram:100", "telegram:dm:100")
    assert " ".join(words[:4]) not in bodies
    assert " ".join(words[:4]) not in json.dumps(conversation.memo)
