"""Every text that enters the core passes one shield gate: a recovery phrase sent
through any public entry point, in any of its text fields, reaches neither the
database nor the outbox (and so no platform, desk or log line built from them)."""

from __future__ import annotations

import dataclasses
import inspect
import sqlite3
from pathlib import Path

from mnemonic import Mnemonic

from core.errors import InvalidInput
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, UserRef
from core.use_cases import UseCases

PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16)))
WORDS = PHRASE.split()
USER = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
GROUP = ChatRef("telegram", "-500")
STAFF = Actor.at_desk("console:operator")

# Each public coroutine of the use cases that takes text from outside, and where
# this file (or another) proves its text passes the gate. A new entry point fails
# test_every_entry_point_is_accounted_for until it is listed here.
TEXT_ENTRY_POINTS = {
    "dialogue.handle_message": "test_no_entry_point_lets_a_phrase_through",
    "dialogue.image_leaked": "test_no_entry_point_lets_a_phrase_through",  # its images: tests/core/test_image_check.py
    "escalation.escalate": "test_no_entry_point_lets_a_phrase_through",
    "staff.act": "test_no_entry_point_lets_a_phrase_through",
    "answers.add_phrasing": "tests/core/test_faq_live.py::test_bad_phrasings_change_nothing",
    "answers.public_answer": "test_a_public_faq_question_with_a_phrase_is_not_matched",
    "blocking.block": "test_no_entry_point_lets_a_phrase_through",
    "blocking.unblock": "test_no_entry_point_lets_a_phrase_through",
    # file names through the shield, text files scanned, images by the OCR: tests/core/test_file_relay.py
    "files.from_user": "tests/core/test_file_relay.py::test_a_text_file_with_a_phrase_is_a_leak_and_nothing_is_kept",
    "files.from_staff": "tests/core/test_file_relay.py::test_a_staff_file_with_a_phrase_never_reaches_the_user",
    "snippets.command": "test_no_entry_point_lets_a_phrase_through",  # refusals: tests/core/test_snippets.py
}
NO_OUTSIDE_TEXT = {
    "answers.recent_phrasings", "answers.remove_phrasing", "answers.reload", "answers.ask",
    "timers.run", "timers.delivery_finished", "timers.sla_due", "ticket_for_desk_ref", "escalation.private_link",
    "dialogue.on_error",  # takes a refusal the core raised, no outside text
    "aclose",  # shutdown
    "blocking.listing",  # reads the blocks, takes no text
    "assignment.pick",  # inside the transaction that opens a ticket
    "assignment.shift",  # on | off | status: compared, never stored
}


def _public_entry_points(core: UseCases) -> set[str]:
    names = {name for name, fn in inspect.getmembers(core, inspect.iscoroutinefunction) if not name.startswith("_")}
    for part in ("dialogue", "escalation", "staff", "answers", "timers", "blocking", "files", "snippets",
                 "assignment"):
        obj = getattr(core, part)
        names |= {f"{part}.{name}" for name, fn in inspect.getmembers(obj)
                  if not name.startswith("_") and (inspect.iscoroutinefunction(fn) or callable(fn))
                  and not inspect.isclass(fn) and name not in ("use", "attach_library", "entries", "wake", "clock")}
    return names


def test_every_entry_point_is_accounted_for(core: UseCases) -> None:
    found = _public_entry_points(core)
    unknown = found - set(TEXT_ENTRY_POINTS) - NO_OUTSIDE_TEXT
    assert not unknown, f"classify these entry points (do they take outside text?): {sorted(unknown)}"


def _everything_stored(db: Path) -> str:
    """Every value in every table of the SQLite file, as one string."""
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(str(row) for table in tables for row in con.execute(f'SELECT * FROM "{table}"'))
    finally:
        con.close()


def _holds_phrase(blob: str) -> bool:
    """Four phrase words in a row anywhere is already a leak."""
    return any(" ".join(WORDS[i:i + 4]) in blob for i in range(len(WORDS) - 3))


async def test_no_entry_point_lets_a_phrase_through(core: UseCases, tmp_path: Path) -> None:
    n = iter(range(1, 1000))

    def message(text: str, chat: ChatRef = DM, name: str = "Alice") -> InboundMessage:
        i = next(n)
        return InboundMessage(f"tg:{i}", USER, chat, text, str(i), display_name=name, addressed=True)

    # a user's message (private and public) and a display name
    await core.dialogue.handle_message(message(f"here it is {PHRASE} please check"))
    await core.dialogue.handle_message(message(f"group {PHRASE} help", chat=GROUP))
    await core.dialogue.handle_message(message("hello there", name=PHRASE))
    # an image of a message held a secret: the message's words and name are not what is kept
    await core.dialogue.image_leaked(message(f"caption {PHRASE}", name=PHRASE), ("seed_phrase",))
    await core.dialogue.image_leaked(message(f"caption {PHRASE}", chat=GROUP, name=PHRASE), ("seed_phrase",))
    # a moderator's escalation: the message, the note and the name
    mod = Actor(UserRef("telegram", "7"), platform_moderator=True)
    out = await core.escalation.escalate(moderator=mod, target=message(f"my words {PHRASE}", chat=GROUP, name=PHRASE),
                                         note=f"user pasted {PHRASE}", event_key="esc-1")
    assert out.ticket_id is not None
    ticket = out.ticket_id
    # staff text of every kind
    for i, (action, text) in enumerate([("note", f"note {PHRASE}"), ("reply", f"reply {PHRASE}"),
                                        ("transfer", ""), ("resolve", f"resolved {PHRASE}")]):
        await core.staff.act(STAFF, ticket, action, event_key=f"s{i}", text=text,
                             to=PHRASE if action == "transfer" else None)
    # a snippet's text (refused: it holds a secret) and a tag
    assert "secret" in await core.snippets.command(STAFF, f"add leak Please send {PHRASE}", "en")
    assert "secret" in await core.snippets.command(STAFF, f"add fine Hi {{user}}. {PHRASE}", "en")
    await core.snippets.command(STAFF, "add fine Hi {user}, {agent} here", "en")
    await core.snippets.command(STAFF, f"edit fine zh {PHRASE}", "en")
    named = dataclasses.replace(STAFF, display_name=PHRASE)  # the staff member's platform name fills {agent}
    for i, text in enumerate([f"add {PHRASE}", "fine"]):
        try:
            await core.staff.act(named, ticket, "tag" if i == 0 else "snippet", event_key=f"t{i}", text=text)
        except InvalidInput:
            pass
    await core.staff.act(STAFF, ticket, "close", event_key="s-close", text=f"closed {PHRASE}")
    # parking and blocking: the text sent with "wait", a block's reason, a blocked user's phrase
    out = await core.escalation.escalate(moderator=mod, target=message("still stuck", chat=GROUP), event_key="esc-2")
    assert out.ticket_id is not None and out.ticket_id != ticket
    await core.staff.act(STAFF, out.ticket_id, "wait", event_key="w1", text=f"waiting {PHRASE}")
    await core.staff.act(STAFF, out.ticket_id, "block", event_key="b1", text=f"spam {PHRASE}")
    await core.dialogue.handle_message(message(f"blocked {PHRASE}", chat=GROUP))
    await core.blocking.unblock(STAFF, f"{USER.key} {PHRASE}".split()[0], event_key="u1")
    await core.blocking.block(STAFF, USER.key, f"again {PHRASE}", event_key="b2")
    await core.dialogue.handle_message(message(f"blocked {PHRASE} again"))

    stored = _everything_stored(tmp_path / "test.db")
    assert "[redacted" in stored  # the texts arrived, redacted
    assert not _holds_phrase(stored)


def test_a_public_faq_question_with_a_phrase_is_not_matched(core: UseCases) -> None:
    answer = core.answers.public_answer(f"is this right {PHRASE}", "en")
    assert "recovery phrase" in answer.lower() and not _holds_phrase(answer)
    assert core.answers._memo == {}  # never even asked the engine
