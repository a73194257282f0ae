"""The ``walletdesk.adapters`` entry point of the console: a chat in the terminal,
and the staff desk of last resort."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.contract import AdapterSpec

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["factory"]


def configured(settings: Settings) -> bool:
    return True  # needs nothing; chosen only when asked for or when no platform is configured


factory = AdapterSpec("console", "adapters.console.adapter:ConsoleAdapter", configured, display_name="console")
