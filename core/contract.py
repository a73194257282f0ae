"""The adapter contract: everything a platform adapter offers the core and gets
from it, in one module. ``docs/adapters.md`` walks through writing one.

An adapter is a package with one entry point in the ``walletdesk.adapters``
group naming an :class:`AdapterSpec`. The spec says, without importing the
platform's library, whether the platform is configured and where the adapter's
parts live: the adapter class, its settings section, its strings (en and zh),
its CLI subcommands, its ``walletdesk doctor`` lines and the roles it reads from
its settings. The core finds adapters only here and never names a platform.

This module is a leaf at run time (it imports only :mod:`core.models` and
:mod:`core.errors`): :mod:`core.config` and :mod:`core.i18n` read contributions
through it while they are being imported themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module
from importlib.metadata import entry_points
from importlib.util import find_spec
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypedDict, Union, runtime_checkable

from core.errors import ConfigError
from core.models import Delivery, DeliveryResult, InboundImage

if TYPE_CHECKING:  # type-only: the contract stays importable from the lowest floor
    from aiohttp.web import RouteDef

    from core.config import Settings
    from core.use_cases import UseCases

__all__ = [
    "ACTIONS", "DESK_ACTIONS", "PAYLOADS", "Adapter", "AdapterFactory", "AdapterSpec", "CsvList", "DeliveryAction",
    "DeskHost", "HasHealth", "ImageFetcher", "LazyAdapterFactory", "Payload", "Roles", "Sender", "Started", "WebHost",
    "adapter_hooks", "csv_list", "discover_adapters", "display_name", "installed_specs", "load_adapter",
    "missing_library", "noisy_loggers", "roles", "settings_sections", "strings",
]

_LOGGER = logging.getLogger(__name__)
GROUP = "walletdesk.adapters"


# -- deliveries: a closed set of actions, each with its payload ----------------------------

DeliveryAction = Literal["send", "dm", "delete", "send_file", "dm_file",
                         "desk_upsert", "desk_post", "desk_ack", "desk_file", "desk_delete"]
ACTIONS: frozenset[str] = frozenset(DeliveryAction.__args__)  # type: ignore[attr-defined]
DESK_ACTIONS: frozenset[str] = frozenset(a for a in ACTIONS if a.startswith("desk_"))


class SendPayload(TypedDict, total=False):
    """``send``: a message into a chat (``reply_to``: the message it answers; ``ack_ref``:
    the staff message on the desk it carries, acknowledged there with ``desk_ack``)."""
    text: str
    reply_to: str
    ack_ref: str


class DmPayload(TypedDict, total=False):
    """``dm``: a private message; ``fallback_chat_id`` is where to say so when the
    platform won't let the bot open a private chat."""
    text: str
    user_id: str
    fallback_chat_id: str
    ack_ref: str


class DeletePayload(TypedDict):
    """``delete``: remove a message the shield caught."""
    message_id: str


class DeskDeletePayload(TypedDict):
    """``desk_delete``: take back a desk line the bot posted (a piece of a split phrase)."""
    message_id: str


class FilePayload(TypedDict, total=False):
    """``send_file`` / ``dm_file`` / ``desk_file``: a kept file; the worker loads its
    bytes into ``Delivery.file``. ``text`` is the line that goes with it."""
    file_id: int
    name: str
    content_type: str
    size: int
    text: str
    user_id: str
    ack_ref: str


class DeskPostPayload(TypedDict):
    """``desk_post``: a line in the ticket's desk thread."""
    kind: str
    text: str


class DeskAckPayload(TypedDict):
    """``desk_ack``: whether a staff reply reached the user (``ref``: the desk line)."""
    ref: str
    ok: bool
    error: str


class DeskUpsertPayload(TypedDict, total=False):
    """``desk_upsert``: the ticket's root message on the desk (created, then refreshed),
    laid out by the desk adapter (:func:`core.support.relay.desk_summary`). Lines are
    already in the desk's language; a None line is left out."""
    ticket_id: int
    state: str
    priority: str
    title: str
    text: str
    chain: str | None
    chain_hash: str | None
    earlier: str | None
    linked: str | None
    tags: str | None
    tag_list: list[str]
    snippets: list[str]
    user: str
    user_key: str
    platform: str
    lang: str
    category: str | None
    assignee: str | None
    verified: bool
    sla: str
    subject: str
    parked: str | None
    blocked: str | None


Payload = Union[SendPayload, DmPayload, DeletePayload, FilePayload, DeskPostPayload, DeskAckPayload,
                DeskUpsertPayload, DeskDeletePayload]
PAYLOADS: Mapping[str, type] = {
    "send": SendPayload, "dm": DmPayload, "delete": DeletePayload, "send_file": FilePayload,
    "dm_file": FilePayload, "desk_file": FilePayload, "desk_post": DeskPostPayload, "desk_ack": DeskAckPayload,
    "desk_upsert": DeskUpsertPayload, "desk_delete": DeskDeletePayload,
}


# -- what an adapter is ------------------------------------------------------------------

ImageFetcher = Callable[[InboundImage, int], Awaitable[bytes]]


@dataclass(frozen=True)
class Started:
    """What ``start()`` hands the core, instead of writing core attributes (the core
    adopts it with :meth:`core.use_cases.UseCases.adopt`; an adapter that learns a
    fact later, after a deferred log-in, hands a ``Started`` to ``adopt`` itself).

    ``link_template``: a deep link into a private chat with the bot, ``{ticket_id}``
    filled in by the core (a public escalation notice points there).
    ``fetch_image``: ``(image, max_bytes) -> bytes`` for the images users send
    (the shield reads them for recovery phrases)."""

    link_template: str | None = None
    fetch_image: ImageFetcher | None = None


@runtime_checkable
class Sender(Protocol):
    """Delivers outbox rows for one platform.

    Actions (:data:`ACTIONS`): ``send``, ``dm``, ``delete`` (every platform);
    ``send_file`` and ``dm_file`` (a staff file to a user: ``delivery.file`` holds the
    bytes the worker loaded from the store); a desk adds ``desk_upsert``,
    ``desk_post``, ``desk_ack``, ``desk_file`` and ``desk_delete``. Payloads: :data:`PAYLOADS`.

    Raises:
        core.errors.RetryLater: transient failure (429 with retry_after, 5xx, timeout).
        core.errors.DeliveryError: the platform refused for good.
    """

    platform: str

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult: ...


@runtime_checkable
class Adapter(Sender, Protocol):
    """A platform adapter: translates events into core calls and deliveries into
    platform calls. ``start`` may raise :class:`core.errors.PlatformStartError`
    (the core retries it with backoff when ``retry`` is set)."""

    name: str
    is_desk: bool

    async def start(self) -> Started | None: ...
    async def stop(self) -> None: ...


@runtime_checkable
class DeskHost(Protocol):
    """An adapter that can host the staff desk (``is_desk``): the core calls
    ``claim_desk`` once, before start, on the one desk it chose."""

    def claim_desk(self) -> None: ...


@runtime_checkable
class WebHost(Protocol):
    """An adapter that receives over HTTP: its routes are mounted by the ``web``
    process (and by ``all``); an adapter with routes starts in the web role."""

    def web_routes(self) -> "list[RouteDef]": ...


@runtime_checkable
class HasHealth(Protocol):
    """An adapter that knows whether it is connected (``/healthz``); without it,
    a started adapter counts as connected."""

    connected: bool


@dataclass(frozen=True)
class Roles:
    """Who an adapter's settings name, as facts for :class:`core.identity.policy.StaffPolicy`
    (the adapter never decides). Ids without ``<platform>:`` get the adapter's platform.

    ``hosts_staff``: people on this platform can act as staff, from ``staff`` (in
    rotation order), else the members of ``staff_group``, else the members of the
    desk channel once the adapter shows it private; ``*_setting`` name the settings
    in the one line a desk without any of them fails with."""

    platform: str
    hosts_staff: bool = False
    staff: tuple[str, ...] = ()
    staff_group: str | None = None
    faq_admins: tuple[str, ...] = ()
    moderators: tuple[str, ...] = ()
    staff_setting: str = ""
    group_setting: str = ""
    channel_setting: str = ""

    def keys(self, values: Iterable[str]) -> tuple[str, ...]:
        """``U123`` or ``<platform>:U123`` -> ``<platform>:U123``, first occurrence kept."""
        prefix = f"{self.platform}:"
        out: list[str] = []
        for value in (str(v).strip() for v in values):
            key = value if value.startswith(prefix) else prefix + value
            if value and key not in out:
                out.append(key)
        return tuple(out)


class AdapterFactory(Protocol):
    """What an entry point names (an :class:`AdapterSpec`)."""

    name: str

    def configured(self, settings: "Settings") -> bool: ...

    def __call__(self, core: "UseCases") -> Adapter: ...


def _target(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(import_module(module), attr)


@dataclass(frozen=True)
class AdapterSpec:
    """One adapter, declared without importing its platform library; every part is a
    ``"module:attribute"`` imported when first asked for. A console run never loads
    the platform libraries (17 MB resident).

    name: the adapter's and its platform's name (``UserRef.platform``), its extra and
        its CLI group (``walletdesk <name> ...``).
    target: the adapter class, called with the core.
    is_configured: whether the settings configure the platform.
    display_name: how people call the platform (desk lines, the link-code message).
    settings: a pydantic model whose fields join :class:`core.config.Settings`.
    strings: a ``{key: {"en": ..., "zh": ...}}`` catalogue joining :mod:`core.i18n`.
    cli: a typer app mounted as ``walletdesk <name>``.
    doctor: ``async (settings, chats) -> list[CheckResult]``, its ``walletdesk doctor`` lines.
    roles: ``(settings) -> Roles``, the people its settings name.
    loggers: its library's loggers, kept at WARNING unless debugging.
    library / setting / imports: named in the one line when the library is missing.
    """

    name: str
    target: str
    is_configured: Callable[["Settings"], bool]
    library: str = ""
    setting: str = ""
    imports: tuple[str, ...] = ()
    display_name: str = ""
    settings: str = ""
    strings: str = ""
    cli: str = ""
    doctor: str = ""
    roles: str = ""
    loggers: tuple[str, ...] = field(default=())

    def configured(self, settings: "Settings") -> bool:
        return self.is_configured(settings)

    def part(self, which: str) -> Any:
        """The part ``which`` (``settings``, ``strings``, ``cli``, ``doctor``, ``roles``), or None."""
        where = getattr(self, which)
        return _target(where) if where else None

    def ensure_installed(self) -> None:
        """Raises :class:`ConfigError` (one line) when the platform's library is missing."""
        for module in self.imports:
            if find_spec(module) is None:
                raise missing_library(self, ModuleNotFoundError(name=module))

    def __call__(self, core: "UseCases", **options: Any) -> Adapter:
        try:
            adapter_class = _target(self.target)
        except ModuleNotFoundError as exc:
            raise missing_library(self, exc) from None
        adapter: Adapter = adapter_class(core, **options)
        return adapter


LazyAdapterFactory = AdapterSpec  # the name before the contract was written down


def missing_library(factory: AdapterSpec, exc: ModuleNotFoundError) -> Exception:
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


# -- finding adapters ---------------------------------------------------------------------

def discover_adapters() -> dict[str, AdapterSpec]:
    """Every adapter declared in the entry-point group, by name (read afresh)."""
    found: dict[str, AdapterSpec] = {}
    for ep in entry_points(group=GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            _LOGGER.error("adapter %s failed to load: %s", ep.name, exc)
    return found


@lru_cache(maxsize=1)
def installed_specs() -> tuple[AdapterSpec, ...]:
    """The adapters of this interpreter, read once: settings and strings are built
    from them at import time, so a plugin installed later needs a new process."""
    return tuple(spec for _, spec in sorted(discover_adapters().items()) if isinstance(spec, AdapterSpec))


def load_adapter(name: str) -> AdapterSpec:
    adapters = discover_adapters()
    if name not in adapters:
        raise ConfigError(f"unknown adapter {name!r}; available: {', '.join(sorted(adapters)) or 'none'}")
    return adapters[name]


def _parts(which: str) -> list[tuple[AdapterSpec, Any]]:
    found: list[tuple[AdapterSpec, Any]] = []
    for spec in installed_specs():
        try:
            part = spec.part(which)
        except Exception as exc:  # a broken plugin must not take the others down
            _LOGGER.error("adapter %s: its %s failed to load: %s", spec.name, which, exc)
            continue
        if part is not None:
            found.append((spec, part))
    return found


def adapter_hooks(attr: str) -> dict[str, Any]:
    """``cli`` or ``doctor`` of every adapter that has one, by adapter name."""
    return {spec.name: part for spec, part in _parts(attr)}


def settings_sections() -> list[type]:
    """The adapters' settings models, joined into :class:`core.config.Settings`."""
    return [part for _, part in _parts("settings")]


def strings() -> list[tuple[str, Mapping[str, Mapping[str, str]]]]:
    """(adapter name, catalogue) for every adapter that brings strings."""
    return [(spec.name, part) for spec, part in _parts("strings")]


def roles(settings: "Settings") -> list[Roles]:
    """The people every adapter's settings name (staff lists, moderators, FAQ admins)."""
    return [part(settings) for _, part in _parts("roles")]


def display_name(platform: str) -> str:
    """How people call ``platform``; the name itself when no adapter says."""
    return next((s.display_name for s in installed_specs() if s.name == platform and s.display_name), platform)


def display_names() -> list[str]:
    """Every installed platform people write from (the console is the terminal, not one)."""
    return [s.display_name for s in installed_specs() if s.display_name and s.name != "console"]


def noisy_loggers() -> tuple[str, ...]:
    return tuple(name for spec in installed_specs() for name in spec.loggers)


# -- helpers for settings sections --------------------------------------------------------

def csv_list(value: object) -> object:
    """``"a, b,"`` -> ``["a", "b"]`` (a ``mode="before"`` validator for :data:`CsvList`)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _no_decode() -> Any:
    from pydantic_settings import NoDecode

    return NoDecode


CsvList = Annotated[list[str], _no_decode()]

DoctorChecks = Callable[["Settings", Sequence[str]], Awaitable[list[Any]]]
