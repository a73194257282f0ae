"""Who may act as staff, escalate a user's message, or change the FAQ.

Adapters report facts (who, from which channel, with which platform role); the
verdict is made here, from configured identities, and nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from core.config import Settings
from core.contract import Roles
from core.contract import roles as contributed_roles
from core.errors import ConfigError, InvalidInput
from core.models import UserRef

__all__ = ["Actor", "NotAllowed", "Permission", "StaffPolicy", "Verdict"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Facts an adapter knows about whoever asks for a privileged action.

    ``in_desk_channel``: the request came from the staff desk's own channel.
    ``platform_moderator``: the platform gives them moderation rights where they
    asked (a chat admin, a member allowed to manage messages).
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
        """Someone writing from the staff desk's channel (``console:operator``)."""
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


class StaffPolicy:
    """The rules, in one place; every one fails closed. Who the adapters' settings
    name comes to it as :class:`core.contract.Roles` (facts; the verdict is here):

    - staff: the console operator; on a platform that hosts staff, its listed staff,
      else the members of its staff group, else the members of its desk channel once
      the adapter has shown that channel to be private (:meth:`record_desk_facts`).
      Until one of these is known, nobody there is staff, and a desk without any of
      them refuses to start (:meth:`record_desk_facts` raises);
    - escalate: staff, a listed moderator, or a platform moderator;
    - change the FAQ: the listed FAQ admins, or whoever may act as staff;
    - change the snippets (canned replies staff send): staff, and when FAQ admins
      are listed only those staff who are also FAQ admins (the same people vouch
      for what the bot says in the company's name).
    """

    def __init__(self, settings: Settings, roles: Iterable[Roles] | None = None) -> None:
        self.console_operator = settings.console_operator
        found = list(contributed_roles(settings) if roles is None else roles)
        self.hosts = {r.platform: r for r in found if r.hosts_staff}
        self.faq_admins = frozenset(k for r in found for k in r.faq_admins)
        self.moderators = frozenset(k for r in found for k in r.moderators)
        self._members: dict[str, frozenset[str]] = {}  # platform -> group or private desk channel, once known

    @property
    def rotation(self) -> list[str]:
        """The listed staff of every platform hosting staff, in the order listed
        (round-robin assignment takes turns among them)."""
        return [key for r in self.hosts.values() for key in r.staff]

    def source(self, platform: str) -> str:
        """Where ``platform``'s staff come from: ``list``, ``group``, ``channel`` (or ``none``)."""
        roles = self.hosts.get(platform)
        if roles is None:
            return "none"
        if roles.staff:
            return "list"
        return "group" if roles.staff_group else "channel"

    def record_desk_facts(self, platform: str, *, members: Iterable[str] | None,
                          channel_private: bool | None = None) -> None:
        """What the adapter hosting staff found at start-up (or on a membership change).

        Args:
            members: the staff group's members (source ``group``) or the desk
                channel's members (source ``channel``); None when unknown.
            channel_private: for source ``channel``, whether the platform says the
                desk channel is private.

        Raises:
            ConfigError: the desk channel is public or missing, so its members
                cannot make anyone staff (one line, naming the settings to fix).
        """
        roles = self.hosts.get(platform)
        source = self.source(platform)
        if roles is None or source == "list":
            return
        if source == "channel" and channel_private is not True:
            self._members.pop(platform, None)
            raise ConfigError(
                f"{roles.staff_setting}: empty, {roles.group_setting} unset and {roles.channel_setting} is not a"
                f" private channel (anyone could act as staff); set {roles.staff_setting} or {roles.group_setting},"
                " or make the channel private")
        if members is None:
            self._members.pop(platform, None)
        else:
            self._members[platform] = frozenset(roles.keys(members))

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
        platform = actor.user.platform
        roles = self.hosts.get(platform)
        if roles is None:
            return Verdict.NOT_STAFF
        if roles.staff:
            return Verdict.ALLOWED if actor.key in roles.staff else Verdict.NOT_STAFF
        members = self._members.get(platform)
        if members is None or actor.key not in members:
            return Verdict.NOT_STAFF  # fail closed: no list, no group, no verified private channel
        if self.source(platform) == "channel" and not actor.in_desk_channel:
            return Verdict.DESK_ONLY  # staff by channel membership act from that channel
        return Verdict.ALLOWED
