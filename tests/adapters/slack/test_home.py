"""The staff's day on the Slack desk, over sockets: the App Home tab (views.publish)
for staff and for others, ``/ticket N transcript`` and ``/ticket N export`` (a file
in the staff member's own conversation with the bot), the digest in the staff channel."""

from __future__ import annotations

import pytest

from adapters.slack import transcripts
from core.i18n import t

from .conftest import ALICE, ALICE_DM, BOB, CAROL, STAFF, Desk


def _lines_to(desk: Desk, user: str) -> list[str]:
    return [m.text for m in desk.sim.ephemerals if m.ephemeral_to == user]


def _texts(view: dict) -> list[str]:
    out = []
    for block in view["blocks"]:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text["text"])
        out += [el["text"] for el in block.get("elements", []) if isinstance(el, dict) and "text" in el]
    return out


async def test_the_home_tab_shows_staff_the_queue_and_others_a_note(desk: Desk) -> None:
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human"))
    root, ticket = await desk.ticket_root()
    await sim.send_event(desk.url, sim.app_home_opened_event(BOB))
    await sim.send_event(desk.url, sim.app_home_opened_event(CAROL))
    await sim.send_event(desk.url, sim.app_home_opened_event(ALICE, tab="messages"))  # not the Home tab
    await desk.settle()
    view = sim.home_views[BOB]
    texts = _texts(view)
    assert view["type"] == "home" and texts[0] == "🗂 Ticket queue"
    assert "open 1 · claimed 0 · waiting on the user 0" in texts[1]
    assert "urgent 0 · high 0 · normal 1 · low 0" in texts[1]
    line = next(b for b in view["blocks"] if b.get("text", {}).get("text", "").startswith(f"#{ticket.id} "))
    assert "normal · open · Alice (slack) · contact-human" in line["text"]["text"]
    assert line["accessory"]["url"] == f"https://walletdesk.slack.com/archives/{STAFF}/p{root.ts.replace('.', '')}"
    assert _texts(sim.home_views[CAROL]) == [t("home.not_staff", "zh")]  # Carol's Slack speaks Chinese
    assert ALICE not in sim.home_views


async def test_staff_read_and_export_a_transcript_from_slack(desk: Desk) -> None:
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human"))
    _, ticket = await desk.ticket_root()
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "thanks a lot"))
    await desk.settle()
    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} transcript", user=BOB, channel=STAFF)
    await desk.settle()
    (shown,) = _lines_to(desk, BOB)
    assert shown.startswith(f"```\nTicket #{ticket.id} · ")
    assert "bot_reply  bot: Ticket #" in shown  # the bot's part: the opening notice
    assert "user_message  slack:U0ALICE: thanks" in shown

    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} export html", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} export pdf", user=BOB, channel=STAFF)
    await sim.slash_command(desk.url, "/ticket", f"{ticket.id} export json", user=CAROL, channel=STAFF)
    await sim.slash_command(desk.url, "/ticket", "x transcript", user=BOB, channel=STAFF)
    await desk.settle()
    (upload,) = sim.uploads
    dm = sim._open_im(BOB)["id"]
    assert (upload.channel, upload.filename) == (dm, f"ticket-{ticket.id}.html")
    assert upload.content.startswith("<!doctype html>") and "bot_reply" in upload.content
    assert "<td>thanks a lot</td>" in upload.content
    assert sorted(_lines_to(desk, BOB)[1:]) == sorted([  # the commands run side by side
        t("home.uploaded", "en", ticket_id=ticket.id),
        t("home.bad_format", "en", formats="text, json, html"),
        t("home.transcript_usage", "en"),
    ])
    assert _lines_to(desk, CAROL) == [t("policy.not_staff", "zh")]
    assert not any(upload.channel == STAFF for upload in sim.uploads)  # never in the channel


async def test_a_long_transcript_arrives_as_a_file(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcripts, "EPHEMERAL_LIMIT", 80)  # any real ticket is longer than that
    sim = desk.sim
    await sim.send_event(desk.url, sim.user_message_event(ALICE_DM, ALICE, "I need a human"))
    _, ticket = await desk.ticket_root()
    await sim.slash_command(desk.url, "/ticket", f"#{ticket.id} transcript", user=BOB, channel=STAFF)
    await desk.settle()
    (upload,) = sim.uploads
    assert upload.filename == f"ticket-{ticket.id}.txt" and upload.content.startswith(f"Ticket #{ticket.id} · ")
    assert _lines_to(desk, BOB) == [t("home.uploaded", "en", ticket_id=ticket.id)]
