"""The desk summary's lines about parking and blocks: whether the ticket waits on
the user (and when the nudge is due), is snoozed, or its user is blocked (by whom,
why). Fields of their own in the summary, so the desk adapters show each as a line."""

from __future__ import annotations

from core.config import Settings
from core.i18n import t
from core.models import Ticket, TicketState
from core.storage import SqlTx
from core.support.relay import fmt_time

__all__ = ["parked_fields"]


async def parked_fields(tx: SqlTx, ticket: Ticket, settings: Settings, now: float,
                        lang: str = "en") -> dict[str, object]:
    """``parked`` and ``blocked``: a line each, or None."""
    parked: list[str] = []
    parking = await tx.parking(ticket.id)
    live = ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED)
    if parking is not None and live and parking.waiting_since is not None:
        if parking.nudged_at is None:
            parked.append(t("parking.field_waiting", lang, since=fmt_time(parking.waiting_since),
                            nudge=fmt_time(parking.waiting_since + settings.nudge_after_hours * 3600)))
        else:
            parked.append(t("parking.field_nudged", lang, resolve=fmt_time(
                parking.nudged_at + settings.waiting_resolve_after_hours * 3600)))
    if parking is not None and live and (parking.snoozed_until or 0) > now:
        parked.append(t("parking.field_snoozed", lang, until=fmt_time(parking.snoozed_until or 0),
                        staff=parking.snoozed_by or "-"))
    block = await tx.block_of([ticket.user.key])
    blocked = t("abuse.field_blocked", lang, staff=block.blocked_by, reason=block.reason or "-",
                at=fmt_time(block.blocked_at)) if block is not None else None
    return {"parked": " · ".join(parked) or None, "blocked": blocked}
