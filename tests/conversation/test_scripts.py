"""Every conversation script, through the console adapter and the real core on a
SQLite file; what the user and the desk were sent is read back from the outbox."""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleAdapter
from core.use_cases import UseCases
from core.support.outcome import Outcome
from tests.conftest import Clock, RecordingCodeSender, make_settings
from tests.conversation.script import Step, parse_script, reply_lang

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.conv"))


async def _rows(core: UseCases) -> list[dict]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    return [{**dataclasses.asdict(r), "payload": r.data} for r in rows]


def _check(step: Step, outcome: Outcome, user_texts: list[str], desk_texts: list[str], ticket: object) -> None:
    where = f"line {step.line} ({step.text!r}): replies {user_texts!r}"
    e = step.expect
    if "act" in e:
        assert outcome.act == e["act"], where + f", act {outcome.act}"
    if "topic" in e:
        answered = outcome.faq.id if outcome.faq is not None and outcome.faq.answered else "-"
        assert answered == e["topic"], where + f", topic {answered}"
    if "desk" in e:
        effect = "opened" if outcome.opened else "relayed" if outcome.ticket_id else "-"
        assert effect == e["desk"], where + f", desk {effect}"
    if "lang" in e:
        assert user_texts, where
        assert {reply_lang(x) for x in user_texts} == {e["lang"]}, where
    if "says" in e:
        for piece in e["says"].split("~"):
            assert any(piece.strip() in x for x in user_texts), where + f" lacks {piece.strip()!r}"
    if "not" in e:
        assert not any(e["not"] in x for x in user_texts), where
    if "deskshows" in e:
        assert any(e["deskshows"] in x for x in desk_texts), f"line {step.line}: desk got {desk_texts!r}"
    if "priority" in e:
        assert ticket is not None and ticket.priority.value == e["priority"], where + f", ticket {ticket}"
    if "state" in e:
        assert ticket is not None and ticket.state.value == e["state"], where + f", ticket {ticket}"
    if "silent" in e:
        assert not user_texts, where


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
async def test_script(script: Path, tmp_path: Path, faq_engine: object) -> None:
    steps = parse_script(script)
    env = {}
    for step in steps:
        if step.kind == "env":
            key, _, value = step.text.partition("=")
            env[key.strip()] = value.strip()
    from core.storage.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "conv.db")
    await store.open()
    clock = Clock()
    core = UseCases(make_settings(tmp_path, **env), store, faq_engine, code_sender=RecordingCodeSender(),
                    clock=clock)  # type: ignore[arg-type]
    console = ConsoleAdapter(core, stdin=io.StringIO(""), stdout=io.StringIO())
    console.claim_desk()
    outcomes: list[Outcome] = []
    handle = core.dialogue.handle_message

    async def spy(msg):  # type: ignore[no-untyped-def]
        outcomes.append(await handle(msg))
        return outcomes[-1]

    core.dialogue.handle_message = spy  # type: ignore[method-assign]
    try:
        seen = 0
        for step in steps:
            if step.kind == "clock":
                if step.text.startswith("+"):
                    clock.advance(float(step.text[1:]))
                else:
                    clock.now = datetime.fromisoformat(step.text).replace(tzinfo=timezone.utc).timestamp()
                continue
            if step.kind == "env":
                continue
            if step.kind == "timers":
                await core.timers.run()
                outcomes.append(Outcome("handled"))
            else:
                await console.handle_line(step.text if step.kind == "user" else f"/desk {step.text}")
            rows = await _rows(core)
            new, seen = rows[seen:], len(rows)
            if step.kind not in ("user", "timers"):
                continue
            user_texts = [str(r["payload"].get("text")) for r in new
                          if r["chat_id"] == "local" and r["action"] in ("send", "dm")]
            desk_texts = [str(r["payload"].get("text", "")) for r in new if r["chat_id"] == "desk"]
            async with core.store.transaction() as tx:
                tickets = await tx.tickets()
            _check(step, outcomes[-1], user_texts, desk_texts, tickets[-1] if tickets else None)
    finally:
        await store.close()
