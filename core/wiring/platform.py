"""What an adapter offers the core: a sender for deliveries, and a lifecycle.

Adapters register under the ``walletdesk.adapters`` entry-point group; the CLI
finds them there (:func:`discover_adapters`) and never imports one by name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.errors import ConfigError
from core.models import Delivery, DeliveryResult

if TYPE_CHECKING:
    from core.config import Settings
    from core.use_cases import UseCases

__all__ = ["Adapter", "AdapterFactory", "LazyAdapterFactory", "Sender", "adapter_hooks", "discover_adapters",
           "load_adapter", "missing_library"]

_LOGGER = logging.getLogger(__name__)
GROUP = "walletdesk.adapters"


@runtime_checkable
class Sender(Protocol):
    """Delivers outbox rows for one platform.

    Actions: ``send``, ``dm``, ``delete`` (every platform); ``send_file`` and
    ``dm_file`` (a staff file to a user: ``delivery.file`` holds the bytes the
    worker loaded from the store); a desk adds ``desk_upsert``, ``desk_post``,
    ``desk_ack`` and ``desk_file`` (a user's file into the ticket's thread).

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
    """What an entry point names: an adapter class, or a :class:`LazyAdapterFactory`."""

    name: str

    def configured(self, settings: "Settings") -> bool: ...

    def __call__(self, core: "UseCases") -> Adapter: ...


@dataclass(frozen=True)
class LazyAdapterFactory:
    """Tells whether its platform is configured without importing the platform's
    library; the adapter class (``"module:Class"``) is imported when first built.
    A console run never loads discord.py, PTB or slack-bolt (17 MB resident)."""

    name: str
    target: str
    is_configured: Callable[["Settings"], bool]
    library: str = ""  # the platform library's distribution, installed by the extra named like the adapter
    setting: str = ""  # the setting that configures the platform, named when its library is missing
    imports: tuple[str, ...] = ()  # the library's top-level modules, checked before start-up work

    def configured(self, settings: "Settings") -> bool:
        return self.is_configured(settings)

    def ensure_installed(self) -> None:
        """Raises :class:`ConfigError` (one line) when the platform's library is missing."""
        for module in self.imports:
            if find_spec(module) is None:
                raise missing_library(self, ModuleNotFoundError(name=module))

    def __call__(self, core: "UseCases") -> Adapter:
        module, _, attr = self.target.partition(":")
        try:
            adapter_class = getattr(import_module(module), attr)
        except ModuleNotFoundError as exc:
            raise missing_library(self, exc) from None
        adapter: Adapter = adapter_class(core)
        return adapter


def missing_library(factory: LazyAdapterFactory, exc: ModuleNotFoundError) -> Exception:
    """The one line for a configured platform whose library the install left out
    (``pip install walletdesk`` without the platform's extra). A module of the
    project itself missing is a broken install, not a choice: re-raised as is."""
    missing = (exc.name or "").partition(".")[0]
    if not missing or missing in {"core", "adapters"}:
        return exc
    library = factory.library or missing
    configured = f"{factory.setting} is set, but " if factory.setting else ""
    return ConfigError(f"{configured}{library} is not installed (no module {missing!r}); "
                       f"install it with: pip install 'walletdesk[{factory.name}]'")


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


def adapter_hooks(attr: str) -> dict[str, object]:
    """The optional ``attr`` of every adapter's entry module (the module its entry point
    names), by adapter name: ``doctor_checks`` (the adapter's part of ``walletdesk
    doctor``), ``cli`` (a typer sub-app mounted under the adapter's name). Entry modules
    import no platform library, so asking costs nothing."""
    found: dict[str, object] = {}
    for ep in entry_points(group=GROUP):
        try:
            hook = getattr(import_module(ep.module), attr, None)
        except Exception as exc:  # a broken plugin must not take the others down
            _LOGGER.error("adapter %s failed to load: %s", ep.name, exc)
            continue
        if hook is not None:
            found[ep.name] = hook
    return found
