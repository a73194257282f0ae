"""The bot's part of a ticket's conversation is kept as ``bot_reply`` events on
every store: what the bot told the user in their private chat while the ticket
was open, never a turn about a one-time code, not repeated on the desk thread,
and shown by the export."""

from __future__ import annotations

from pathlib import Path

from core.faq_engine import FaqEngine
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, UserRef
from core.ops.transcript import load_transcript, render
from core.storage import Store
from core.use_cases import UseCases
from tests.conftest import Clock, RecordingCodeSender, make_settings

ALICE = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
STAFF = Actor.at_desk("slack:U0AGENT")


async def _bot_lines(store: Store, ticket_id: int) -> list[str]:
    async with store.transaction() as tx:
        return [e.body or "" for e in await tx.events(ticket_id) if e.kind == "bot_reply"]


async def test_the_bots_replies_on_an_open_ticket_are_events(store: Store, tmp_path: Path,
                                                            faq_engine: FaqEngine) -> None:
    sender = RecordingCodeSender()
    core = UseCases(make_settings(tmp_path, SLACK_STAFF_USERS="U0AGENT"), store, faq_engine, code_sender=sender,
                    clock=Clock())
    n = iter(range(1, 100))

    async def say(text: str) -> None:
        await core.dialogue.handle_message(InboundMessage(event_key=f"tg:{next(n)}", user=ALICE, chat=DM, text=text,
                                                          message_id=str(next(n)), display_name="Alice",
                                                          addressed=True))

    await say("what are gas fees?")  # no ticket: the FAQ's answer is nobody's transcript
    await say("I need a human")
    opened = await _bot_lines(store, 1)
    assert opened and opened[0].startswith("Ticket #1 is open")  # the notice the desk sent on opening
    await say("thanks")
    assert (await _bot_lines(store, 1))[len(opened):] == ["You're welcome! Ask any time."]

    before = await _bot_lines(store, 1)
    await core.staff.act(STAFF, 1, "request_verification", event_key="s1")
    code = sender.last_code
    await say("000000" if code != "000000" else "111111")  # a wrong code: "that code is not right"
    await say(code)
    await say("/link")  # its answer carries a link code
    assert await _bot_lines(store, 1) == before  # nothing of a turn about a code

    async with store.transaction() as tx:
        desk_lines = [r.data.get("text", "") for r in await tx.deliveries(ticket_id=1)
                      if r.action == "desk_post"]
    assert not any("You're welcome" in line for line in desk_lines)  # the desk thread does not repeat them

    text = render(await load_transcript(store, 1), "text")
    assert "bot_reply  bot: You're welcome! Ask any time." in text
    lines = text.splitlines()
    assert lines.index(next(x for x in lines if "user_message" in x and "thanks" in x)) < \
        lines.index(next(x for x in lines if "You're welcome" in x))
    await core.aclose()


async def test_a_leaked_phrase_opens_an_urgent_ticket_whose_bot_part_holds_no_secret(
        store: Store, tmp_path: Path, faq_engine: FaqEngine) -> None:
    from mnemonic import Mnemonic

    phrase = Mnemonic("english").to_mnemonic(bytes(range(32, 48)))
    core = UseCases(make_settings(tmp_path), store, faq_engine, code_sender=RecordingCodeSender(), clock=Clock())
    await core.dialogue.handle_message(InboundMessage(event_key="tg:1", user=ALICE, chat=DM, text=f"my words {phrase}",
                                                      message_id="1", display_name="Alice", addressed=True))
    lines = await _bot_lines(store, 1)
    assert len(lines) >= 2 and any("#1" in line for line in lines)  # the warning and the urgent ticket's notice
    assert not any(" ".join(phrase.split()[2:5]) in line for line in lines)
    await core.aclose()
