"""A moderator passes a user's message to staff: a ticket with that message, a
short public notice, and a private link for the user to continue."""

from __future__ import annotations

from collections.abc import Callable

from core.errors import InvalidInput
from core.i18n import t
from core.identity.policy import Actor, Permission, StaffPolicy
from core.lang import detect_lang
from core.models import InboundMessage, TicketEvent
from core.shield.gate import TextSource, guard, guard_sender
from core.storage import Store
from core.support.desk import TicketDesk
from core.ops.metrics import Metrics
from core.support.outbox import Effects
from core.support.outcome import Outcome, observe
from core.support.users import remember_user

__all__ = ["Escalation"]


class Escalation:
    def __init__(self, store: Store, desk: TicketDesk, policy: StaffPolicy, clock: Callable[[], float],
                 wake: Callable[[], None], link_templates: dict[str, str], metrics: Metrics) -> None:
        self.store = store
        self.desk = desk
        self.policy = policy
        self.clock = clock
        self.wake = wake
        self.link_templates = link_templates
        self.metrics = metrics

    def private_link(self, platform: str, ticket_id: int) -> str:
        template = self.link_templates.get(platform)
        return template.format(ticket_id=ticket_id) if template else ""

    async def escalate(self, *, moderator: Actor, target: InboundMessage, note: str = "", event_key: str) -> Outcome:
        """Raises NotAllowed when ``moderator`` may not escalate, InvalidInput when the
        message's author is blocked (core/support/abuse.py: a blocked user opens no ticket)."""
        self.policy.require(moderator, Permission.ESCALATE)
        now = self.clock()
        target = guard_sender(target)
        question = guard(target.text, TextSource.MESSAGE)
        clean_note = guard(note, TextSource.MODERATOR_NOTE).text[:2000]
        effects = Effects(f"esc:{event_key}")
        # no leak_kinds: the message was scanned and counted when it first came in
        outcome = Outcome("handled", leak=question.leak)
        async with self.store.transaction() as tx:
            if not await tx.claim_event(f"esc:{event_key}", now):
                return Outcome("duplicate")
            lang = await remember_user(tx, target, detect_lang(question.text) if question.text else None, now)
            if await tx.block_of(await tx.confirmed_user_keys(target.user.key)) is not None:
                raise InvalidInput(f"{target.user.key} is blocked", key="abuse.escalate_blocked")  # no new tickets
            ticket, outcome.opened = await self.desk.open(tx, target, question.text[:4000] or "(no text)", None,
                                                          lang, effects, now)
            outcome.ticket_id = ticket.id
            if clean_note:
                await tx.add_event(TicketEvent(ticket.id, "note", moderator.key, clean_note, now, internal=True))
                self.desk.post(effects, ticket.id, "note", f"{moderator.key}: {clean_note}")
            if not target.chat.is_private:
                effects.send(
                    target.chat,
                    t("escalate.public_notice", lang, ticket_id=ticket.id, name=target.display_name or "",
                      link=self.private_link(target.chat.platform, ticket.id)),
                    reply_to=target.message_id,
                )
            await effects.flush(tx, now)
        self.wake()
        observe(self.metrics, target.chat.platform, outcome)
        return outcome
