"""Slack's settings, joined into :class:`core.config.Settings` through the contract,
and the people they name (:func:`roles`), handed to the core's staff policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from core.contract import CsvList, Roles, csv_list
from core.errors import ConfigError

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["SlackSettings", "roles"]


class SlackSettings(BaseModel):
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_base_url: str | None = Field(None, alias="SLACK_API_BASE_URL")
    slack_staff_channel: str | None = Field(None, alias="SLACK_STAFF_CHANNEL")
    # the staff, in the order of the round-robin rotation (WALLETDESK_AUTO_ASSIGN)
    slack_staff_users: CsvList = Field(default_factory=list, alias="SLACK_STAFF_USERS")
    # a Slack user group (S... id) whose members are staff (resolved with usergroups.users.list)
    slack_staff_group: str | None = Field(None, alias="SLACK_STAFF_GROUP")
    # a user token of a workspace admin (chat:write): lets the shield delete users' messages
    slack_admin_user_token: SecretStr | None = Field(None, alias="SLACK_ADMIN_USER_TOKEN")
    # who may change the FAQ with /faq add (empty: anyone who may act as staff)
    slack_faq_admins: CsvList = Field(default_factory=list, alias="SLACK_FAQ_ADMINS")

    @field_validator("slack_staff_users", "slack_faq_admins", mode="before")
    @classmethod
    def _slack_lists(cls, value: object) -> object:
        return csv_list(value)

    @model_validator(mode="after")
    def _slack_rotation(self) -> Any:
        """Round-robin takes turns among the listed staff (ConfigError passes pydantic untouched)."""
        if getattr(self, "auto_assign", "off") == "round_robin" and not self.slack_staff_users:
            raise ConfigError("WALLETDESK_AUTO_ASSIGN: round_robin takes turns among SLACK_STAFF_USERS, which is empty;"
                              " list the staff there (in the order of the rotation) or set it to off")
        return self


def roles(settings: Settings) -> Roles:
    """Slack hosts the staff: the listed users, else the group's members, else the
    private staff channel's members (the policy decides; see core.identity.policy)."""
    base = Roles("slack")
    return Roles("slack", hosts_staff=True, staff=base.keys(settings.slack_staff_users),
                 staff_group=(settings.slack_staff_group or "").strip() or None,
                 faq_admins=base.keys(settings.slack_faq_admins),
                 staff_setting="SLACK_STAFF_USERS", group_setting="SLACK_STAFF_GROUP",
                 channel_setting="SLACK_STAFF_CHANNEL")
