"""Telegram's settings, joined into :class:`core.config.Settings` through the contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, SecretStr, field_validator

from core.contract import CsvList, Roles, csv_list

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["TelegramSettings", "roles"]


class TelegramSettings(BaseModel):
    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(None, alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_moderators: CsvList = Field(default_factory=list, alias="TELEGRAM_MODERATORS")

    @field_validator("telegram_moderators", mode="before")
    @classmethod
    def _telegram_lists(cls, value: object) -> object:
        return csv_list(value)


def roles(settings: Settings) -> Roles:
    """``TELEGRAM_MODERATORS`` may escalate; nobody on Telegram acts as staff."""
    base = Roles("telegram")
    return Roles("telegram", moderators=base.keys(settings.telegram_moderators))
