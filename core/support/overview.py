"""The queue at a glance, for the Slack App Home tab: what ``/tickets`` shows
(the most urgent active tickets, one line each) plus the counts by state and by
priority and how many are breaching their first-response SLA. Staff only."""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import t
from core.identity.policy import Actor, Permission
from core.models import Ticket
from core.support.digest import ACTIVE
from core.support.queue import PAGE, TicketQueue
from core.support.relay import fmt_time
from core.support.tickets import sla_due

__all__ = ["Overview", "QueueOverview"]


@dataclass(frozen=True, slots=True)
class Overview:
    by_state: dict[str, int]
    by_priority: dict[str, int]
    breaching: int  # unanswered, due within half an hour or already late
    breached: int  # of those, already late
    top: tuple[tuple[Ticket, str], ...]  # the most urgent active tickets and their queue lines


class QueueOverview:
    def __init__(self, queue: TicketQueue) -> None:
        self.queue = queue

    async def overview(self, actor: Actor, lang: str) -> Overview:
        """Raises NotAllowed for anyone the staff policy does not call staff."""
        q = self.queue
        q.policy.require(actor, Permission.STAFF)
        now = q.clock()
        async with q.store.transaction() as tx:
            by_state = await tx.count_by_state(ACTIVE)
            by_priority = await tx.count_by_priority(ACTIVE)
            unanswered = await tx.list_tickets(list(ACTIVE), unanswered=True)
            top = await tx.list_tickets(list(ACTIVE), limit=PAGE)
            names = {tk.user.key: (u.display_name if (u := await tx.get_user(tk.user.key)) else "") or tk.user.user_id
                     for tk in top}
        marks = [q._sla(tk, now)[0] for tk in unanswered]
        lines = []
        for tk in top:
            _, sla_key = q._sla(tk, now)
            sla = t(sla_key, lang, at=fmt_time(sla_due(tk, q.targets)))
            lines.append((tk, t("queue.line", lang, ticket_id=tk.id, priority=tk.priority.value, state=tk.state.value,
                                user=" ".join(str(names[tk.user.key]).split())[:40], platform=tk.user.platform,
                                topic=tk.category or "-", sla=sla, assignee=tk.assignee or t("desk.unassigned", lang))))
        return Overview(by_state, by_priority, sum(m in ("breaching", "breached") for m in marks),
                        sum(m == "breached" for m in marks), tuple(lines))
