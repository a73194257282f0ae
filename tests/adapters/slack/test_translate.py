"""Pure converters: Slack text conventions, events -> InboundMessage, interactions -> staff requests."""

from __future__ import annotations

from adapters.slack.text import escape, mentions, strip_mention, to_plain, truncate
from adapters.slack.translate import (
    StaffRequest,
    community_message,
    request_from_action,
    request_from_command,
    staff_thread_reply,
)
from core.models import ChatRef, UserRef

BOT = "U0BOT"


def test_escape_and_plain_round_trip() -> None:
    assert escape("<!channel> & <@U1> >") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &gt;"
    assert to_plain(escape("a < b & c > d")) == "a < b & c > d"
    assert to_plain("hi <@U123|ann> in <#C1|general>, <!here>, <https://x.io|site> <https://y.io> "
                    "<mailto:a@b.c|a@b.c> <!subteam^S1>") == \
        "hi @ann in #general, @here, site (https://x.io) https://y.io a@b.c @subteam"


def test_mentions_and_strip() -> None:
    assert mentions(f"<@{BOT}> hi", BOT) and mentions(f"hey <@{BOT}|walletdesk>", BOT)
    assert not mentions("<@U0BOTX> hi", BOT) and not mentions("hi", "")
    assert strip_mention(f"<@{BOT}>: where is my   transfer?", BOT) == "where is my transfer?"
    assert strip_mention(f"hey <@{BOT}|wd> and <@U9>", BOT) == "hey and <@U9>"


def test_truncate_is_clean() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("…") and not cut[:-1].endswith(" ")
    cut = truncate("x" * 40 + "&amp;" + "y" * 40, 44)
    assert cut == "x" * 40 + "…"


def test_community_message_in_a_channel_thread() -> None:
    event = {"type": "message", "channel": "C1", "user": "U1", "ts": "2.0", "thread_ts": "1.0",
             "text": f"<@{BOT}> fees &amp; <https://a.b|link>?", "channel_type": "channel"}
    msg = community_message(event, bot_user_id=BOT, display_name="Ann", locale="zh-CN")
    assert msg is not None
    assert msg.event_key == "slack:C1:2.0" and msg.user == UserRef("slack", "U1")
    assert msg.chat == ChatRef("slack", "C1", thread_id="1.0", is_private=False)
    assert msg.text == "fees & link (https://a.b)?" and msg.addressed
    assert (msg.display_name, msg.locale, msg.message_id) == ("Ann", "zh-CN", "2.0")


def test_community_message_addressing() -> None:
    base = {"type": "message", "channel": "C1", "user": "U1", "ts": "2.0", "text": "hello", "channel_type": "channel"}
    assert not community_message(base, bot_user_id=BOT).addressed  # type: ignore[union-attr]
    assert community_message(base, bot_user_id=BOT, mention_event=True).addressed  # type: ignore[union-attr]
    dm = community_message(dict(base, channel="D1", channel_type="im", thread_ts="1.0"), bot_user_id=BOT)
    assert dm is not None and dm.addressed and dm.chat == ChatRef("slack", "D1", is_private=True)
    mention = dict(base, type="app_mention")
    del mention["channel_type"]
    assert community_message(mention, bot_user_id=BOT).chat.is_private is False  # type: ignore[union-attr]
    # the same message through `message` and `app_mention` has one key
    assert community_message(mention, bot_user_id=BOT).event_key == community_message(base, bot_user_id=BOT).event_key  # type: ignore[union-attr]


def test_bots_edits_and_joins_are_not_messages() -> None:
    base = {"type": "message", "channel": "C1", "user": "U1", "ts": "2.0", "text": "x"}
    assert community_message(dict(base, bot_id="B1"), bot_user_id=BOT) is None
    assert community_message(dict(base, subtype="message_changed"), bot_user_id=BOT) is None
    assert community_message(dict(base, subtype="channel_join"), bot_user_id=BOT) is None
    assert community_message({k: v for k, v in base.items() if k != "user"}, bot_user_id=BOT) is None
    assert community_message(dict(base, subtype="thread_broadcast"), bot_user_id=BOT) is not None


def test_staff_thread_reply() -> None:
    base = {"type": "message", "channel": "C1", "user": "U1", "ts": "2.0", "text": "x"}
    assert staff_thread_reply(dict(base, thread_ts="1.0")) == ("1.0", "2.0")
    assert staff_thread_reply(base) is None
    assert staff_thread_reply(dict(base, thread_ts="2.0")) is None  # the root itself
    assert staff_thread_reply(dict(base, thread_ts="1.0", bot_id="B1")) is None


def test_request_from_action() -> None:
    body = {"user": {"id": "U2"}, "channel": {"id": "C0"},
            "actions": [{"action_id": "wd_claim", "value": "7", "action_ts": "9.1"}]}
    assert request_from_action(body) == StaffRequest("U2", "C0", 7, "claim", "slack:action:9.1:U2:wd_claim")
    select = {"user": {"id": "U2"}, "container": {"channel_id": "C0"}, "actions": [
        {"action_id": "wd_priority", "selected_option": {"value": "7:urgent"}, "action_ts": "9.2"}]}
    req = request_from_action(select)
    assert req is not None and (req.action, req.ticket_id, req.priority, req.channel) == ("set_priority", 7, "urgent", "C0")
    assert request_from_action({"user": {"id": "U2"}, "actions": []}) is None
    assert request_from_action({"user": {"id": "U2"}, "actions": [{"action_id": "other", "value": "7"}]}) is None
    assert request_from_action({"user": {"id": "U2"}, "actions": [{"action_id": "wd_claim", "value": "x"}]}) is None
    assert request_from_action({}) is None


def test_request_from_command() -> None:
    form = {"command": "/note", "user_id": "U2", "channel_id": "C0", "trigger_id": "t1", "text": "#7 checked &amp; ok"}
    assert request_from_command(form) == StaffRequest("U2", "C0", 7, "note", "slack:cmd:t1", text="checked & ok")
    assert request_from_command(dict(form, text="7")) == "slack.note.usage"
    assert request_from_command(dict(form, text="seven words")) == "slack.note.usage"
    ticket = dict(form, command="/ticket")
    assert request_from_command(dict(ticket, text="7 priority HIGH")).priority == "high"  # type: ignore[union-attr]
    assert request_from_command(dict(ticket, text="7 verify")).action == "request_verification"  # type: ignore[union-attr]
    assert request_from_command(dict(ticket, text="7 transfer <@U9|zed>")).to == "slack:U9"  # type: ignore[union-attr]
    assert request_from_command(dict(ticket, text="7 dance")) == "slack.ticket.usage"
    assert request_from_command(dict(ticket, text="7 canned")) == "slack.ticket.usage"
    assert request_from_command(dict(ticket, text="7 reply hi")) == "slack.ticket.usage"


def test_parking_and_block_commands() -> None:
    from adapters.slack.translate import block_request_from_command

    ticket = {"command": "/ticket", "user_id": "U2", "channel_id": "C0", "trigger_id": "t2"}
    assert request_from_command(dict(ticket, text="7 wait can you send the hash?")) == \
        StaffRequest("U2", "C0", 7, "wait", "slack:cmd:t2", text="can you send the hash?")
    assert request_from_command(dict(ticket, text="7 wait")).action == "wait"  # type: ignore[union-attr]
    assert request_from_command(dict(ticket, text="7 snooze 2026-12-08 09:00")).text == "2026-12-08 09:00"  # type: ignore[union-attr]
    assert request_from_command(dict(ticket, text="7 snooze")) == "slack.ticket.usage"
    assert request_from_command(dict(ticket, text="#7 block spam &amp; insults")) == \
        StaffRequest("U2", "C0", 7, "block", "slack:cmd:t2", text="spam & insults")
    assert request_from_command(dict(ticket, text="7 unblock")).action == "unblock"  # type: ignore[union-attr]
    block = {"command": "/block", "user_id": "U2", "channel_id": "C0", "trigger_id": "t3"}
    assert block_request_from_command(dict(block, text="")) == ("list", "", "")
    assert block_request_from_command(dict(block, text="telegram:12345 posts scam links")) == \
        ("block", "telegram:12345", "posts scam links")
    assert block_request_from_command(dict(block, text="<@U77|eve> spam")) == ("block", "slack:U77", "spam")
    assert block_request_from_command(dict(block, command="/unblock", text="telegram:12345")) == \
        ("unblock", "telegram:12345", "")
    assert block_request_from_command(dict(block, command="/unblock", text="")) == "slack.block.usage"
