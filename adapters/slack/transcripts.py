"""``/ticket N transcript`` and ``/ticket N export [text|json|html]`` on Slack.

The transcript comes back as an ephemeral message when it is short, else (and an
export always) as a file uploaded into the staff member's own conversation with
the bot, so nobody else in the channel sees it. Who may ask is the core's staff
policy; the text is the core's redacted transcript (``core.ops.transcript``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import api_error_code
from adapters.slack.text import escape
from adapters.slack.translate import parse_ticket_id
from core.errors import InvalidInput, NotFound, WalletdeskError
from core.i18n import t
from core.identity.policy import Actor, NotAllowed

if TYPE_CHECKING:
    from core.use_cases import UseCases

__all__ = ["EPHEMERAL_LIMIT", "SlackTranscripts", "TranscriptRequest", "transcript_request"]

_LOGGER = logging.getLogger(__name__)

EPHEMERAL_LIMIT = 3500  # longer transcripts go as a file (Slack folds long messages anyway)
_WORDS = ("transcript", "export")
_EXT = {"text": "txt", "json": "json", "html": "html"}


@dataclass(frozen=True, slots=True)
class TranscriptRequest:
    user: str
    channel: str | None
    ticket_id: int
    verb: str  # transcript | export
    fmt: str


def transcript_request(form: Mapping[str, Any]) -> TranscriptRequest | str | None:
    """``/ticket N transcript`` or ``/ticket N export [format]``: the request; with a
    bad ticket id, the usage key; anything else: None (another ``/ticket`` action)."""
    if str(form.get("command", "")).lstrip("/") != "ticket":
        return None
    parts = str(form.get("text", "")).strip().split()
    if len(parts) < 2 or parts[1].lower() not in _WORDS:
        return None
    ticket_id = parse_ticket_id(parts[0])
    user = str(form.get("user_id", ""))
    if ticket_id is None or not user or len(parts) > 3:
        return "home.transcript_usage"
    verb = parts[1].lower()
    fmt = parts[2].lower() if len(parts) > 2 else "text"
    channel = form.get("channel_id")
    return TranscriptRequest(user, str(channel) if channel else None, ticket_id, verb, fmt)


Say = Callable[[str, str, str], Awaitable[None]]  # (channel, user, text): an ephemeral line


class SlackTranscripts:
    def __init__(self, core: "UseCases", client: AsyncWebClient, actor: Callable[[str, str | None], Actor],
                 lang: Callable[[str], Awaitable[str]]) -> None:
        self.core = core
        self.client = client
        self.actor = actor
        self.lang = lang

    async def answer(self, req: TranscriptRequest, say: Say) -> None:
        lang = await self.lang(req.user)
        where = req.channel or ""
        try:
            body = await self.core.transcripts.export(self.actor(req.user, req.channel), req.ticket_id, req.fmt)
        except NotAllowed as exc:
            await say(where, req.user, t(exc.key or "policy.not_staff", lang))
            return
        except (InvalidInput, NotFound) as exc:
            await say(where, req.user, t(exc.key or "error.generic", lang, **exc.params))
            return
        if req.verb == "transcript" and len(body) <= EPHEMERAL_LIMIT:
            await say(where, req.user, f"```\n{escape(body).replace('```', 'ʼʼʼ')}```")  # no mention, no fence
            return
        try:
            await self._upload(req, body, lang)
        except (SlackApiError, WalletdeskError, asyncio.TimeoutError, OSError) as exc:
            code = api_error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
            _LOGGER.warning("slack: transcript upload failed: %s", code)
            await say(where, req.user, t("home.upload_failed", lang, error=code))
            return
        await say(where, req.user, t("home.uploaded", lang, ticket_id=req.ticket_id))

    async def _upload(self, req: TranscriptRequest, body: str, lang: str) -> None:
        """Into the staff member's own conversation with the bot."""
        opened = await self.client.conversations_open(users=req.user)
        dm = str((opened.get("channel") or {}).get("id") or "")
        if not dm:
            raise InvalidInput("no private conversation with the staff member", key="home.upload_failed")
        name = f"ticket-{req.ticket_id}.{_EXT.get(req.fmt, 'txt')}"
        await self.client.files_upload_v2(channel=dm, content=body, filename=name,
                                          title=t("home.file_title", lang, ticket_id=req.ticket_id),
                                          initial_comment=t("home.file_comment", lang, ticket_id=req.ticket_id))
