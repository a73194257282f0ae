"""Settings, read once from the environment (and a ``.env`` file) and validated
before any connection opens. Errors name the variable."""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.contract import CsvList, csv_list, settings_sections
from core.errors import ConfigError

__all__ = ["CoreSettings", "CsvList", "Settings", "SupportHours", "load_settings"]

_LOGGER = logging.getLogger(__name__)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SupportHours:
    """Staffed hours as a weekly calendar (in ``WALLETDESK_TIMEZONE``): comma-separated
    windows such as ``mon-fri 09:00-18:00, sat 10:00-14:00, fri 22:00-06:00`` (a window
    whose end is not after its start runs overnight and belongs to the day it starts;
    ``24:00`` is the end of the day), or ``24/7``. ``windows`` holds (weekday, start
    minute, end minute) with the end past 1440 for overnight windows."""

    __slots__ = ("windows", "spec", "always")

    _PATTERN = re.compile(r"^(\w{3})(?:-(\w{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

    def __init__(self, spec: str) -> None:
        self.spec = spec.strip()
        self.always = self.spec.lower() in ("24/7", "always")
        windows: list[tuple[int, int, int]] = []
        for part in ([] if self.always else self.spec.lower().split(",")):
            m = self._PATTERN.match(part.strip())
            if not m or m.group(1) not in _DAYS or (m.group(2) and m.group(2) not in _DAYS):
                raise ValueError(f"expected windows such as 'mon-fri 09:00-18:00, sat 10:00-14:00' or '24/7', "
                                 f"got {part.strip()!r}")
            start_h, start_m, end_h, end_m = (int(m.group(i)) for i in (3, 4, 5, 6))
            if start_h > 23 or end_h > 24 or start_m > 59 or end_m > 59 or (end_h == 24 and end_m):
                raise ValueError(f"no such time of day in {part.strip()!r}")
            start, end = start_h * 60 + start_m, end_h * 60 + end_m
            if end <= start:
                end += 1440  # overnight: belongs to the day it starts
            first = _DAYS.index(m.group(1))
            last = _DAYS.index(m.group(2)) if m.group(2) else first
            days = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
            windows.extend((day, start, end) for day in days)
        if not self.always and not windows:
            raise ValueError("expected at least one window, or '24/7'")
        self.windows = tuple(sorted(windows))

    def __repr__(self) -> str:
        return f"SupportHours({self.spec!r})"


def parse_flood_limit(value: str) -> tuple[int, float] | None:
    """``8/30`` -> (8, 30.0): at most 8 messages in any 30 seconds; ``off`` -> None."""
    text = value.strip().lower()
    if text in ("off", "0", "none", ""):
        return None
    m = re.fullmatch(r"(\d{1,6})\s*/\s*(\d{1,6}(?:\.\d+)?)\s*s?", text)
    if not m or int(m.group(1)) < 1 or float(m.group(2)) <= 0:
        raise ValueError(f"expected messages/seconds such as '8/30', or 'off', got {value!r}")
    return int(m.group(1)), float(m.group(2))


_csv_list = csv_list


class CoreSettings(BaseSettings):
    """The core's knobs. Environment names are the field names upper-cased unless an
    alias says otherwise. :class:`Settings` adds every adapter's own section."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    # storage
    database_url: str = Field("", alias="WALLETDESK_DATABASE_URL")
    data_dir: Path = Field(Path("data"), alias="WALLETDESK_DATA_DIR")
    secret_key: SecretStr | None = Field(None, alias="WALLETDESK_SECRET_KEY")
    # where the recent words of a phrase split over messages are kept: memory, store, or auto (store on PostgreSQL)
    phrase_window: Literal["auto", "memory", "store"] = Field("auto", alias="WALLETDESK_PHRASE_WINDOW")
    # AES-GCM data keys for personal text at rest, current first (unset: <data dir>/data.keys)
    data_key: SecretStr | None = Field(None, alias="WALLETDESK_DATA_KEY")
    log_level: str = Field("INFO", alias="WALLETDESK_LOG_LEVEL")
    debug: bool = Field(False, alias="WALLETDESK_DEBUG")

    # FAQ
    faq_file: Path | None = Field(None, alias="WALLETDESK_FAQ_FILE")
    faq_mode: Literal["extend", "replace", "only"] = Field("extend", alias="WALLETDESK_FAQ_MODE")
    faq_threshold: float | None = Field(None, alias="WALLETDESK_FAQ_THRESHOLD", ge=0.0, le=1.0)
    faq_embedder: str = Field("wordllama", alias="WALLETDESK_FAQ_EMBEDDER")
    # how often each process checks the FAQ file and the staff-added phrasings (0: never)
    faq_reload_seconds: float = Field(5.0, alias="WALLETDESK_FAQ_RELOAD_SECONDS", ge=0)

    # support desk behaviour
    support_hours: str = Field("mon-fri 09:00-18:00", alias="WALLETDESK_SUPPORT_HOURS")
    timezone: str = Field("UTC", alias="WALLETDESK_TIMEZONE")
    holidays: CsvList = Field(default_factory=list, alias="WALLETDESK_HOLIDAYS")  # YYYY-MM-DD, nobody staffed
    # staffed minutes without a staff reply before a user writing to an open ticket is acknowledged again
    ticket_ack_minutes: float = Field(60.0, alias="WALLETDESK_TICKET_ACK_MINUTES", ge=0)
    reopen_window_hours: float = Field(72.0, alias="WALLETDESK_REOPEN_WINDOW_HOURS", gt=0)
    sla_first_response_minutes: str = Field("urgent=15,high=60,normal=240,low=1440", alias="WALLETDESK_SLA_FIRST_RESPONSE")
    sla_resolution_hours: str = Field("urgent=4,high=24,normal=72,low=168", alias="WALLETDESK_SLA_RESOLUTION")
    max_message_chars: int = Field(8000, alias="WALLETDESK_MAX_MESSAGE_CHARS", gt=0)
    # files users and staff send each other through a ticket (issue 19): the largest, and the types
    files_max_bytes: int = Field(10 * 1024 * 1024, alias="WALLETDESK_FILES_MAX_BYTES", gt=0)
    files_types: CsvList = Field(default_factory=lambda: ["image/png", "image/jpeg", "image/webp", "image/gif",
                                                          "text/plain"], alias="WALLETDESK_FILES_TYPES")
    outbox_max_attempts: int = Field(8, alias="WALLETDESK_OUTBOX_MAX_ATTEMPTS", gt=0)
    staff_names: CsvList = Field(default_factory=list, alias="WALLETDESK_STAFF_NAMES")
    # the console desk's operator, an explicit identity so `make run` needs no configuration
    console_operator: str = Field("console:operator", alias="WALLETDESK_CONSOLE_OPERATOR", pattern=r"^console:\S+$")
    group_auto_answer: bool = Field(False, alias="WALLETDESK_GROUP_AUTO_ANSWER")
    # a ticket staff mark "waiting on user": the one nudge after this, then resolved this long after the nudge
    nudge_after_hours: float = Field(24.0, alias="WALLETDESK_NUDGE_AFTER_HOURS", gt=0)
    waiting_resolve_after_hours: float = Field(24.0, alias="WALLETDESK_WAITING_RESOLVE_AFTER_HOURS", gt=0)
    # inbound flood limits: more than N messages in S seconds ("N/S", or "off") are neither answered nor
    # relayed (still shielded); per user, and per group chat (messages that speak to the bot)
    flood_user: str = Field("12/30", alias="WALLETDESK_FLOOD_USER")
    flood_group: str = Field("40/60", alias="WALLETDESK_FLOOD_GROUP")
    retention_days: float = Field(90.0, alias="WALLETDESK_RETENTION_DAYS", ge=0)
    rate_limit_scale: float = Field(1.0, alias="WALLETDESK_RATE_LIMIT_SCALE", gt=0)
    # the staff channel's daily digest, HH:MM in WALLETDESK_TIMEZONE (empty: no digest)
    digest_at: str = Field("", alias="WALLETDESK_DIGEST_AT", pattern=r"^(|([01]\d|2[0-3]):[0-5]\d)$")
    # "round_robin": a new ticket goes in turn to the next listed staff member on shift (support hours)
    auto_assign: Literal["off", "round_robin"] = Field("off", alias="WALLETDESK_AUTO_ASSIGN")

    # identity
    otp_webhook_url: str | None = Field(None, alias="WALLETDESK_OTP_WEBHOOK_URL")
    otp_webhook_secret: SecretStr | None = Field(None, alias="WALLETDESK_OTP_WEBHOOK_SECRET")

    # on-chain lookups (core/chain): the endpoints see the hashes looked up, nothing else
    evm_rpc: str = Field("", alias="WALLETDESK_EVM_RPC")  # name=url,name=url (JSON-RPC)
    tron_api: str | None = Field(None, alias="WALLETDESK_TRON_API")  # TronGrid-compatible base URL
    bitcoin_api: str | None = Field(None, alias="WALLETDESK_BITCOIN_API")  # Esplora-compatible base URL

    # HTTP (Procfile web)
    http_host: str = Field("0.0.0.0", alias="WALLETDESK_HTTP_HOST")
    http_port: int = Field(8080, alias="PORT", ge=0, le=65535)
    public_url: str | None = Field(None, alias="WALLETDESK_PUBLIC_URL")
    # a platform that cannot start while others can is tried again after this, doubling up to 5 minutes
    platform_retry_seconds: float = Field(5.0, alias="WALLETDESK_PLATFORM_RETRY_SECONDS", gt=0)

    @field_validator("staff_names", "holidays", "files_types", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _csv_list(value)

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: list[str]) -> list[str]:
        for day in value:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"expected dates such as 2026-12-25, got {day!r}") from None
        return value

    @field_validator("faq_embedder")
    @classmethod
    def _embedder(cls, value: str) -> str:
        from core.faq.embedders import configured_embedder

        return configured_embedder(value) or "none"

    @field_validator("support_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        SupportHours(value)
        return value

    @field_validator("flood_user", "flood_group")
    @classmethod
    def _flood(cls, value: str) -> str:
        parse_flood_limit(value)
        return value.strip().lower()

    def flood_limits(self) -> tuple[tuple[int, float] | None, tuple[int, float] | None]:
        """(per user, per group) as (messages, seconds); None where turned off."""
        return parse_flood_limit(self.flood_user), parse_flood_limit(self.flood_group)

    @field_validator("evm_rpc")
    @classmethod
    def _evm_rpc(cls, value: str) -> str:
        _parse_endpoints(value)
        return value

    @field_validator("tron_api", "bitcoin_api")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.match(r"^https?://[^\s/]+", value.strip()):
            raise ValueError("expected an http(s) URL")
        return value.strip()

    @field_validator("sla_first_response_minutes", "sla_resolution_hours")
    @classmethod
    def _sla(cls, value: str) -> str:
        _parse_sla(value)
        return value

    # derived values -------------------------------------------------------

    @property
    def hours(self) -> SupportHours:
        return SupportHours(self.support_hours)

    @property
    def sla_first_response(self) -> dict[str, float]:
        """Seconds per priority."""
        return {k: v * 60 for k, v in _parse_sla(self.sla_first_response_minutes).items()}

    @property
    def sla_resolution(self) -> dict[str, float]:
        return {k: v * 3600 for k, v in _parse_sla(self.sla_resolution_hours).items()}

    @property
    def evm_rpc_urls(self) -> dict[str, str]:
        """``WALLETDESK_EVM_RPC`` as name -> URL, in the order given."""
        return _parse_endpoints(self.evm_rpc)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'walletdesk.db').as_posix()}"

    def server_secret(self) -> bytes:
        """The HMAC key for one-time codes: configured, or generated once and kept
        (mode 0600) in the data directory so embedded defaults still work."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip().encode()


def _validators(model: type) -> list[str]:
    found = model.__pydantic_decorators__  # type: ignore[attr-defined]
    return [*found.field_validators, *found.model_validators]


def _compose() -> type[CoreSettings]:
    """The core's settings plus every installed adapter's section (its own fields and
    validators; the environment names are the adapter's public contract)."""
    sections = settings_sections()
    if not sections:
        return type("Settings", (CoreSettings,), {"__module__": __name__, "__doc__": CoreSettings.__doc__})
    # a field or validator of the same name would silently replace another's
    names = [n for s in sections for n in [*s.model_fields, *_validators(s)]]
    clash = (set(names) & {*CoreSettings.model_fields, *_validators(CoreSettings)}) | {n for n in names
                                                                                      if names.count(n) > 1}
    if clash:
        raise ConfigError(f"settings defined twice by the adapters: {', '.join(sorted(clash))}")
    doc = "Every knob walletdesk has: the core's (:class:`CoreSettings`) and each adapter's section."
    return type("Settings", (CoreSettings, *sections), {"__module__": __name__, "__doc__": doc,
                                                        "model_config": CoreSettings.model_config})


if TYPE_CHECKING:
    class Settings(CoreSettings):
        """At run time also every adapter's fields (read them as attributes)."""

        def __getattr__(self, name: str) -> Any: ...
else:
    Settings = _compose()


def _parse_sla(spec: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in spec.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in ("urgent", "high", "normal", "low"):
            raise ValueError(f"unknown priority {name!r} in {spec!r}")
        try:
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"not a number for {name!r} in {spec!r}") from None
    missing = {"urgent", "high", "normal", "low"} - out.keys()
    if missing:
        raise ValueError(f"missing {', '.join(sorted(missing))} in {spec!r}")
    return out


def _parse_endpoints(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, url = part.partition("=")
        name, url = name.strip().lower(), url.strip()
        if not sep or not re.fullmatch(r"[a-z][a-z0-9_-]*", name) or not re.match(r"^https?://[^\s/]+", url):
            raise ValueError(f"expected name=http(s)://url pairs separated by commas, got {part.split('=')[0]!r}=...")
        if name in out or name in ("tron", "bitcoin"):
            raise ValueError(f"chain name {name!r} given twice or reserved (tron, bitcoin have their own variables)")
        out[name] = url
    return out


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: str | Path | None = ".env") -> Settings:
    """Build settings from ``environ`` (default: the process environment) and
    ``env_file``. Raises :class:`ConfigError` naming the bad variable."""
    try:
        if environ is None:
            return Settings(_env_file=env_file)  # type: ignore[call-arg]
        fields = Settings.model_fields
        by_alias = {(f.alias or n).upper(): n for n, f in fields.items()}
        values = {by_alias[k.upper()]: v for k, v in environ.items() if k.upper() in by_alias}
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "?"
        field = Settings.model_fields.get(name)
        var = (field.alias if field and field.alias else name).upper()
        raise ConfigError(f"{var}: {err['msg']}") from None
