"""The console desk's queue (``/desk list [filter]``), through the real process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import run


def test_desk_list_shows_the_queue_and_refuses_an_unknown_filter(tmp_path: Path) -> None:
    out = run("run", stdin="I need a human\n/desk list\n/desk list urgent\n/desk list soon\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    desk = [line for line in out.stdout.splitlines() if line.startswith("[desk] ")]
    first = desk.index("[desk] 🗂 1 ticket(s) · open")
    assert desk[first + 1].startswith("[desk] #1 · normal · open · you (console) · contact-human · ")
    assert "[desk] 🗂 0 ticket(s) · urgent" in desk and "[desk] Nothing waiting here." in desk
    assert any(line.startswith("[desk] error: unknown queue filter 'soon'") for line in desk)


def test_a_new_ticket_shows_the_persons_earlier_tickets(tmp_path: Path) -> None:
    out = run("run", stdin="I need a human\n/desk close 1\nmy card payment failed, I need a human\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    desk = [line for line in out.stdout.splitlines() if line.startswith("[desk] ")]
    first, second = desk.index("[desk] Ticket #1 · normal · open"), desk.index("[desk] Ticket #2 · normal · open")
    assert not any("Earlier tickets" in line for line in desk[first:second])  # a first ticket has no history
    assert "[desk] 🕘 Earlier tickets: #1 contact-human (closed)" in desk[second:]


def test_the_daily_digest_is_printed_on_the_console_desk(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WALLETDESK_DIGEST_AT=00:00\n", encoding="utf-8")  # due at once, today
    out = run("run", stdin="I need a human\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    digests = [i for i, line in enumerate(lines) if line.startswith("[desk] 📊 Daily digest · ")]
    assert len(digests) == 1, out.stdout  # once, though every line checks whether it is due
    # printed as the session starts, before the ticket opened
    assert lines[digests[0] + 1] == "Backlog: 0 active ticket(s) — urgent 0 · high 0 · normal 0 · low 0"
    assert digests[0] < lines.index("[desk] Ticket #1 · normal · open")


def test_snippets_tags_and_transfer_from_the_console_desk_and_in_the_report(tmp_path: Path) -> None:
    """The console desk edits and sends a snippet, tags the ticket and hands it to a named
    colleague (the assignee shows on the desk); ``walletdesk report`` counts the tag."""
    lines = ["I need a human",
             "/desk snippet add thanks Thanks {user}, ticket #{ticket_id} is with {agent}.",
             "/desk snippet add bad Hi {name}",
             "/desk snippet 1 thanks",
             "/desk canned 1 closing",
             "/desk tag 1 add vip",
             "/desk tag 1 add Bad Tag",
             "/desk transfer 1 bob",
             "/desk snippet list"]
    out = run("run", stdin="\n".join(lines) + "\n", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    stdout = out.stdout.splitlines()
    assert "[desk] Snippet “thanks” added (en)." in stdout
    assert "[desk] Unknown placeholder “{name}”; use {user}, {ticket_id} or {agent}." in stdout
    bot = [line for line in stdout if line.startswith("bot> ")]
    assert any(line.endswith("Thanks you, ticket #1 is with the support team.") for line in bot), bot
    assert any("We're marking ticket #1 as solved." in line for line in bot), bot
    assert "[desk] 🏷 Tags: vip" in stdout
    assert any(line.startswith("[desk] error: use: tag add|remove <tag>") for line in stdout)
    assert "[desk] Assignee: bob" in stdout
    listing = next(line for line in stdout if line.startswith("[desk] Snippets: "))
    assert "thanks (en): Thanks {user}" in listing and "closing (en+zh)" in listing

    report = run("report", "--json", "--since", "30d", tmp=tmp_path)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["by_tag"] == {"vip": 1}
    text = run("report", "--since", "30d", tmp=tmp_path).stdout
    assert "Tags" in text and "vip" in text.split("Tags", 1)[1]
