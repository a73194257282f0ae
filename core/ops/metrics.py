"""Prometheus metrics, kept in one registry per process (no module-level state).

Counters are fed by the core after each transaction commits, so a rolled-back
or duplicate event is never counted; gauges are read from the store when
``/metrics`` is scraped, so they agree across processes.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_in = Counter("walletdesk_messages_in_total", "Inbound user messages", ["platform"], registry=r)
        self.messages_out = Counter("walletdesk_messages_out_total", "Delivered messages", ["platform"], registry=r)
        self.inbound_store_failures = Counter(
            "walletdesk_inbound_store_failures_total",
            "Inbound messages not saved because the store failed (the platform redelivers, or the adapter retries)",
            ["platform"], registry=r)
        self.delivery_failures = Counter("walletdesk_delivery_failures_total", "Dead-lettered deliveries", ["platform"], registry=r)
        self.faq = Counter("walletdesk_faq_total", "FAQ lookups by result", ["result", "lang"], registry=r)
        self.shield = Counter("walletdesk_shield_detections_total", "Secrets removed from messages", ["kind"], registry=r)
        self.tickets_opened = Counter("walletdesk_tickets_opened_total", "Tickets opened", ["platform"], registry=r)
        self.otp = Counter("walletdesk_otp_total", "One-time codes: sent, verified, failed", ["event"], registry=r)
        self.faq_reloads = Counter("walletdesk_faq_reloads_total", "FAQ rebuilt after its sources changed", registry=r)
        self.tickets = Gauge("walletdesk_tickets", "Tickets by state", ["state"], registry=r)
        self.outbox_pending = Gauge("walletdesk_outbox_pending", "Undelivered outbox rows", registry=r)
        self.outbox_dead = Gauge("walletdesk_outbox_dead", "Dead-lettered outbox rows", registry=r)
        self.outbox_age = Gauge("walletdesk_outbox_oldest_age_seconds", "Age of the oldest pending row", registry=r)

    def set_tickets(self, counts: Mapping[str, int], states: tuple[str, ...]) -> None:
        for state in states:
            self.tickets.labels(state).set(counts.get(state, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
