"""Blocking abusive users.

A blocked user opens no tickets and gets one notice; after it the bot stays silent
for them (:class:`core.conversation.gatekeeper.Gatekeeper`). Their messages still
pass the shield: a recovery phrase from a blocked user is deleted all the same.

Who may do what (decided by :class:`core.identity.policy.StaffPolicy`):

- block: staff (``/ticket N block [reason]``, ``/block <user> [reason]``, the console's
  ``/desk block``), and moderators, who hold the escalate permission: they already
  keep the groups clean, and a block is what they would otherwise do by hand;
- unblock: staff only, so a moderator's block stands until staff have looked at it;
- list the blocks (who, why, by whom): whoever may block.

A block holds for the account and the accounts confirmed as the same person
(:meth:`core.storage.base.SqlTx.confirmed_user_keys`), never for an unconfirmed link,
which anyone could claim. It lives in the store, so every process honours it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import InvalidInput
from core.i18n import t
from core.identity.policy import Actor, NotAllowed, Permission, StaffPolicy
from core.models import Ticket, TicketEvent, TicketState, UserRef
from core.shield.gate import TextSource, guard
from core.storage import SqlTx, Store
from core.support.desk import TicketDesk
from core.support.outbox import Effects
from core.support.relay import fmt_time, send_to_user

if TYPE_CHECKING:
    from core.support.staff import StaffActions, _Call

__all__ = ["Blocking", "apply_block", "apply_unblock", "staff_block", "staff_unblock"]

_REASON_CHARS = 300


async def apply_block(tx: SqlTx, desk: TicketDesk, effects: Effects, user_key: str, reason: str, by: str,
                      now: float, ticket: Ticket | None) -> bool:
    """Block ``user_key`` (False: already blocked). Their open ticket closes; the desk
    says who blocked and why; with a ticket to reach them by, the user's one notice goes now."""
    active = ticket if ticket is not None and ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED) \
        else await tx.active_ticket_for([user_key])
    reach = ticket or active
    if not await tx.block_user(user_key, reason=reason, by=by, now=now, ticket_id=reach.id if reach else None,
                               noticed=reach is not None):
        return False
    line = t("abuse.desk_blocked", "en", user=user_key, staff=by, reason=reason or "-")
    if reach is not None:
        lang = reach.lang
        send_to_user(effects, reach, t("abuse.blocked_notice", lang))
        await tx.add_event(TicketEvent(reach.id, "block", by, reason or None, now, internal=True))
        desk.post(effects, reach.id, "system", line)
    else:
        effects.send(desk.chat, line)
    if active is not None:
        await desk.transition(tx, active, "close", by, "blocked", now, effects)
    if reach is not None:
        await desk.refresh(tx, effects, await tx.get_ticket(reach.id) or reach)
    return True


async def apply_unblock(tx: SqlTx, desk: TicketDesk, effects: Effects, user_key: str, by: str,
                        ticket: Ticket | None) -> bool:
    block = await tx.unblock_user(user_key)
    if block is None:
        return False
    line = t("abuse.desk_unblocked", "en", user=user_key, staff=by)
    if ticket is not None:
        desk.post(effects, ticket.id, "system", line)
        await desk.refresh(tx, effects, ticket)
    else:
        effects.send(desk.chat, line)
    return True


def _reason(text: str) -> str:
    return " ".join(guard(text, TextSource.STAFF_TEXT).text.split())[:_REASON_CHARS]


async def staff_block(actions: "StaffActions", c: "_Call") -> Ticket:
    """``/ticket N block [reason]``: block the ticket's user (the reason already passed the shield)."""
    done = await apply_block(c.tx, actions.desk, c.effects, c.ticket.user.key, " ".join(c.text.split())[:_REASON_CHARS],
                             c.staff, c.now, c.ticket)
    if not done:
        raise InvalidInput("already blocked", key="abuse.already_blocked", user=c.ticket.user.key)
    return await c.tx.get_ticket(c.ticket.id) or c.ticket


async def staff_unblock(actions: "StaffActions", c: "_Call") -> Ticket:
    if not await apply_unblock(c.tx, actions.desk, c.effects, c.ticket.user.key, c.staff, c.ticket):
        raise InvalidInput("not blocked", key="abuse.not_blocked", user=c.ticket.user.key)
    return c.ticket


class Blocking:
    """Blocks by user (``/block <user>`` on Slack, ``/desk block`` on the console)."""

    def __init__(self, store: Store, desk: TicketDesk, policy: StaffPolicy, clock: Callable[[], float],
                 wake: Callable[[], None]) -> None:
        self.store = store
        self.desk = desk
        self.policy = policy
        self.clock = clock
        self.wake = wake

    def _may_block(self, actor: Actor) -> None:
        """Staff and moderators (the escalate permission); the refusal names blocking."""
        if not self.policy.allows(actor, Permission.ESCALATE):
            raise NotAllowed(f"{actor.key} may not block users", key="abuse.not_moderator")

    async def _target(self, tx: SqlTx, who: str) -> str:
        """``telegram:123`` (a known account) or a display name only one account has."""
        who = who.strip().lstrip("@")
        if ":" in who:
            try:
                key = UserRef.parse(who).key
            except ValueError:
                key = ""
            if key and await tx.get_user(key) is not None:
                return key
        found = await tx.find_users_by_name(who) if who else []
        if len(found) == 1:
            return found[0].user_key
        raise InvalidInput(f"no single user {who[:40]!r}", key="abuse.no_user" if not found else "abuse.many_users",
                           user=who[:40], count=len(found))

    async def block(self, actor: Actor, who: str, reason: str, *, event_key: str) -> str:
        """Block the user ``who`` names; the line to show the actor (in English: callers translate
        with :meth:`answer`). Raises NotAllowed / InvalidInput."""
        self._may_block(actor)
        clean = _reason(reason)
        now = self.clock()
        effects = Effects(f"block:{event_key}")
        async with self.store.transaction() as tx:
            key = await self._target(tx, guard(who, TextSource.STAFF_TEXT).text)
            if not await tx.claim_event(f"block:{event_key}", now):
                return key
            keys = await tx.confirmed_user_keys(key)
            if await tx.block_of(keys) is not None:
                raise InvalidInput("already blocked", key="abuse.already_blocked", user=key)
            await apply_block(tx, self.desk, effects, key, clean, actor.key, now, None)
            await effects.flush(tx, now)
        self.wake()
        return key

    async def unblock(self, actor: Actor, who: str, *, event_key: str) -> str:
        self.policy.require(actor, Permission.STAFF)
        now = self.clock()
        effects = Effects(f"unblock:{event_key}")
        async with self.store.transaction() as tx:
            key = await self._target(tx, guard(who, TextSource.STAFF_TEXT).text)
            if not await tx.claim_event(f"unblock:{event_key}", now):
                return key
            if not await apply_unblock(tx, self.desk, effects, key, actor.key, None):
                raise InvalidInput("not blocked", key="abuse.not_blocked", user=key)
            await effects.flush(tx, now)
        self.wake()
        return key

    async def listing(self, actor: Actor, lang: str) -> str:
        """Who is blocked, why, by whom and since when (moderators see why)."""
        self._may_block(actor)
        async with self.store.transaction() as tx:
            blocks = await tx.blocks()
        if not blocks:
            return t("abuse.none_blocked", lang)
        lines = [t("abuse.list_header", lang, count=len(blocks))]
        lines += [t("abuse.list_line", lang, user=b.user_key, reason=b.reason or "-", staff=b.blocked_by,
                    at=fmt_time(b.blocked_at)) for b in blocks]
        return "\n".join(lines)
