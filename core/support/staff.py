"""Staff actions on a ticket, as a table: who may do each, from which ticket
states, what it does, and what the user is told.

Internal notes have no path to the user: ``note`` only writes the desk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.chain import ChainLookup, Lookup
from core.config import Settings
from core.errors import CodeRateLimited, DeliveryError, InvalidInput, NotFound
from core.i18n import CATALOG, t
from core.identity.codes import CodeSender, Identity
from core.identity.policy import Actor, Permission, StaffPolicy
from core.models import Conversation, ConversationState, Priority, Ticket, TicketEvent, TicketState
from core.ops.metrics import Metrics
from core.shield.gate import TextSource, guard
from core.storage import SqlTx, Store
from core.support.abuse import staff_block, staff_unblock
from core.support.chain_desk import last_field, look_up_for_ticket, record_lookup
from core.support.desk import TicketDesk
from core.support.outbox import Effects
from core.support.parking import staff_snooze, staff_wait
from core.support.relay import dm_chat, send_to_user
from core.support.snippets import fill, load_snippet
from core.support.tickets import ACTIONS, next_state

__all__ = ["CANNED", "STAFF_ACTIONS", "StaffActionSpec", "StaffActions"]

_LOGGER = logging.getLogger(__name__)

# the built-in canned replies (i18n canned.<name>), seeded as snippets by migration 6
CANNED = tuple(sorted(key.removeprefix("canned.") for key in CATALOG if key.startswith("canned.")))


@dataclass(slots=True)
class _Call:
    """One staff action in progress, inside its transaction."""

    tx: SqlTx
    ticket: Ticket
    staff: str
    text: str
    priority: str | None
    to: str | None
    source_ref: str | None
    now: float
    effects: Effects
    code_to_send: tuple[str, float] | None = None
    fetched: object = None  # what the action's prefetch brought, before the transaction
    staff_name: str = ""  # the staff member's name as their platform shows it (through the shield)


Effect = Callable[["StaffActions", _Call], Awaitable[Ticket]]
# network work an action needs, done before its transaction opens: (actions, ticket id, text) -> result
Prefetch = Callable[["StaffActions", int, str], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class StaffActionSpec:
    """``transition``: the ticket state machine's action, which fixes the states
    the action may start from; ``notice``: the i18n key of what the user is told."""

    name: str
    permission: Permission
    transition: str
    effect: Effect
    notice: str | None = None
    prefetch: Prefetch | None = None
    tx_hash_text: bool = False  # the text names a transaction hash: the shield reads a 64-hex in it as one
    allowed_states: frozenset[TicketState] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_states", ACTIONS[self.transition][0])


async def _claim(actions: "StaffActions", c: _Call) -> Ticket:
    return await actions.desk.transition(c.tx, c.ticket, "claim", c.staff, None, c.now, c.effects, assignee=c.staff)


async def _transfer(actions: "StaffActions", c: _Call) -> Ticket:
    target = guard(c.to or "", TextSource.STAFF_TEXT).text
    if not target:
        raise InvalidInput("transfer needs a staff member to transfer to", key="staff.transfer_needs_name")
    return await actions.desk.transition(c.tx, c.ticket, "transfer", c.staff, target, c.now, c.effects,
                                         assignee=target)


async def _reply(actions: "StaffActions", c: _Call) -> Ticket:
    return await actions._send_reply(c, c.text, show_on_desk=c.source_ref is None)


async def _snippet(actions: "StaffActions", c: _Call) -> Ticket:
    """A snippet by name, in the ticket's language, its placeholders filled (``canned`` is an alias)."""
    found = await load_snippet(c.tx, c.text)
    user = (found_user.display_name if (found_user := await c.tx.get_user(c.ticket.user.key)) else "")
    agent = (c.staff_name or (row.display_name if (row := await c.tx.get_user(c.staff)) else "")
             or t("snippet.agent_default", c.ticket.lang))
    body = fill(found.body(c.ticket.lang), user=" ".join(str(user).split())[:80], ticket_id=c.ticket.id,
                agent=" ".join(str(agent).split())[:80])
    return await actions._send_reply(c, guard(body, TextSource.STAFF_TEXT).text, show_on_desk=True)


_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


async def _tag(actions: "StaffActions", c: _Call) -> Ticket:
    """``add <tag>`` or ``remove <tag>``: tags show on the desk and are counted in the report."""
    verb, _, tag = c.text.strip().lower().partition(" ")
    tag = tag.strip().lstrip("#")
    if verb not in ("add", "remove") or not _TAG_RE.match(tag):
        raise InvalidInput("use: tag add|remove <tag>", key="tag.usage")
    if verb == "add":
        changed = await c.tx.add_tag(c.ticket.id, tag, c.staff, c.now)
    elif not await c.tx.remove_tag(c.ticket.id, tag):
        raise InvalidInput(f"ticket #{c.ticket.id} has no tag {tag!r}", key="tag.not_there", ticket_id=c.ticket.id,
                           tag=tag)
    else:
        changed = True
    if not changed:
        return c.ticket
    await c.tx.add_event(TicketEvent(c.ticket.id, "tag", c.staff, f"{verb} {tag}", c.now, True))
    await actions.desk.refresh(c.tx, c.effects, c.ticket)
    actions.desk.post(c.effects, c.ticket.id, "system",
                      t("desk.tag_added" if verb == "add" else "desk.tag_removed", "en", staff=c.staff, tag=tag))
    return c.ticket


async def _note(actions: "StaffActions", c: _Call) -> Ticket:
    if not c.text:
        raise InvalidInput("empty note", key="staff.empty_note")
    ticket = await actions.desk.transition(c.tx, c.ticket, "note", c.staff, c.text, c.now, c.effects, internal=True)
    if c.source_ref is None:  # typed elsewhere (a slash command): shown in the thread
        actions.desk.post(c.effects, ticket.id, "note", f"📝 {c.staff}: {c.text}")
    return ticket


async def _set_priority(actions: "StaffActions", c: _Call) -> Ticket:
    wanted = c.priority or c.text
    try:
        level = Priority(wanted)
    except ValueError:
        raise InvalidInput(f"unknown priority {wanted!r}; use low, normal, high or urgent",
                           key="staff.bad_priority") from None
    return await actions.desk.transition(c.tx, c.ticket, "set_priority", c.staff, level.value, c.now, c.effects,
                                         priority=level.value)


async def _request_verification(actions: "StaffActions", c: _Call) -> Ticket:
    next_state(c.ticket, "request_verification")
    try:
        c.code_to_send = await actions.identity.issue_code(c.tx, c.ticket.user.key, c.ticket.id)
    except CodeRateLimited:
        raise InvalidInput("the user already had the most codes allowed in the last hour",
                           key="verify.rate_limited") from None
    await c.tx.add_event(TicketEvent(c.ticket.id, "request_verification", c.staff, None, c.now))
    await c.tx.set_conversation(c.ticket.user.key, dm_chat(c.ticket.user).key,
                                Conversation(ConversationState.AWAITING_CODE, ticket_id=c.ticket.id), c.now)
    # "code sent" is queued only once the code sender has taken the code (StaffActions._send_code)
    await actions.desk.refresh(c.tx, c.effects, c.ticket)
    return c.ticket


async def _request_wallet(actions: "StaffActions", c: _Call) -> Ticket:
    """Staff ask for a wallet signature: only now does ``/wallet`` answer this user."""
    next_state(c.ticket, "request_verification")
    await c.tx.add_event(TicketEvent(c.ticket.id, "request_wallet", c.staff, None, c.now))
    send_to_user(c.effects, c.ticket, t("wallet.requested", c.ticket.lang))
    actions.desk.post(c.effects, c.ticket.id, "system", t("desk.wallet_requested", "en", staff=c.staff))
    return c.ticket


async def _resolve(actions: "StaffActions", c: _Call) -> Ticket:
    ticket = await actions.desk.transition(c.tx, c.ticket, "resolve", c.staff, c.text or None, c.now, c.effects)
    send_to_user(c.effects, ticket, t("ticket.resolved", ticket.lang, ticket_id=ticket.id))
    await c.tx.set_conversation(ticket.user.key, dm_chat(ticket.user).key,
                                Conversation(ConversationState.AWAITING_CSAT, ticket_id=ticket.id), c.now)
    return ticket


async def _close(actions: "StaffActions", c: _Call) -> Ticket:
    ticket = await actions.desk.transition(c.tx, c.ticket, "close", c.staff, c.text or None, c.now, c.effects)
    send_to_user(c.effects, ticket, t("ticket.closed", ticket.lang, ticket_id=ticket.id))
    return ticket


async def _reopen(actions: "StaffActions", c: _Call) -> Ticket:
    return await actions.desk.transition(c.tx, c.ticket, "reopen", c.staff, c.text or None, c.now, c.effects)


async def _fetch_lookup(actions: "StaffActions", ticket_id: int, text: str) -> Lookup:
    async with actions.store.transaction() as tx:
        known = await last_field(tx, ticket_id)
    return await look_up_for_ticket(actions.chain, text, known)


async def _lookup(actions: "StaffActions", c: _Call) -> Ticket:
    assert isinstance(c.fetched, Lookup)  # _fetch_lookup ran
    await record_lookup(c.tx, actions.desk, c.ticket, c.fetched, c.staff, c.now, c.effects)
    return c.ticket


def _specs(*specs: StaffActionSpec) -> Mapping[str, StaffActionSpec]:
    return {spec.name: spec for spec in specs}


STAFF = Permission.STAFF
STAFF_ACTIONS: Mapping[str, StaffActionSpec] = _specs(
    StaffActionSpec("claim", STAFF, "claim", _claim),
    StaffActionSpec("transfer", STAFF, "transfer", _transfer),
    StaffActionSpec("reply", STAFF, "staff_reply", _reply, notice="ticket.staff_reply"),
    StaffActionSpec("canned", STAFF, "staff_reply", _snippet, notice="ticket.staff_reply"),  # the old name
    StaffActionSpec("snippet", STAFF, "staff_reply", _snippet, notice="ticket.staff_reply"),
    StaffActionSpec("tag", STAFF, "note", _tag),
    StaffActionSpec("note", STAFF, "note", _note),
    StaffActionSpec("set_priority", STAFF, "set_priority", _set_priority),
    StaffActionSpec("request_verification", STAFF, "request_verification", _request_verification,
                    notice="verify.code_sent"),
    StaffActionSpec("request_wallet", STAFF, "request_verification", _request_wallet, notice="wallet.requested"),
    StaffActionSpec("resolve", STAFF, "resolve", _resolve, notice="ticket.resolved"),
    StaffActionSpec("close", STAFF, "close", _close, notice="ticket.closed"),
    StaffActionSpec("reopen", STAFF, "reopen", _reopen),
    StaffActionSpec("lookup", STAFF, "note", _lookup, prefetch=_fetch_lookup, tx_hash_text=True),
    # parking and abuse (core/support/parking.py, core/support/abuse.py)
    StaffActionSpec("wait", STAFF, "wait", staff_wait, notice="ticket.staff_reply"),
    StaffActionSpec("snooze", STAFF, "snooze", staff_snooze),
    StaffActionSpec("block", STAFF, "note", staff_block, notice="abuse.blocked_notice"),
    StaffActionSpec("unblock", STAFF, "note", staff_unblock),
)


class StaffActions:
    """Runs one staff action: policy first, then the shield on the staff's text,
    then the table's effect, all in one transaction."""

    def __init__(self, settings: Settings, store: Store, desk: TicketDesk, identity: Identity, policy: StaffPolicy,
                 code_sender: CodeSender, metrics: Metrics, clock: Callable[[], float],
                 wake: Callable[[], None], chain: ChainLookup | None = None) -> None:
        self.settings = settings
        self.chain = chain if chain is not None else ChainLookup.from_settings(settings)
        self.store = store
        self.desk = desk
        self.identity = identity
        self.policy = policy
        self.code_sender = code_sender
        self.metrics = metrics
        self.clock = clock
        self.wake = wake

    async def act(self, actor: Actor, ticket_id: int, action: str, *, event_key: str, text: str = "",
                  priority: str | None = None, to: str | None = None, source_ref: str | None = None) -> Ticket:
        """Raises NotAllowed / InvalidInput / IllegalTransition / NotFound with a
        one-line reason and changes nothing."""
        spec = STAFF_ACTIONS.get(action)
        if spec is None:
            raise InvalidInput(f"unknown action {action!r}; use one of {', '.join(sorted(STAFF_ACTIONS))}",
                               key="staff.unknown_action")
        self.policy.require(actor, spec.permission)
        if len(text) > self.settings.max_message_chars:
            raise InvalidInput(f"text too long ({len(text)} > {self.settings.max_message_chars})",
                               key="staff.too_long")
        clean = guard(text, TextSource.STAFF_TEXT, expect_tx_hash=spec.tx_hash_text).text
        fetched = await spec.prefetch(self, ticket_id, clean) if spec.prefetch is not None else None
        now = self.clock()
        effects = Effects(f"staff:{event_key}")
        async with self.store.transaction() as tx:
            ticket = await tx.get_ticket(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket #{ticket_id}", key="staff.no_ticket")
            if not await tx.claim_event(f"staff:{event_key}", now):
                return ticket
            call = _Call(tx, ticket, actor.key, clean, priority, to, source_ref, now, effects, fetched=fetched,
                         staff_name=guard(actor.display_name, TextSource.DISPLAY_NAME).text)
            ticket = await spec.effect(self, call)
            await effects.flush(tx, now)
        if call.code_to_send is not None:
            await self._send_code(ticket, event_key, *call.code_to_send)
        self.wake()
        return ticket

    async def _send_reply(self, c: _Call, body: str, *, show_on_desk: bool) -> Ticket:
        if not body:
            raise InvalidInput("empty reply", key="staff.empty_reply")
        fields: dict[str, Any] = {}
        if c.ticket.first_response_at is None:
            fields["first_response_at"] = c.now
        if c.ticket.assignee is None:
            fields["assignee"] = c.staff
        ticket = await self.desk.transition(c.tx, c.ticket, "staff_reply", c.staff, body, c.now, c.effects, **fields)
        send_to_user(c.effects, ticket, t("ticket.staff_reply", ticket.lang, text=body), ack_ref=c.source_ref)
        if show_on_desk:  # not typed in the desk thread: show it there
            self.desk.post(c.effects, ticket.id, "staff", f"{c.staff}: {body}")
        return ticket

    async def _send_code(self, ticket: Ticket, event_key: str, code: str, expires: float) -> None:
        """Hand the code to the sender after the commit (never hold a transaction over
        an HTTP call). Only then is the user told "code sent"; when the sender fails,
        the code is withdrawn (it costs the user none of their codes for the hour),
        the conversation stops waiting for it and the user is told it did not go out."""
        effects = Effects(f"staff:{event_key}:code")
        try:
            await self.code_sender.send_code(user_key=ticket.user.key, ticket_id=ticket.id, code=code,
                                             expires_at=expires, purpose="verify")
        except DeliveryError as exc:
            self.metrics.otp.labels("send_failed").inc()
            _LOGGER.error("ticket #%d: could not send the one-time code: %s", ticket.id, exc)
            async with self.store.transaction() as tx:
                await self.identity.withdraw_code(tx, ticket.user.key, code)
                chat_key = dm_chat(ticket.user).key
                conversation = await tx.get_conversation(ticket.user.key, chat_key)
                if conversation.state is ConversationState.AWAITING_CODE and conversation.ticket_id == ticket.id:
                    await tx.set_conversation(ticket.user.key, chat_key, Conversation(memo=conversation.memo),
                                              self.clock())
                send_to_user(effects, ticket, t("verify.code_not_sent", ticket.lang))
                await self.desk.refresh(tx, effects, ticket)
                await effects.flush(tx, self.clock())
            self.wake()
            raise InvalidInput(f"could not send the code: {exc}", key="staff.code_not_sent") from None
        self.metrics.otp.labels("sent").inc()
        send_to_user(effects, ticket, t("verify.code_sent", ticket.lang))
        async with self.store.transaction() as tx:
            await effects.flush(tx, self.clock())
