"""The staff queue: tickets listed and filtered the way staff ask for them
(``open``, ``waiting``, ``unassigned``, ``mine``, a priority, ``breaching``,
``breached``, ``@name``, ``snoozed``, ``#tag``), most urgent first, one line each,
in the staff member's language. Snoozed tickets (core/support/parking.py) are hidden
from every listing but ``snoozed`` until their snooze ends. Only staff may list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.config import Settings
from core.errors import InvalidInput
from core.i18n import t
from core.identity.policy import Actor, Permission, StaffPolicy
from core.models import Priority, Ticket, TicketState
from core.storage import Store
from core.support.relay import fmt_time
from core.support.tickets import sla_due

__all__ = ["BREACHING_SECONDS", "FILTER_WORDS", "PAGE", "QueueFilter", "TicketQueue", "parse_filter"]

PAGE = 20
BREACHING_SECONDS = 1800.0  # "breaching": unanswered and due within half an hour
_ACTIVE = (TicketState.OPEN, TicketState.CLAIMED, TicketState.WAITING_ON_USER)
_STATE_WORDS = {"open": _ACTIVE, "new": (TicketState.OPEN,), "claimed": (TicketState.CLAIMED,),
                "waiting": (TicketState.WAITING_ON_USER,), "resolved": (TicketState.RESOLVED,)}
FILTER_WORDS = (*_STATE_WORDS, "unassigned", "mine", *(p.value for p in Priority), "breaching", "breached", "@name",
                "snoozed", "#tag")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    states: tuple[TicketState, ...] = _ACTIVE
    priority: str | None = None
    assignee: str | None = None  # a staff key (slack:U…) or a name staff transferred to
    unassigned: bool = False
    sla: str | None = None  # breaching | breached
    words: tuple[str, ...] = field(default=("open",))
    snoozed: bool = False  # only the snoozed tickets (hidden from every other listing until the snooze ends)
    tag: str | None = None  # only tickets staff tagged so (``#refund``)


def parse_filter(text: str, actor: Actor) -> QueueFilter:
    """Words in any order; an unknown one is refused (InvalidInput) and lists the known ones."""
    states: tuple[TicketState, ...] = _ACTIVE
    priority = assignee = sla = None
    unassigned = snoozed = False
    tag = None
    words = tuple(text.lower().split()) or ("open",)
    for word in words:
        if word in _STATE_WORDS:
            states = _STATE_WORDS[word]
        elif word in {p.value for p in Priority}:
            priority = word
        elif word == "unassigned":
            unassigned = True
        elif word == "mine":
            assignee = actor.key
        elif word in ("breaching", "breached"):
            sla = word
        elif word == "snoozed":
            snoozed = True
        elif word.startswith("@") and len(word) > 1:
            assignee = word[1:]
        elif word.startswith("#") and len(word) > 1:
            tag = word[1:]
        else:
            raise InvalidInput(f"unknown queue filter {word!r}", key="queue.bad_filter", word=word[:40],
                               words=", ".join(FILTER_WORDS))
    return QueueFilter(states, priority, assignee, unassigned, sla, words, snoozed, tag)


def _assigned_to(ticket: Ticket, who: str) -> bool:
    """``who``: a staff key or the part after its platform (Slack ids are shown upper case, typed any case)."""
    theirs, who = (ticket.assignee or "").lower(), who.lower()
    return theirs == who or theirs.endswith(":" + who)


class TicketQueue:
    def __init__(self, settings: Settings, store: Store, policy: StaffPolicy, clock: Callable[[], float]) -> None:
        self.targets = settings.sla_first_response
        self.store = store
        self.policy = policy
        self.clock = clock

    def _sla(self, ticket: Ticket, now: float) -> tuple[str | None, str]:
        """(breaching | breached | None, the SLA words for the line)."""
        due = sla_due(ticket, self.targets)
        if ticket.first_response_at is not None:
            return None, "desk.sla_met"
        if now > due:
            return "breached", "desk.sla_breached"
        return ("breaching" if due - now <= BREACHING_SECONDS else None), "desk.sla_due"

    async def listing(self, actor: Actor, text: str, lang: str) -> str:
        """The queue as staff asked for it: a header, up to PAGE lines, and how many more."""
        self.policy.require(actor, Permission.STAFF)
        wanted = parse_filter(text, actor)
        now = self.clock()
        async with self.store.transaction() as tx:
            found = await tx.list_tickets([s.value for s in wanted.states], priority=wanted.priority,
                                          unassigned=wanted.unassigned, unanswered=wanted.sla is not None)
            hidden = await tx.snoozed_ticket_ids(now)
            found = [tk for tk in found if (tk.id in hidden) == wanted.snoozed]
            if wanted.assignee is not None:
                found = [tk for tk in found if _assigned_to(tk, wanted.assignee)]
            if wanted.tag is not None:
                tagged = await tx.tickets_tagged(wanted.tag)
                found = [tk for tk in found if tk.id in tagged]
            if wanted.sla is not None:
                accepted = {"breached"} if wanted.sla == "breached" else {"breaching", "breached"}  # late is breaching too
                found = [tk for tk in found if self._sla(tk, now)[0] in accepted]
            page = found[:PAGE]
            names = {tk.user.key: (u.display_name if (u := await tx.get_user(tk.user.key)) else "") or tk.user.user_id
                     for tk in page}
        header = t("queue.header", lang, count=len(found), filter=" ".join(wanted.words))
        if not found:
            return header + "\n" + t("queue.empty", lang)
        lines = [header]
        for tk in page:
            _, sla_key = self._sla(tk, now)
            sla = t(sla_key, lang, at=fmt_time(sla_due(tk, self.targets)))
            lines.append(t("queue.line", lang, ticket_id=tk.id, priority=tk.priority.value, state=tk.state.value,
                           user=" ".join(str(names[tk.user.key]).split())[:40], platform=tk.user.platform,
                           topic=tk.category or "-", sla=sla, assignee=tk.assignee or t("desk.unassigned", lang)))
        if len(found) > PAGE:
            lines.append(t("queue.more", lang, more=len(found) - PAGE, words=", ".join(FILTER_WORDS)))
        return "\n".join(lines)
