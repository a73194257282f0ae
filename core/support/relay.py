"""Routing between a user's conversation and the staff desk.

Staff replies go back to the platform and chat the user came from: the ticket's
own chat when it was private, otherwise a private message (with the public chat
as the fallback where the platform won't let the bot write first).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from core.contract import display_name
from core.i18n import t
from core.models import ChatRef, Ticket, UserRef
from core.support.chain_desk import ChainField
from core.support.outbox import Effects
from core.support.tickets import sla_due

__all__ = ["LinkedAccount", "dm_chat", "desk_summary", "fmt_time", "platform_name", "send_file_to_user",
           "send_to_user"]

def platform_name(platform: str) -> str:
    """How people call the platform, as its adapter says (the name itself otherwise)."""
    return display_name(platform)


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    """Another account of the ticket owner's person, as the desk lists it."""

    platform: str
    user_id: str
    display_name: str
    confirmed: bool  # both accounts agreed to the link (privacy requests cover it)


def dm_chat(user: UserRef) -> ChatRef:
    """The conversation key of a user's private chat with the bot, whatever the
    platform calls its channel."""
    return ChatRef(user.platform, f"dm:{user.user_id}", is_private=True)


def send_to_user(effects: Effects, ticket: Ticket, text: str, **extra: object) -> None:
    if ticket.origin.is_private:
        effects.send(ticket.origin, text, ticket_id=ticket.id, **extra)
    else:
        effects.dm(ticket.user, text, fallback=ticket.origin, ticket_id=ticket.id, **extra)


def send_file_to_user(effects: Effects, ticket: Ticket, payload: dict[str, object]) -> None:
    """A kept file to the user, where :func:`send_to_user` sends the ticket's texts."""
    if ticket.origin.is_private:
        effects.send_file(ticket.origin, payload, ticket_id=ticket.id)
    else:
        effects.dm_file(ticket.user, payload, ticket_id=ticket.id)


def _one_line(text: str) -> str:
    """A subject as one line: a newline in it cannot add a line under the summary's own."""
    return " ".join(text.split())[:500]


def fmt_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def desk_summary(
    ticket: Ticket, *, display_name: str, first_response_targets: Mapping[str, float], lang: str = "en",
    verification_pending: bool = False, now: float | None = None, chain: ChainField | None = None,
    earlier: Sequence[Ticket] = (), linked: Sequence[LinkedAccount] = (), tags: Sequence[str] = (),
    snippets: Sequence[str] = (),
) -> dict[str, object]:
    """Everything the desk shows in a ticket's root message, as plain values;
    the desk adapter lays it out (Block Kit on Slack). ``chain``: the last
    on-chain lookup, a field of its own; ``earlier``:
    the person's earlier tickets, newest first (id, topic, outcome, CSAT); ``linked``: the
    person's other accounts, each marked when its link was never confirmed; ``tags``: the
    ticket's tags; ``snippets``: the names staff can send from the desk's menu."""
    now = time.time() if now is None else now
    if ticket.verified_at:
        verification = t("desk.verified", lang, at=fmt_time(ticket.verified_at), method=ticket.verified_method or "code")
    elif verification_pending:
        verification = t("desk.verification_pending", lang)
    else:
        verification = t("desk.unverified", lang)
    due = sla_due(ticket, first_response_targets)
    if ticket.first_response_at:
        sla = t("desk.sla_met", lang)
    elif now > due and ticket.state.value not in ("resolved", "closed"):
        sla = t("desk.sla_breached", lang, at=fmt_time(due))
    else:
        sla = t("desk.sla_due", lang, at=fmt_time(due))
    user = display_name or ticket.user.user_id
    text = t("desk.summary", lang, user=user, platform=ticket.user.platform, lang=ticket.lang,
             category=ticket.category or "-", assignee=ticket.assignee or t("desk.unassigned", lang),
             verification=verification, sla=sla, subject=_one_line(ticket.subject))
    chain_line = t("desk.chain_field", lang, hash=chain.hash, status=chain.line, at=fmt_time(chain.at)) if chain else None
    history = "; ".join(t("desk.earlier_item", lang, ticket_id=e.id, topic=e.category or "-", state=e.state.value,
                          csat=f" ★{e.csat}" if e.csat else "") for e in earlier)
    accounts = ", ".join(
        t("desk.linked_item", lang, platform=platform_name(a.platform), name=_one_line(a.display_name)[:80] or "-",
          user_id=a.user_id) + ("" if a.confirmed else t("desk.link_unconfirmed", lang))
        for a in linked)
    return {
        "ticket_id": ticket.id,
        "state": ticket.state.value,
        "priority": ticket.priority.value,
        "title": t("desk.title", lang, ticket_id=ticket.id, priority=ticket.priority.value, state=ticket.state.value),
        "text": text,
        "chain": chain_line,
        "chain_hash": chain.hash if chain else None,
        "earlier": t("desk.earlier", lang, tickets=history) if history else None,
        "linked": t("desk.linked", lang, accounts=accounts) if accounts else None,
        "tags": t("desk.tags", lang, tags=", ".join(tags)) if tags else None,
        "tag_list": list(tags),
        "snippets": list(snippets),
        "user": user,
        "user_key": ticket.user.key,
        "platform": ticket.user.platform,
        "lang": ticket.lang,
        "category": ticket.category,
        "assignee": ticket.assignee,
        "verified": ticket.verified_at is not None,
        "sla": sla,
        "subject": _one_line(ticket.subject),
    }
