"""Prometheus metrics, kept in one registry per process (no module-level state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_in = Counter("walletdesk_messages_in_total", "Inbound user messages", ["platform"], registry=r)
        self.messages_out = Counter("walletdesk_messages_out_total", "Delivered messages", ["platform"], registry=r)
        self.delivery_failures = Counter("walletdesk_delivery_failures_total", "Dead-lettered deliveries", ["platform"], registry=r)
        self.faq = Counter("walletdesk_faq_total", "FAQ lookups by result", ["result"], registry=r)
        self.shield = Counter("walletdesk_shield_detections_total", "Secrets removed", registry=r)
        self.tickets_opened = Counter("walletdesk_tickets_opened_total", "Tickets opened", registry=r)
        self.outbox_pending = Gauge("walletdesk_outbox_pending", "Undelivered outbox rows", registry=r)
        self.outbox_dead = Gauge("walletdesk_outbox_dead", "Dead-lettered outbox rows", registry=r)
        self.outbox_age = Gauge("walletdesk_outbox_oldest_age_seconds", "Age of the oldest pending row", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
