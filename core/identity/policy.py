"""Who may act as staff, escalate a user's message, or change the FAQ.

Adapters report facts (who, from which channel, with which platform role); the
verdict is made here, from configured identities, and nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from core.config import Settings
from core.errors import ConfigError, InvalidInput
from core.models import UserRef

__all__ = ["Actor", "NotAllowed", "Permission", "StaffPolicy", "Verdict"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Facts an adapter knows about whoever asks for a privileged action.

    ``in_desk_channel``: the request came from the staff desk's own channel.
    ``platform_moderator``: the platform gives them moderation rights where they
    asked (a Telegram chat admin, a Discord member with Manage Messages).
    ``display_name``: how the platform names them (a snippet's ``{agent}``); never
    part of a verdict.
    """

    user: UserRef
    in_desk_channel: bool = False
    platform_moderator: bool = False
    display_name: str = ""

    @property
    def key(self) -> str:
        return self.user.key

    @classmethod
    def at_desk(cls, user_key: str) -> "Actor":
        """Someone writing from the staff desk's channel (``slack:U1``, ``console:operator``)."""
        return cls(UserRef.parse(user_key), in_desk_channel=True)


class Permission(enum.StrEnum):
    STAFF = "staff"
    ESCALATE = "escalate"
    EDIT_FAQ = "edit_faq"
    EDIT_SNIPPETS = "edit_snippets"  # add, change or remove the desk's snippets (canned replies)


class Verdict(enum.StrEnum):
    ALLOWED = "allowed"
    NOT_STAFF = "not_staff"
    DESK_ONLY = "desk_only"  # allowed only from the staff desk's channel
    NOT_MODERATOR = "not_moderator"
    NOT_FAQ_ADMIN = "not_faq_admin"
    NOT_SNIPPET_EDITOR = "not_snippet_editor"


class NotAllowed(InvalidInput):
    """The policy refused; ``key`` names the text to show the actor."""


_REFUSAL_KEYS = {
    Verdict.NOT_STAFF: "policy.not_staff",
    Verdict.DESK_ONLY: "policy.desk_only",
    Verdict.NOT_MODERATOR: "escalate.not_moderator",
    Verdict.NOT_FAQ_ADMIN: "faqadmin.not_admin",
    Verdict.NOT_SNIPPET_EDITOR: "snippet.not_editor",
}


def _keys(platform: str, values: Iterable[str]) -> frozenset[str]:
    """``U123`` or ``slack:U123`` -> ``slack:U123``."""
    prefix = f"{platform}:"
    return frozenset(v if v.startswith(prefix) else prefix + v for v in (str(x).strip() for x in values) if v)


class StaffPolicy:
    """The rules, in one place; every one fails closed:

    - staff: the console operator; on Slack the ``SLACK_STAFF_USERS``, else the
      members of ``SLACK_STAFF_GROUP``, else the members of the staff channel once
      the adapter has shown it to be private (:meth:`record_slack_facts`). Until
      one of these is known, nobody on Slack is staff, and a Slack desk without
      any of them refuses to start (:meth:`record_slack_facts` raises);
    - escalate: staff, ``TELEGRAM_MODERATORS``, or a platform moderator;
    - change the FAQ: ``SLACK_FAQ_ADMINS``, or whoever may act as staff;
    - change the snippets (canned replies staff send): staff, and when
      ``SLACK_FAQ_ADMINS`` is set only those staff who are also FAQ admins
      (the same people vouch for what the bot says in the company's name).
    """

    def __init__(self, settings: Settings) -> None:
        self.console_operator = settings.console_operator
        self.slack_staff = _keys("slack", settings.slack_staff_users)
        self.slack_group = (settings.slack_staff_group or "").strip() or None
        self.faq_admins = _keys("slack", settings.slack_faq_admins)
        self.moderators = _keys("telegram", settings.telegram_moderators)
        self._slack_members: frozenset[str] | None = None  # group or private staff channel, once known

    @property
    def slack_source(self) -> str:
        """Where Slack staff come from: ``list``, ``group`` or ``channel``."""
        if self.slack_staff:
            return "list"
        return "group" if self.slack_group else "channel"

    def record_slack_facts(self, *, members: Iterable[str] | None, channel_private: bool | None = None) -> None:
        """What the Slack adapter found at start-up (or on a membership change).

        Args:
            members: the user group's members (source ``group``) or the staff
                channel's members (source ``channel``); None when unknown.
            channel_private: for source ``channel``, whether Slack says the staff
                channel is private.

        Raises:
            ConfigError: the staff channel is public or missing, so its members
                cannot make anyone staff (one line, naming the settings to fix).
        """
        source = self.slack_source
        if source == "list":
            return
        if source == "channel" and channel_private is not True:
            self._slack_members = None
            raise ConfigError(
                "SLACK_STAFF_USERS: empty, SLACK_STAFF_GROUP unset and SLACK_STAFF_CHANNEL is not a private channel"
                " (anyone could act as staff); set SLACK_STAFF_USERS or SLACK_STAFF_GROUP, or make the channel private")
        self._slack_members = None if members is None else _keys("slack", members)

    def decide(self, actor: Actor, permission: Permission) -> Verdict:
        if permission is Permission.STAFF:
            return self._staff(actor)
        if permission is Permission.ESCALATE:
            if actor.platform_moderator or actor.key in self.moderators or self._staff(actor) is Verdict.ALLOWED:
                return Verdict.ALLOWED
            return Verdict.NOT_MODERATOR
        if permission is Permission.EDIT_SNIPPETS:
            staff = self._staff(actor) is Verdict.ALLOWED
            if staff and (not self.faq_admins or actor.key in self.faq_admins):
                return Verdict.ALLOWED
            return Verdict.NOT_SNIPPET_EDITOR
        if self.faq_admins:
            return Verdict.ALLOWED if actor.key in self.faq_admins else Verdict.NOT_FAQ_ADMIN
        return Verdict.ALLOWED if self._staff(actor) is Verdict.ALLOWED else Verdict.NOT_FAQ_ADMIN

    def require(self, actor: Actor, permission: Permission) -> None:
        """Raise :class:`NotAllowed` unless ``actor`` holds ``permission``."""
        verdict = self.decide(actor, permission)
        if verdict is not Verdict.ALLOWED:
            raise NotAllowed(f"{actor.key} may not {permission.value}: {verdict.value}", key=_REFUSAL_KEYS[verdict])

    def allows(self, actor: Actor, permission: Permission) -> bool:
        return self.decide(actor, permission) is Verdict.ALLOWED

    def _staff(self, actor: Actor) -> Verdict:
        if actor.key == self.console_operator:
            return Verdict.ALLOWED
        if actor.user.platform != "slack":
            return Verdict.NOT_STAFF
        if self.slack_staff:
            return Verdict.ALLOWED if actor.key in self.slack_staff else Verdict.NOT_STAFF
        members = self._slack_members
        if members is None or actor.key not in members:
            return Verdict.NOT_STAFF  # fail closed: no list, no group, no verified private channel
        if self.slack_source == "channel" and not actor.in_desk_channel:
            return Verdict.DESK_ONLY  # staff by channel membership act from that channel
        return Verdict.ALLOWED
