"""The ticket state machine: every reachable state is legal, every forbidden
action raises and changes nothing."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, strategies as st

from core.errors import IllegalTransition
from core.models import ChatRef, Priority, Ticket, TicketState, UserRef
from core.support.tickets import ACTIONS, allowed_actions, next_state, starting_priority

BASE = Ticket(
    id=1, user=UserRef("telegram", "1"), origin=ChatRef("telegram", "1", is_private=True), origin_message_id=None,
    state=TicketState.OPEN, priority=Priority.NORMAL, category=None, lang="en", subject="x", assignee=None,
    verified_at=None, verified_method=None, created_at=0.0, updated_at=0.0,
)

LEGAL_EDGES = {
    (TicketState.OPEN, TicketState.CLAIMED), (TicketState.OPEN, TicketState.WAITING_ON_USER),
    (TicketState.OPEN, TicketState.RESOLVED), (TicketState.OPEN, TicketState.CLOSED),
    (TicketState.CLAIMED, TicketState.WAITING_ON_USER), (TicketState.CLAIMED, TicketState.RESOLVED),
    (TicketState.CLAIMED, TicketState.CLOSED), (TicketState.CLAIMED, TicketState.CLAIMED),
    (TicketState.WAITING_ON_USER, TicketState.CLAIMED), (TicketState.WAITING_ON_USER, TicketState.OPEN),
    (TicketState.WAITING_ON_USER, TicketState.RESOLVED), (TicketState.WAITING_ON_USER, TicketState.CLOSED),
    (TicketState.WAITING_ON_USER, TicketState.WAITING_ON_USER),
    (TicketState.RESOLVED, TicketState.CLOSED), (TicketState.RESOLVED, TicketState.OPEN),
    (TicketState.CLOSED, TicketState.OPEN), (TicketState.OPEN, TicketState.OPEN),
    (TicketState.RESOLVED, TicketState.RESOLVED), (TicketState.CLOSED, TicketState.CLOSED),
}


# written out by hand from the lifecycle (not derived from ACTIONS): what each state refuses
_WORK = {"claim", "transfer", "staff_reply", "user_message", "set_priority", "request_verification", "verified",
         "resolve", "wait", "snooze"}  # a resolved or closed ticket is not parked
REFUSED = {
    TicketState.OPEN: {"reopen", "rate"}, TicketState.CLAIMED: {"reopen", "rate", "claim"},  # claimed once
    TicketState.WAITING_ON_USER: {"reopen", "rate"},
    TicketState.RESOLVED: _WORK, TicketState.CLOSED: _WORK | {"close"},
}


@given(st.lists(st.tuples(st.sampled_from(sorted(ACTIONS)), st.booleans()), max_size=40))
def test_no_illegal_transition_is_reachable(steps: list[tuple[str, bool]]) -> None:
    ticket = BASE
    for action, assigned in steps:
        ticket = replace(ticket, assignee="slack:U1" if assigned else None)
        before = ticket.state
        if action in allowed_actions(before):
            after = next_state(ticket, action)
            assert (before, after) in LEGAL_EDGES
            ticket = replace(ticket, state=after)
        else:
            try:
                next_state(ticket, action)
            except IllegalTransition as exc:
                assert before.value in str(exc)
            else:
                raise AssertionError(f"{action} allowed from {before}")
            assert action in REFUSED[before], f"{action} refused from {before}"
        if action in allowed_actions(before):
            assert action not in REFUSED[before], f"{action} allowed from {before}"


def test_closed_tickets_only_reopen_or_take_notes() -> None:
    assert set(allowed_actions(TicketState.CLOSED)) == {"note", "reopen", "rate"}


def test_user_reply_returns_ticket_to_its_assignee() -> None:
    waiting = replace(BASE, state=TicketState.WAITING_ON_USER, assignee="slack:U1")
    assert next_state(waiting, "user_message") is TicketState.CLAIMED
    assert next_state(replace(waiting, assignee=None), "user_message") is TicketState.OPEN


def test_money_topics_start_high() -> None:
    assert starting_priority("unauthorized-transaction") is Priority.URGENT
    assert starting_priority("scam-report") is Priority.HIGH
    assert starting_priority("account-frozen") is Priority.HIGH
    assert starting_priority("gas-fees") is Priority.NORMAL
    assert starting_priority(None) is Priority.NORMAL
