"""Conversations as data. A script (``tests/conversation/scripts/*.conv``) is a
list of lines; ``#`` starts a comment:

    env: WALLETDESK_SUPPORT_HOURS=mon-fri 09:00-18:00     settings for this script
    clock: 2026-12-05T15:00                               move the clock (UTC), or +3600 (seconds)
    user: help | act=help | lang=en | says=support bot    a user line and what must follow it
    staff: reply 1 can you send the tx hash?              a staff action, as the console desk types it
    timers: | says=still waiting                          run the timers once (nudges, auto-resolve, SLA)

Expectations after ``user:`` (all optional; after ``timers:`` those about what was sent
and the ticket: lang, says, not, deskshows, priority, state, silent):
    act=      the dialogue act the line was read as
    topic=    the FAQ entry answered (``-``: none answered)
    desk=     opened | relayed | -   (a ticket opened, the line reached an open ticket, neither)
    lang=     en | zh, the language of every bot reply to the line
    says=     text one of the replies holds (``~`` separates alternatives that must all appear)
    not=      text no reply holds
    priority= the user's latest ticket's priority;  state= its state
    deskshows= text the desk received for this line
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Step", "parse_script"]

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(slots=True)
class Step:
    kind: str  # user | staff | clock | env | timers
    text: str
    expect: dict[str, str] = field(default_factory=dict)
    line: int = 0


def parse_script(path: Path) -> list[Step]:
    steps: list[Step] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        kind, _, rest = line.partition(":")
        if kind not in ("user", "staff", "clock", "env", "timers"):
            raise ValueError(f"{path.name}:{n}: unknown line kind {kind!r}")
        parts = [p.strip() for p in rest.split(" | ")]
        expect = {}
        for part in parts[1:]:
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"{path.name}:{n}: expected key=value, got {part!r}")
            expect[key.strip()] = value.strip()
        steps.append(Step(kind, parts[0], expect, n))
    return steps


def reply_lang(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def check_replies(step: Step, texts: list[str], where: str) -> None:
    """What the user saw after ``step`` (ticket numbers written ``#N``) against its
    ``lang``, ``says`` and ``not`` expectations."""
    where = f"{where} {step.text!r} -> {texts!r}"
    if "lang" in step.expect:
        assert {reply_lang(x) for x in texts} == {step.expect["lang"]}, where
    for piece in re.sub(r"#\d+", "#N", step.expect.get("says", "")).split("~"):
        assert not piece.strip() or any(piece.strip() in x for x in texts), where
    if "not" in step.expect:
        assert not any(step.expect["not"] in x for x in texts), where


def numbered(text: str) -> str:
    """Ticket numbers as ``#N``: one process serves every script, so the numbers are its own."""
    return re.sub(r"#\d+", "#N", text)
