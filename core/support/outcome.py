"""What happened to one inbound event, for adapters' logs, metrics and tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.faq.models import FaqMatch
from core.ops.metrics import Metrics

__all__ = ["Outcome", "observe"]


@dataclass(slots=True)
class Outcome:
    status: str  # handled | duplicate | ignored | rejected
    faq: FaqMatch | None = None
    ticket_id: int | None = None
    leak: bool = False
    notes: list[str] = field(default_factory=list)
    leak_kinds: tuple[str, ...] = ()
    opened: bool = False  # this event opened a new ticket
    code: str | None = None  # one-time code check: ok | wrong | locked | expired | malformed
    act: str | None = None  # the dialogue act the message was read as (core.conversation.acts.Act)


def observe(metrics: Metrics, platform: str, outcome: Outcome) -> None:
    """Count a committed event's effects."""
    if outcome.faq is not None:
        result = "answered" if outcome.faq.answered else "abstained"
        metrics.faq.labels(result, outcome.faq.lang).inc()
    for kind in outcome.leak_kinds:
        metrics.shield.labels(kind).inc()
    if outcome.opened:
        metrics.tickets_opened.labels(platform).inc()
    if outcome.code in ("ok", "wrong", "locked", "expired"):
        metrics.otp.labels("verified" if outcome.code == "ok" else "failed").inc()
