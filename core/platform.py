"""What an adapter offers the core: a sender for deliveries, and a lifecycle.

Adapters register under the ``walletdesk.adapters`` entry-point group; the CLI
finds them there (:func:`discover_adapters`) and never imports one by name.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.errors import ConfigError
from core.models import Delivery, DeliveryResult

if TYPE_CHECKING:
    from core.config import Settings
    from core.service import SupportCore

__all__ = ["Adapter", "AdapterFactory", "Sender", "discover_adapters", "load_adapter"]

_LOGGER = logging.getLogger(__name__)
GROUP = "walletdesk.adapters"


@runtime_checkable
class Sender(Protocol):
    """Delivers outbox rows for one platform.

    Raises:
        core.errors.RetryLater: transient failure (429 with retry_after, 5xx, timeout).
        core.errors.DeliveryError: the platform refused for good.
    """

    platform: str

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult: ...


class Adapter(Sender, Protocol):
    """A platform adapter: translates events into core calls and deliveries into
    platform calls. ``web_routes`` lets the ``web`` process mount HTTP endpoints."""

    name: str
    is_desk: bool

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class AdapterFactory(Protocol):
    name: str

    @staticmethod
    def configured(settings: "Settings") -> bool: ...

    def __call__(self, core: "SupportCore") -> Adapter: ...


def discover_adapters() -> dict[str, AdapterFactory]:
    """Every adapter class declared in the entry-point group, by name."""
    found: dict[str, AdapterFactory] = {}
    for ep in entry_points(group=GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            _LOGGER.error("adapter %s failed to load: %s", ep.name, exc)
    return found


def load_adapter(name: str) -> AdapterFactory:
    adapters = discover_adapters()
    if name not in adapters:
        raise ConfigError(f"unknown adapter {name!r}; available: {', '.join(sorted(adapters)) or 'none'}")
    return adapters[name]
