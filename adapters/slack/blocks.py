"""Block Kit builders for the staff desk (pure: payload in, JSON-able blocks out).

A ticket's root message is a header (the title), a section with the summary, a
context line with the SLA clock and an actions block whose buttons carry the
ticket id as their value. Which buttons show follows the core's state machine
(:func:`core.support.tickets.allowed_actions`), so the desk never offers a transition
the core would refuse. Every user-supplied text is escaped and cut to Slack's
limits (header 150, section 3000 characters).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from adapters.slack.text import escape, truncate
from core.i18n import t
from core.models import Priority, TicketState
from core.support.tickets import allowed_actions

__all__ = [
    "ACTION_CLAIM",
    "ACTION_CLOSE",
    "ACTION_IDS",
    "ACTION_PRIORITY",
    "ACTION_REOPEN",
    "ACTION_RESOLVE",
    "ACTION_SNIPPET",
    "ACTION_VERIFY",
    "desk_line",
    "ticket_blocks",
    "ticket_fallback",
]

_LOGGER = logging.getLogger(__name__)

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
CONTEXT_LIMIT = 3000
MAX_BLOCKS = 50

ACTION_CLAIM = "wd_claim"
ACTION_RESOLVE = "wd_resolve"
ACTION_CLOSE = "wd_close"
ACTION_VERIFY = "wd_request_verification"
ACTION_REOPEN = "wd_reopen"
ACTION_PRIORITY = "wd_priority"
ACTION_LOOKUP = "wd_lookup"
ACTION_SNIPPET = "wd_snippet"
SNIPPET_OPTIONS = 100  # Slack's most options in one static select

# action_id -> core staff action
ACTION_IDS: Mapping[str, str] = {
    ACTION_CLAIM: "claim",
    ACTION_RESOLVE: "resolve",
    ACTION_CLOSE: "close",
    ACTION_VERIFY: "request_verification",
    ACTION_REOPEN: "reopen",
    ACTION_PRIORITY: "set_priority",
    ACTION_LOOKUP: "lookup",
    ACTION_SNIPPET: "snippet",
}

# (core action, action_id, i18n key of the label, style), in display order
_BUTTONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("claim", ACTION_CLAIM, "slack.button.claim", "primary"),
    ("resolve", ACTION_RESOLVE, "slack.button.resolve", "primary"),
    ("close", ACTION_CLOSE, "slack.button.close", None),
    ("request_verification", ACTION_VERIFY, "slack.button.verify", None),
    ("reopen", ACTION_REOPEN, "slack.button.reopen", None),
)

_KIND_PREFIX = {"user": "👤 ", "staff": "💬 ", "system": ""}


def ticket_fallback(payload: Mapping[str, Any]) -> str:
    """The notification / accessibility text of a ticket's root message."""
    return escape(str(payload.get("title") or f"#{payload.get('ticket_id', '?')}"))


def _state(payload: Mapping[str, Any]) -> TicketState | None:
    try:
        return TicketState(str(payload.get("state")))
    except ValueError:
        return None


def _priority_select(ticket_id: int, current: str, lang: str) -> StaticSelectElement:
    options = [Option(value=f"{ticket_id}:{p.value}", label=t(f"slack.priority.{p.value}", lang)) for p in Priority]
    initial = next((o for o in options if o.value == f"{ticket_id}:{current}"), None)
    return StaticSelectElement(placeholder=t("slack.priority.placeholder", lang), action_id=ACTION_PRIORITY,
                               options=options, initial_option=initial)


def _snippet_select(ticket_id: int, names: list[str], lang: str) -> StaticSelectElement:
    """The desk's snippets by name; choosing one sends it to the user (value ``<ticket>:<name>``)."""
    options = [Option(value=f"{ticket_id}:{name}"[:150], label=truncate(name, 75))
               for name in names[:SNIPPET_OPTIONS]]
    return StaticSelectElement(placeholder=t("slack.snippet.placeholder", lang), action_id=ACTION_SNIPPET,
                               options=options)


def _buttons(payload: Mapping[str, Any], ticket_id: int, lang: str) -> list[Any]:
    state = _state(payload)
    allowed = set(allowed_actions(state)) if state is not None else set()
    if payload.get("verified"):
        allowed.discard("request_verification")
    elements: list[Any] = [
        ButtonElement(text=t(label, lang), action_id=action_id, value=str(ticket_id), style=style)
        for action, action_id, label, style in _BUTTONS if action in allowed
    ]
    if "set_priority" in allowed:
        elements.append(_priority_select(ticket_id, str(payload.get("priority", "")), lang))
    names = [str(n) for n in payload.get("snippets") or () if str(n)]
    if "staff_reply" in allowed and names:
        elements.append(_snippet_select(ticket_id, names, lang))
    if payload.get("chain_hash"):  # the last looked-up hash, asked again
        elements.append(ButtonElement(text=t("slack.button.chain_refresh", lang), action_id=ACTION_LOOKUP,
                                      value=str(ticket_id)))
    return elements


def ticket_blocks(payload: Mapping[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    """The root message of a ticket from the core's ``desk_upsert`` payload
    (:func:`core.support.relay.desk_summary`)."""
    ticket_id = int(payload["ticket_id"])
    blocks: list[Block] = [
        HeaderBlock(block_id=f"wd_head_{ticket_id}",
                    text=PlainTextObject(text=truncate(str(payload.get("title") or f"#{ticket_id}"), HEADER_LIMIT))),
    ]
    # escaped, except the summary's own "> " quote lines (a quote cannot ping anyone)
    summary = re.sub(r"(?m)^&gt; ", "> ", escape(str(payload.get("text") or "")).strip())
    if summary:
        blocks.append(SectionBlock(block_id=f"wd_summary_{ticket_id}",
                                   text=MarkdownTextObject(text=truncate(summary, SECTION_LIMIT))))
    sla = str(payload.get("sla") or "")
    if sla:
        blocks.append(ContextBlock(block_id=f"wd_sla_{ticket_id}", elements=[
            MarkdownTextObject(text=truncate(t("slack.desk.sla", lang, sla=escape(sla)), CONTEXT_LIMIT))]))
    for key in ("chain", "tags", "linked", "earlier", "parked", "blocked"):  # system fields, each a context line of its own
        field = str(payload.get(key) or "")
        if field:
            blocks.append(ContextBlock(block_id=f"wd_{key}_{ticket_id}", elements=[
                MarkdownTextObject(text=truncate(escape(field), CONTEXT_LIMIT))]))
    elements = _buttons(payload, ticket_id, lang)
    if elements:
        blocks.append(ActionsBlock(block_id=f"wd_actions_{ticket_id}", elements=elements))
    return [b.to_dict() for b in blocks[:MAX_BLOCKS]]


def desk_line(kind: str, text: str, lang: str = "en") -> str:
    """A line in a ticket's desk thread. Internal notes are marked as such and
    never look like something relayed to or from the user."""
    body = escape(text.strip())
    if kind == "note":
        return t("slack.desk.note", lang, text=body.removeprefix("📝").strip())
    if kind == "user":  # the user's later lines stay inside a quote: none can pass for a system line
        first, *rest = body.split("\n")
        return _KIND_PREFIX["user"] + first + "".join("\n> " + line for line in rest)
    return _KIND_PREFIX.get(kind, "") + body
