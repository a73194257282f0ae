"""Ticket lifecycle: the state machine, starting priorities and SLA arithmetic.

open -> claimed -> waiting_on_user -> resolved -> closed, plus reopen. Every
transition is a named action; :func:`next_state` is the only place that knows
which actions each state allows, so no illegal transition is reachable.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import IllegalTransition
from core.models import Priority, Ticket, TicketState

__all__ = ["ACTIONS", "URGENT_TOPICS", "HIGH_TOPICS", "allowed_actions", "next_state", "starting_priority", "sla_due"]

S = TicketState

# action -> (states it may start from, resulting state); None keeps the state
ACTIONS: Mapping[str, tuple[frozenset[TicketState], TicketState | None]] = {
    "claim": (frozenset({S.OPEN, S.WAITING_ON_USER}), S.CLAIMED),
    "transfer": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), S.CLAIMED),
    "staff_reply": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), S.WAITING_ON_USER),
    "user_message": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), None),
    "note": (frozenset(S), None),
    "set_priority": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), None),
    "request_verification": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), None),
    "verified": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), None),
    "resolve": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), S.RESOLVED),
    "close": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER, S.RESOLVED}), S.CLOSED),
    "reopen": (frozenset({S.RESOLVED, S.CLOSED}), S.OPEN),
    "rate": (frozenset({S.RESOLVED, S.CLOSED}), None),
    # parking (core/support/parking.py): staff wait on the user, or hide the ticket until a time
    "wait": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), S.WAITING_ON_USER),
    "snooze": (frozenset({S.OPEN, S.CLAIMED, S.WAITING_ON_USER}), None),
}

URGENT_TOPICS = frozenset({"unauthorized-transaction"})
HIGH_TOPICS = frozenset({"scam-report", "account-frozen", "lost-seed-phrase", "account-access"})


def allowed_actions(state: TicketState) -> list[str]:
    return [name for name, (sources, _) in ACTIONS.items() if state in sources]


def next_state(ticket: Ticket, action: str) -> TicketState:
    """The state after ``action``; raises IllegalTransition when forbidden."""
    try:
        sources, target = ACTIONS[action]
    except KeyError:
        raise IllegalTransition(f"unknown ticket action {action!r}", key="error.generic") from None
    if ticket.state not in sources:
        raise IllegalTransition(f"ticket #{ticket.id} is {ticket.state.value}; cannot {action.replace('_', ' ')}")
    if action == "user_message" and ticket.state is S.WAITING_ON_USER:
        return S.CLAIMED if ticket.assignee else S.OPEN
    return target if target is not None else ticket.state


def starting_priority(category: str | None) -> Priority:
    if category in URGENT_TOPICS:
        return Priority.URGENT
    if category in HIGH_TOPICS:
        return Priority.HIGH
    return Priority.NORMAL


def sla_due(ticket: Ticket, first_response_targets: Mapping[str, float]) -> float:
    """When the first staff response is due (epoch seconds)."""
    return ticket.created_at + first_response_targets[ticket.priority.value]
