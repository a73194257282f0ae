"""Facts about who is staff on Slack, gathered for the core's staff policy.

The policy (``core.identity.policy``) decides; this module only asks Slack what
the policy needs: the members of ``SLACK_STAFF_GROUP`` (``usergroups.users.list``)
or, without a list or a group, whether the staff channel is private and who is
in it (``conversations.info``, ``conversations.members``). A failure that will
not heal (no such group, no such channel, a public channel) is a
:class:`core.errors.ConfigError` and start-up stops with its one line; a
transient one leaves the members unknown, so nobody on Slack is staff until the
next refresh (fail closed).
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import api_error_code
from core.errors import ConfigError
from core.identity.policy import StaffPolicy

__all__ = ["refresh_staff_facts"]

_LOGGER = logging.getLogger(__name__)
_GONE = frozenset({"no_such_subteam", "channel_not_found", "invalid_arguments", "missing_scope"})
_MAX_PAGES = 50


async def _channel_members(client: AsyncWebClient, channel: str) -> list[str]:
    members: list[str] = []
    cursor = ""
    for _ in range(_MAX_PAGES):
        resp = await client.conversations_members(channel=channel, limit=1000, cursor=cursor or None)
        members += [str(m) for m in resp.get("members") or []]
        cursor = str((resp.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            break
    return members


async def refresh_staff_facts(client: AsyncWebClient, policy: StaffPolicy, staff_channel: str | None) -> None:
    """Report to ``policy`` what Slack says about its staff source.

    Raises:
        ConfigError: the group or channel does not exist, or the channel is public.
    """
    source = policy.source("slack")
    if source == "list":
        return
    try:
        if source == "group":
            resp = await client.usergroups_users_list(usergroup=policy.hosts["slack"].staff_group)
            policy.record_desk_facts("slack", members=[str(u) for u in resp.get("users") or []])
        else:
            if not staff_channel:
                return  # no desk on Slack: nobody there is staff
            info = (await client.conversations_info(channel=staff_channel)).get("channel") or {}
            private = bool(info.get("is_private")) and not info.get("is_im") and not info.get("is_mpim")
            members = await _channel_members(client, staff_channel) if private else None
            policy.record_desk_facts("slack", members=members, channel_private=private)
    except SlackApiError as exc:
        code = api_error_code(exc)
        if code in _GONE:
            name = "SLACK_STAFF_GROUP" if source == "group" else "SLACK_STAFF_CHANNEL"
            raise ConfigError(f"{name}: Slack refused to list its members ({code}); nobody can act as staff")
        _LOGGER.warning("slack: could not list the staff (%s); nobody is staff until it works", code)
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        _LOGGER.warning("slack: could not list the staff (%s); nobody is staff until it works", type(exc).__name__)
