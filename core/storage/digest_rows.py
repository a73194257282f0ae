"""Queries of the staff channel's daily digest: the backlog by priority, the
ticket waiting longest for staff, the SLA breaches of a time window. A mixin of
:class:`core.storage.base.SqlTx` (which provides ``_c``); each is one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from core.models import Ticket

if TYPE_CHECKING:
    from core.storage.base import Connection

__all__ = ["DigestRows"]


class DigestRows:
    __slots__ = ()
    _c: "Connection"

    async def count_by_priority(self, states: Sequence[str]) -> dict[str, int]:
        """How many tickets in ``states`` there are, per priority."""
        marks = ", ".join("?" for _ in states)
        rows = await self._c.fetchall(
            f"SELECT priority, COUNT(*) AS n FROM tickets WHERE state IN ({marks}) GROUP BY priority", tuple(states))
        return {str(r["priority"]): int(r["n"]) for r in rows}

    async def count_by_state(self, states: Sequence[str]) -> dict[str, int]:
        """How many tickets in ``states`` there are, per state."""
        marks = ", ".join("?" for _ in states)
        rows = await self._c.fetchall(
            f"SELECT state, COUNT(*) AS n FROM tickets WHERE state IN ({marks}) GROUP BY state", tuple(states))
        return {str(r["state"]): int(r["n"]) for r in rows}

    async def oldest_in(self, states: Sequence[str]) -> Ticket | None:
        """The ticket in ``states`` opened first."""
        from core.storage.base import row_to_ticket  # base imports this module

        marks = ", ".join("?" for _ in states)
        row = await self._c.fetchone(
            f"SELECT * FROM tickets WHERE state IN ({marks}) ORDER BY created_at, id LIMIT 1", tuple(states))
        return row_to_ticket(row) if row else None

    async def sla_breaches_between(self, since: float, until: float, targets: Mapping[str, float]) -> dict[str, int]:
        """Tickets whose first response fell due in ``(since, until]`` (``created_at`` plus the
        priority's target, the queue's SLA) with no staff reply by then, per priority."""
        terms, args = [], []
        for priority, target in targets.items():
            terms.append("(priority = ? AND created_at > ? AND created_at <= ?"
                         " AND (first_response_at IS NULL OR first_response_at > created_at + ?))")
            args += [priority, since - target, until - target, target]
        if not terms:
            return {}
        rows = await self._c.fetchall(
            f"SELECT priority, COUNT(*) AS n FROM tickets WHERE created_at > ? AND ({' OR '.join(terms)})"
            " GROUP BY priority", (since - max(targets.values()), *args))
        return {str(r["priority"]): int(r["n"]) for r in rows}
