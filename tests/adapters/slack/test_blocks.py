"""Block Kit builders: buttons follow the state machine, text is escaped and within Slack's limits."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.blocks import desk_line, ticket_blocks, ticket_fallback
from tests.simulators.slack_sim import validate_blocks


def _payload(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"ticket_id": 7, "state": "open", "priority": "normal", "verified": False,
                            "title": "Ticket #7 · normal · open", "text": "User: Ann\n> where is my money",
                            "sla": "first response due 2026-01-01 10:00 UTC"}
    base.update(kw)
    return base


def _ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [el["action_id"] for b in blocks if b["type"] == "actions" for el in b["elements"]]


@pytest.mark.parametrize(("state", "verified", "expected"), [
    ("open", False, ["wd_claim", "wd_resolve", "wd_close", "wd_request_verification", "wd_priority"]),
    ("open", True, ["wd_claim", "wd_resolve", "wd_close", "wd_priority"]),
    ("claimed", False, ["wd_resolve", "wd_close", "wd_request_verification", "wd_priority"]),
    ("waiting_on_user", False, ["wd_claim", "wd_resolve", "wd_close", "wd_request_verification", "wd_priority"]),
    ("resolved", False, ["wd_close", "wd_reopen"]),
    ("closed", False, ["wd_reopen"]),
])
def test_buttons_follow_the_state(state: str, verified: bool, expected: list[str]) -> None:
    blocks = ticket_blocks(_payload(state=state, verified=verified))
    assert _ids(blocks) == expected
    assert validate_blocks(blocks) == []
    for b in blocks:
        for el in b.get("elements", []):
            if el.get("type") == "button":
                assert el["value"] == "7"


def test_priority_select_shows_the_current_level() -> None:
    select = next(el for b in ticket_blocks(_payload(priority="high")) if b["type"] == "actions"
                  for el in b["elements"] if el["type"] == "static_select")
    assert select["initial_option"]["value"] == "7:high"
    assert [o["value"] for o in select["options"]] == ["7:low", "7:normal", "7:high", "7:urgent"]


def test_user_text_is_escaped_and_cut_to_limits() -> None:
    blocks = ticket_blocks(_payload(text="User: <!channel> & <@U1>\n> " + "x " * 3000, title="T" * 400))
    assert validate_blocks(blocks) == []
    section = next(b for b in blocks if b["type"] == "section")["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt; &amp; &lt;@U1&gt;" in section
    assert "\n> x x" in section and section.endswith("…") and len(section) <= 3000
    assert len(next(b for b in blocks if b["type"] == "header")["text"]["text"]) <= 150
    assert ticket_fallback({"title": "<!here> #1"}) == "&lt;!here&gt; #1"


def test_linked_accounts_are_a_context_line_of_their_own() -> None:
    blocks = ticket_blocks(_payload(linked="🔗 Linked accounts: Discord <!here> (666) ⚠ link never confirmed"))
    assert validate_blocks(blocks) == []
    (line,) = [b for b in blocks if b.get("block_id") == "wd_linked_7"]
    assert line["type"] == "context" and "Discord &lt;!here&gt; (666)" in line["elements"][0]["text"]


def test_desk_lines() -> None:
    assert desk_line("user", "Ann: <!here> hi") == "👤 Ann: &lt;!here&gt; hi"
    note = desk_line("note", "📝 slack:U2: checked")
    assert note.startswith("📝") and "not sent to the user" in note and note.count("📝") == 1
    assert desk_line("note", "slack:U2: plain").startswith("📝")
    assert desk_line("system", "✅ verified by code") == "✅ verified by code"


def test_parking_and_block_fields_are_context_lines() -> None:
    blocks = ticket_blocks(_payload(parked="⏳ Waiting on the user since 2026-12-07 11:00 UTC",
                                    blocked="🚫 User blocked by slack:U1 since 2026-12-07 11:00 UTC. Reason: <!channel>"))
    (parked,) = [b for b in blocks if b.get("block_id") == "wd_parked_7"]
    (blocked,) = [b for b in blocks if b.get("block_id") == "wd_blocked_7"]
    assert parked["elements"][0]["text"].startswith("⏳ Waiting on the user")
    assert blocked["elements"][0]["text"].endswith("Reason: &lt;!channel&gt;")  # staff text cannot ping
