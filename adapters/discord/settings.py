"""Discord's settings, joined into :class:`core.config.Settings` through the contract."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator

__all__ = ["DiscordSettings"]


class DiscordSettings(BaseModel):
    discord_bot_token: SecretStr | None = Field(None, alias="DISCORD_BOT_TOKEN")
    discord_api_base_url: str | None = Field(None, alias="DISCORD_API_BASE_URL")
    discord_gateway_url: str | None = Field(None, alias="DISCORD_GATEWAY_URL")
    # "" one gateway connection; "auto" (Discord's recommended count) or N: discord.py's sharding
    discord_shards: str = Field("", alias="DISCORD_SHARDS")

    @field_validator("discord_shards")
    @classmethod
    def _discord_shards(cls, value: str) -> str:
        value = value.strip().lower()
        if value in ("", "auto"):
            return value
        if value.isascii() and value.isdigit() and int(value) >= 1:
            return str(int(value))
        raise ValueError(f"expected 'auto' or a shard count of at least 1, got {value!r}")
