"""Snippets, tags and shifts on the Slack desk, over sockets: ``/snippet`` edits them,
``/ticket N snippet``, ``!snippet`` in the thread and the root's menu send them in the
user's language, ``/ticket N tag`` shows on the root, ``/shift`` answers the staff member."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from adapters.slack.blocks import ACTION_SNIPPET
from adapters.slack.text import escape
from core.i18n import t

from .conftest import ALICE, ALICE_DM, BOB, CAROL, STAFF, Desk


def _lines_to(desk: Desk, user: str) -> list[str]:
    return [m.text for m in desk.sim.ephemerals if m.ephemeral_to == user]


def _select(blocks: list[dict[str, Any]] | None, action_id: str) -> dict[str, Any] | None:
    for block in blocks or []:
        for el in block.get("elements") or []:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return el
    return None


async def test_staff_edit_and_send_snippets_from_slack(make_desk: Callable[..., Awaitable[Desk]]) -> None:
    desk = await make_desk(SLACK_FAQ_ADMINS=BOB)
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human <!channel>"))
    root, ticket = await desk.ticket_root()

    await sim.slash_command(desk.url, "/snippet", "add fees Hi {user}, #{ticket_id}: gas pays the network. {agent}",
                            user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/snippet", "add bad Hi {username}", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/snippet", "add mine hello", user=CAROL, channel=STAFF)
    await desk.settle()
    assert _lines_to(desk, BOB) == [escape("Snippet “fees” added (en)."),
                                    escape("Unknown placeholder “{username}”; use {user}, {ticket_id} or {agent}.")]
    assert _lines_to(desk, CAROL) == [t("snippet.not_editor", "zh")]  # Carol's Slack speaks Chinese

    # three ways to send one: /ticket N snippet, !snippet in the thread, the root's menu
    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} snippet fees", user=BOB, channel=STAFF)
    await desk.settle()
    assert sim.texts_in(ALICE_DM)[-1].endswith(escape(f"Hi Alice, #{ticket.id}: gas pays the network. Bob (support)"))
    await sim.send_event(desk.url, sim.user_message_event(STAFF, BOB, "!snippet never-share", thread_ts=root.ts))
    await desk.settle()
    assert sim.texts_in(ALICE_DM)[-1].endswith(
        escape("Alice, a reminder: we will never ask for your recovery phrase or private key. Anyone who does is a scammer."))
    assert not any("!snippet" in text for text in sim.texts_in(ALICE_DM))
    current = sim.message(STAFF, root.ts)
    assert current is not None
    menu = _select(current.blocks, ACTION_SNIPPET)
    assert menu is not None and [o["value"] for o in menu["options"]] == [
        f"{ticket.id}:{name}" for name in ("closing", "explorer", "fees", "never-share")]
    await sim.block_action(desk.url, ACTION_SNIPPET, None, user=BOB, channel=STAFF, message_ts=root.ts,
                           action_type="static_select",
                           selected_option={"value": f"{ticket.id}:closing", "text": {"type": "plain_text", "text": "closing"}})
    await desk.settle()
    assert sim.texts_in(ALICE_DM)[-1].endswith(escape(f"Thanks Alice! We're marking ticket #{ticket.id} as solved. "
                                                      "Write here if anything else comes up."))
    # the desk thread shows what went out; an unknown name is one line to the sender
    assert any("gas pays the network" in text for text in sim.texts_in(STAFF, thread_ts=root.ts))
    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} snippet nope", user=BOB, channel=STAFF)
    await desk.settle()
    assert _lines_to(desk, BOB)[-1] == escape("⚠️ Not done: No snippet “nope”; available: closing, explorer, fees, "
                                              "never-share.")


async def test_tags_on_the_root_and_shifts(desk: Desk) -> None:
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human <!channel>"))
    root, ticket = await desk.ticket_root()
    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} tag add refund", user=BOB, channel=STAFF)
    await desk.settle()
    current = sim.message(STAFF, root.ts)
    assert current is not None and "🏷 Tags: refund" in str(current.blocks)
    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} tag remove vip", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/shift", "off", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/shift", "off", user=CAROL, channel=STAFF)
    await desk.settle()
    tag_line, shift_line = _lines_to(desk, BOB)
    assert tag_line == "⚠️ Not done: Ticket #1 has no tag “vip”."
    assert shift_line == escape(t("shift.off", "en") + " " + t("shift.auto_assign_off", "en"))
    assert _lines_to(desk, CAROL) == [t("policy.not_staff", "zh")]
