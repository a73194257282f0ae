"""Pure converters between Slack payloads and core values (no I/O, no state).

Inbound idempotency keys are ``slack:{channel}:{ts}`` for messages: a message
has one identity whatever delivers it — a retry of the same envelope, or the
``message`` and ``app_mention`` events Slack sends separately for one mention.
Interactions use ``slack:action:{action_ts}:{user}:{action_id}`` and slash
commands ``slack:cmd:{trigger_id}``, both stable for one click or invocation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.blocks import ACTION_IDS, ACTION_PRIORITY, ACTION_SNIPPET
from adapters.slack.text import mentions, strip_mention, to_plain
from core.models import ChatRef, InboundImage, InboundMessage, UserRef

__all__ = [
    "FaqRequest",
    "StaffRequest",
    "block_request_from_command",
    "community_message",
    "faq_request_from_command",
    "images",
    "is_human_message",
    "message_key",
    "parse_ticket_id",
    "request_from_action",
    "request_from_command",
    "staff_key",
    "staff_thread_reply",
    "thread_snippet",
]

_LOGGER = logging.getLogger(__name__)

_HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})
_TICKET_ID_RE = re.compile(r"^#?(\d{1,12})$")
_USER_MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")

# words staff may type after "/ticket <id>" -> core staff action
_TICKET_WORDS: Mapping[str, str] = {
    "claim": "claim", "resolve": "resolve", "close": "close", "reopen": "reopen",
    "verify": "request_verification", "request_verification": "request_verification",
    "wallet": "request_wallet", "request_wallet": "request_wallet",
    "priority": "set_priority", "set_priority": "set_priority", "note": "note", "canned": "canned",
    "transfer": "transfer", "lookup": "lookup",
}
# parking and abuse (core/support/parking.py, core/support/abuse.py): wait [text], snooze <when>, block [reason]
_PARKING_WORDS: Mapping[str, str] = {"wait": "wait", "snooze": "snooze", "block": "block", "unblock": "unblock"}
# the desk's own data (adapters/slack + core/support/snippets.py): a snippet by name, tags
_TICKET_WORDS_DESK: Mapping[str, str] = {"snippet": "snippet", "tag": "tag"}
# no "reply": a reply is written in the ticket's thread, where the desk shows it
_NEEDS_TEXT = frozenset({"set_priority", "note", "canned", "transfer", "snooze", "snippet", "tag"})
_THREAD_SNIPPET_RE = re.compile(r"^!snippet\s+(\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class StaffRequest:
    """One staff action parsed from a button, a select or a slash command."""

    user: str
    channel: str | None
    ticket_id: int
    action: str
    event_key: str
    text: str = ""
    priority: str | None = None
    to: str | None = None


@dataclass(frozen=True, slots=True)
class FaqRequest:
    """``/faq ...``: ``add`` a phrasing, ``reload``, list ``ids`` or ``ask`` (a preview)."""

    user: str
    channel: str | None
    verb: str
    entry_id: str = ""
    text: str = ""
    ticket_id: int | None = None


# ------------------------------------------------------------------ events


def message_key(channel: str, ts: str) -> str:
    return f"slack:{channel}:{ts}"


def is_human_message(event: Mapping[str, Any]) -> bool:
    """A person's new message (not a bot's, not an edit, deletion or join)."""
    return (
        not event.get("bot_id")
        and event.get("subtype") in _HUMAN_SUBTYPES
        and isinstance(event.get("user"), str)
        and isinstance(event.get("channel"), str)
        and isinstance(event.get("ts"), str)
    )


def edited_message(event: Mapping[str, Any]) -> tuple[dict[str, Any], str] | None:
    """A ``message_changed`` event as ``(the edited message as a message event, the
    edit's own event key)``; None for anything else, or an edit that changed no text
    (Slack sends one when a link preview is added)."""
    inner, previous = event.get("message"), event.get("previous_message") or {}
    if event.get("subtype") != "message_changed" or not isinstance(inner, Mapping):
        return None
    if isinstance(previous, Mapping) and previous.get("text") == inner.get("text"):
        return None
    edited = {k: v for k, v in inner.items() if k not in ("subtype", "edited")}
    edited["channel"] = event.get("channel")
    edited["channel_type"] = event.get("channel_type")
    return edited, f"slack:edit:{event.get('channel')}:{inner.get('ts')}:{event.get('ts')}"


def _is_im(event: Mapping[str, Any]) -> bool:
    channel_type = event.get("channel_type")
    if channel_type is None:
        return str(event.get("channel", "")).startswith("D")
    return channel_type == "im"


def images(event: Mapping[str, Any]) -> tuple[InboundImage, ...]:
    """The files shared with a message (a ``file_share`` message's ``files``), by
    their ``url_private_download`` (or ``url_private``), which need the bot token;
    the shield reads the images, the core decides what else may go on."""
    found: list[InboundImage] = []
    for file in event.get("files") or ():
        if not isinstance(file, Mapping):
            continue
        mimetype = str(file.get("mimetype") or "application/octet-stream")
        url = file.get("url_private_download") or file.get("url_private")
        if not isinstance(url, str):
            continue
        size = file.get("size")
        found.append(InboundImage(url, mimetype, size if isinstance(size, int) else None, str(file.get("name") or "")))
    return tuple(found)


def community_message(
    event: Mapping[str, Any], *, bot_user_id: str, display_name: str = "", locale: str | None = None,
    mention_event: bool = False, can_delete: bool = False,
) -> InboundMessage | None:
    """A community (user-facing) message event as the core's :class:`InboundMessage`."""
    if not is_human_message(event):
        return None
    channel, user, ts = str(event["channel"]), str(event["user"]), str(event["ts"])
    raw = str(event.get("text") or "")
    is_im = _is_im(event)
    thread_ts = event.get("thread_ts")
    addressed = (
        is_im or mention_event or mentions(raw, bot_user_id)
        or (bool(bot_user_id) and event.get("parent_user_id") == bot_user_id)
    )
    return InboundMessage(
        event_key=message_key(channel, ts),
        user=UserRef("slack", user),
        chat=ChatRef("slack", channel, thread_id=None if is_im or not thread_ts else str(thread_ts), is_private=is_im),
        text=to_plain(strip_mention(raw, bot_user_id)),
        message_id=ts,
        display_name=display_name,
        locale=locale,
        addressed=addressed,
        can_delete=can_delete,
        images=images(event),
    )


def staff_thread_reply(event: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(thread_ts, ts)`` when the event is a person's reply inside a thread."""
    if not is_human_message(event):
        return None
    thread_ts, ts = event.get("thread_ts"), str(event["ts"])
    if not isinstance(thread_ts, str) or not thread_ts or thread_ts == ts:
        return None
    return thread_ts, ts


# ------------------------------------------------------------------ staff interactions


def staff_key(user: str) -> str:
    return f"slack:{user}"


def parse_ticket_id(text: str) -> int | None:
    match = _TICKET_ID_RE.match(text.strip())
    return int(match.group(1)) if match else None


def request_from_action(body: Mapping[str, Any]) -> StaffRequest | None:
    """A ``block_actions`` payload from a ticket's root message, or None."""
    try:
        user = str(body["user"]["id"])
        action = body["actions"][0]
    except (KeyError, IndexError, TypeError):
        return None
    if not isinstance(action, Mapping):
        return None
    action_id = str(action.get("action_id", ""))
    core_action = ACTION_IDS.get(action_id)
    if core_action is None:
        return None
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    key = f"slack:action:{action.get('action_ts', '')}:{user}:{action_id}"
    priority: str | None = None
    text = ""
    if action_id == ACTION_PRIORITY:
        value = str((action.get("selected_option") or {}).get("value", ""))
        raw_id, _, priority = value.partition(":")
    elif action_id == ACTION_SNIPPET:
        raw_id, _, text = str((action.get("selected_option") or {}).get("value", "")).partition(":")
    else:
        raw_id = str(action.get("value", ""))
    ticket_id = parse_ticket_id(raw_id)
    if ticket_id is None:
        return None
    return StaffRequest(user, str(channel) if channel else None, ticket_id, core_action, key, text=text,
                        priority=priority)


def request_from_command(form: Mapping[str, Any]) -> StaffRequest | str:
    """``/note <id> <text>`` or ``/ticket <id> <action> [args]``; on bad input,
    the i18n key of the usage line."""
    command = str(form.get("command", "")).lstrip("/")
    usage = "slack.note.usage" if command == "note" else "slack.ticket.usage"
    user, channel = str(form.get("user_id", "")), form.get("channel_id")
    parts = str(form.get("text", "")).strip().split(maxsplit=1 if command == "note" else 2)
    if not user or not parts:
        return usage
    ticket_id = parse_ticket_id(parts[0])
    if ticket_id is None:
        return usage
    if command == "note":
        action, rest = "note", parts[1] if len(parts) > 1 else ""
    else:
        words = {**_TICKET_WORDS, **_PARKING_WORDS, **_TICKET_WORDS_DESK}
        if len(parts) < 2 or parts[1].lower() not in words:
            return usage
        action, rest = words[parts[1].lower()], parts[2] if len(parts) > 2 else ""
    rest = to_plain(rest.strip()) if action != "transfer" else rest.strip()
    if action in _NEEDS_TEXT and not rest:
        return usage
    key = f"slack:cmd:{form.get('trigger_id', '')}"
    if action == "set_priority":
        return StaffRequest(user, str(channel) if channel else None, ticket_id, action, key, priority=rest.lower())
    if action == "transfer":
        mention = _USER_MENTION_RE.match(rest)
        return StaffRequest(user, str(channel) if channel else None, ticket_id, action, key,
                            to=staff_key(mention.group(1)) if mention else rest)
    return StaffRequest(user, str(channel) if channel else None, ticket_id, action, key, text=rest)


def block_request_from_command(form: Mapping[str, Any]) -> tuple[str, str, str] | str:
    """``/block <user> [reason]``, ``/block`` (the list) or ``/unblock <user>`` ->
    (verb, user, reason); a Slack mention becomes ``slack:U…``. On bad input, the
    i18n key of the usage line."""
    verb = str(form.get("command", "")).lstrip("/")
    text = str(form.get("text", "")).strip()
    if not text:
        return ("list", "", "") if verb == "block" else "slack.block.usage"
    who, _, reason = text.partition(" ")
    mention = _USER_MENTION_RE.match(who)
    return verb, staff_key(mention.group(1)) if mention else to_plain(who), to_plain(reason.strip())


def thread_snippet(text: str) -> str | None:
    """``!snippet <name>`` typed in a ticket's thread: the snippet's name, else None."""
    match = _THREAD_SNIPPET_RE.match(text.strip())
    return match.group(1) if match else None


def faq_request_from_command(form: Mapping[str, Any]) -> FaqRequest | str:
    """``/faq add <entry> <question>``, ``/faq add <entry> #<ticket>``,
    ``/faq added``, ``/faq remove <n>``, ``/faq reload``, ``/faq ids`` or
    ``/faq <question>``; on bad input, the i18n key of the usage line.
    (``ticket_id`` carries the phrasing number for ``remove``.)"""
    user, channel = str(form.get("user_id", "")), form.get("channel_id")
    where = str(channel) if channel else None
    text = to_plain(str(form.get("text", ""))).strip()
    if not user or not text:
        return "faqadmin.usage"
    verb, _, rest = text.partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb in ("reload", "ids", "added") and not rest:
        return FaqRequest(user, where, verb)
    if verb == "remove":
        number = parse_ticket_id(rest)  # the same "#12" / "12" shape
        return FaqRequest(user, where, "remove", ticket_id=number) if number is not None else "faqadmin.usage"
    if verb != "add":
        return FaqRequest(user, where, "ask", text=text)
    entry_id, _, phrasing = rest.partition(" ")
    phrasing = phrasing.strip()
    if not entry_id or not phrasing:
        return "faqadmin.usage"
    ticket_id = parse_ticket_id(phrasing) if phrasing.startswith("#") else None
    if ticket_id is not None:
        return FaqRequest(user, where, "add", entry_id, ticket_id=ticket_id)
    return FaqRequest(user, where, "add", entry_id, text=phrasing)
