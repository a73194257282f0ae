"""The App Home tab: on ``app_home_opened`` the bot publishes (``views.publish``)
the queue at a glance to a staff member (counts by state and priority, SLA
breaching, the most urgent active tickets with a link to each one's desk
thread) and a short note to anyone else. Who is staff is the core policy's
verdict; the data is the core's (:mod:`core.support.overview`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import api_error_code
from adapters.slack.text import escape
from core.i18n import t
from core.identity.policy import Actor, NotAllowed
from core.models import Ticket, UserRef
from core.support.digest import by_priority
from core.support.overview import Overview
from core.support.relay import fmt_time

if TYPE_CHECKING:
    from core.use_cases import UseCases

__all__ = ["SlackHome", "home_view", "thread_link"]

_LOGGER = logging.getLogger(__name__)
HOME_EVENT = "app_home_opened"


def thread_link(workspace_url: str, channel: str | None, ticket: Ticket) -> str | None:
    """The permalink of the ticket's root message in the staff channel."""
    if not workspace_url or not channel or not ticket.desk_ref:
        return None
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ticket.desk_ref.replace('.', '')}"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def home_view(ov: Overview, lang: str, now: float, link: Callable[[Ticket], str | None]) -> dict[str, Any]:
    states = {s: ov.by_state.get(s, 0) for s in ("open", "claimed", "waiting_on_user")}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t("home.title", lang)}},
        _section(t("home.by_state", lang, **states) + "\n"
                 + t("home.by_priority_line", lang, priorities=by_priority(ov.by_priority, lang))),
        _section(t("home.breaching", lang, breaching=ov.breaching, breached=ov.breached)),
        {"type": "divider"},
    ]
    if not ov.top:
        blocks.append(_section(t("home.empty", lang)))
    else:
        blocks.append(_section(t("home.top", lang, count=len(ov.top))))
        for ticket, line in ov.top:
            block = _section(escape(line))
            url = link(ticket)
            if url:
                block["accessory"] = {"type": "button", "text": {"type": "plain_text", "text": t("home.open", lang)},
                                      "url": url, "action_id": f"wd_home_open_{ticket.id}"}
            blocks.append(block)
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": t("home.updated", lang, at=fmt_time(now))}]})
    return {"type": "home", "blocks": blocks}


class SlackHome:
    def __init__(self, core: "UseCases", client: AsyncWebClient, lang: Callable[[str], Awaitable[str]],
                 staff_channel: str | None) -> None:
        self.core = core
        self.client = client
        self.lang = lang
        self.staff_channel = staff_channel
        self.workspace_url = ""  # set once auth.test named it

    async def opened(self, event: Mapping[str, Any]) -> None:
        """``app_home_opened``; the Messages tab opening is ignored. Failures are logged."""
        user = str(event.get("user") or "")
        if not user or event.get("tab", "home") != "home":
            return
        lang = await self.lang(user)
        try:
            ov = await self.core.overview.overview(Actor(UserRef("slack", user)), lang)
        except NotAllowed as exc:
            key = "home.not_staff" if exc.key in (None, "policy.not_staff") else exc.key
            view: dict[str, Any] = {"type": "home", "blocks": [_section(t(key, lang))]}
        else:
            view = home_view(ov, lang, self.core.clock(),
                             lambda tk: thread_link(self.workspace_url, self.staff_channel, tk))
        try:
            await self.client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            _LOGGER.warning("slack: views.publish failed: %s", api_error_code(exc))
        except (asyncio.TimeoutError, OSError) as exc:
            _LOGGER.warning("slack: views.publish failed: %s", type(exc).__name__)
