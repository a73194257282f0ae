"""Slack events and interactions -> core calls.

Three sources, one rule each:

* a person's message outside the staff channel is a community / DM message
  (:meth:`SlackInbound.message` -> ``core.handle_message``);
* a person's reply in the thread of a ticket's root message in the staff
  channel is a staff reply (``core.staff.act(..., "reply")``);
* buttons, the priority select and ``/note`` / ``/ticket`` are staff actions;
  ``/block`` / ``/unblock`` block a user by name (``core.blocking``).

Who is staff is the core policy's verdict (``core.identity.policy``; it fails
closed), from facts gathered in ``adapters/slack/staff.py``. Refusals and the core's one-line errors go back
to the staff member as an ephemeral message; nothing else changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.text import escape, to_plain
from adapters.slack.transcripts import SlackTranscripts, transcript_request
from adapters.slack.translate import (
    FaqRequest,
    StaffRequest,
    block_request_from_command,
    community_message,
    edited_message,
    faq_request_from_command,
    images,
    message_key,
    request_from_action,
    request_from_command,
    staff_key,
    staff_thread_reply,
    thread_snippet,
)
from core.errors import InvalidInput, NotFound, StoreError, WalletdeskError
from core.faq.files import FaqFileError
from core.i18n import pick_lang, t
from core.identity.policy import Actor, NotAllowed, Permission
from core.models import UserRef

if TYPE_CHECKING:
    from core.models import Ticket
    from core.use_cases import UseCases

__all__ = ["Profile", "ProfileCache", "SlackInbound"]

_LOGGER = logging.getLogger(__name__)

_PROFILE_TTL = 3600.0
_PROFILE_MAX = 5000
_PROFILE_TIMEOUT = 1.0  # a message event is answered before Slack gets its 200: stay well inside its 3 s
_ERROR_CHARS = 300
_YOUNG_THREAD_SECONDS = 10.0
_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.3, 0.4)  # ~1 s in all, within Slack's 3 s for an event

_TRANSLATED_REFUSALS = ("snippet.", "tag.")  # i18n keys of refusals shown in the staff member's language

Respond = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Profile:
    display_name: str = ""
    locale: str | None = None


class ProfileCache:
    """``users.info`` (with locale) per user, cached; a failed lookup is an empty profile."""

    def __init__(self, client: AsyncWebClient, *, ttl: float = _PROFILE_TTL, max_size: int = _PROFILE_MAX) -> None:
        self.client = client
        self.ttl = ttl
        self.max_size = max_size
        self._cache: OrderedDict[str, tuple[Profile, float]] = OrderedDict()

    async def get(self, user: str) -> Profile:
        cached = self._cache.get(user)
        now = time.monotonic()
        if cached and now - cached[1] < self.ttl:
            self._cache.move_to_end(user)
            return cached[0]
        try:
            resp = await asyncio.wait_for(self.client.users_info(user=user, include_locale=True), _PROFILE_TIMEOUT)
            info = resp.get("user") or {}
        except (SlackApiError, asyncio.TimeoutError, OSError) as exc:
            _LOGGER.info("slack: users.info failed for a user: %s", type(exc).__name__)
            return cached[0] if cached else Profile()
        except Exception as exc:  # a profile is a nicety; never lose the message over it
            _LOGGER.warning("slack: users.info failed: %s", type(exc).__name__)
            return cached[0] if cached else Profile()
        profile_obj = info.get("profile") or {}
        name = str(profile_obj.get("display_name") or profile_obj.get("real_name") or info.get("real_name")
                   or info.get("name") or "")
        profile = Profile(name, info.get("locale") or None)
        self._cache[user] = (profile, now)
        if len(self._cache) > self.max_size:
            self._cache.popitem(last=False)
        return profile


class SlackInbound:
    """Turns bolt payloads into core calls.

    Args:
        core: the support core.
        client: the Web API client (profiles, ephemeral messages).
        staff_channel: the staff desk's channel id (None: no desk on Slack).
    """

    def __init__(self, core: "UseCases", client: AsyncWebClient, *, staff_channel: str | None) -> None:
        self.core = core
        self.client = client
        self.staff_channel = staff_channel
        self.profiles = ProfileCache(client)
        self.transcripts = SlackTranscripts(core, client, self.actor, self._lang)

    # messages ------------------------------------------------------------------------

    async def message(self, event: Mapping[str, Any], *, bot_user_id: str, mention_event: bool = False) -> None:
        """A message (or app_mention) event. Store errors propagate so that bolt
        answers 500 and Slack redelivers; the core's event key makes that safe."""
        channel = event.get("channel")
        edit = edited_message(event)
        if channel and channel == self.staff_channel:
            # (the bot's own uploads into a ticket's thread come back as file_share messages)
            if not mention_event and edit is None and event.get("user") != bot_user_id:  # staff edit their words in Slack; the user has the reply
                await self._staff_message(event)
            return
        if edit is not None:  # an edit passes the shield like a new message; nothing answers it
            event = edit[0]
        if event.get("user") == bot_user_id:
            return
        probe = community_message(event, bot_user_id=bot_user_id, mention_event=mention_event)
        if probe is None or not (probe.text.strip() or probe.images):
            return
        # every message reaches the core, addressed or not: the shield and the
        # impostor check run on all of them (the core decides whether to answer)
        profile = await self.profiles.get(probe.user.user_id)
        msg = community_message(event, bot_user_id=bot_user_id, display_name=profile.display_name,
                                locale=profile.locale, mention_event=mention_event,
                                can_delete=self.core.settings.slack_admin_user_token is not None)
        assert msg is not None
        if edit is not None:  # an edit changes the words, never the files: they were checked
            msg = dataclasses.replace(msg, event_key=edit[1], addressed=False, images=())
        try:
            await self.core.dialogue.handle_message(msg)
        except StoreError:
            raise
        except WalletdeskError as exc:
            _LOGGER.warning("slack: message %s rejected: %s", msg.event_key, type(exc).__name__)

    async def _staff_message(self, event: Mapping[str, Any]) -> None:
        reply = staff_thread_reply(event)
        if reply is None:
            return  # top-level chatter in the staff channel
        thread_ts, ts = reply
        ticket = await self._ticket_of_thread(thread_ts)
        if ticket is None:
            return  # a thread that is not a ticket
        user, channel = str(event["user"]), str(event["channel"])
        text = to_plain(str(event.get("text") or "")).strip()
        shared = images(event)
        if not text and not shared:
            return
        snippet = thread_snippet(text) if text else None  # "!snippet <name>": that snippet goes out instead
        try:
            if text:
                actor = self.actor(user, channel) if snippet is None else await self._named_actor(user, channel)
                await self.core.staff.act(actor, ticket.id, "reply" if snippet is None else "snippet",
                                          event_key=message_key(channel, ts), text=text if snippet is None else snippet,
                                          source_ref=ts)
            if shared:  # files staff share in the thread go to the user (fetched with the bot token)
                await self.core.files.from_staff(self.actor(user, channel), ticket.id,
                                                 event_key=message_key(channel, ts), files=shared, source_ref=ts)
        except NotAllowed as exc:
            await self.ephemeral(channel, user, await self._refusal(user, exc), thread_ts=thread_ts)
        except WalletdeskError as exc:
            if isinstance(exc, StoreError) and not isinstance(exc, NotFound):
                raise
            await self.ephemeral(channel, user, await self._failure(user, exc), thread_ts=thread_ts)

    async def _ticket_of_thread(self, thread_ts: str) -> "Ticket | None":
        """The ticket whose root is ``thread_ts``. A root posted moments ago may not
        have its ts stored yet (the outbox records it right after Slack answers), so
        for a young thread the lookup is retried for up to a second."""
        ticket = await self.core.ticket_for_desk_ref(thread_ts)
        try:
            young = time.time() - float(thread_ts) < _YOUNG_THREAD_SECONDS
        except ValueError:
            young = False
        for delay in (_RETRY_DELAYS if ticket is None and young else ()):
            await asyncio.sleep(delay)
            ticket = await self.core.ticket_for_desk_ref(thread_ts)
            if ticket is not None:
                break
        return ticket

    # staff actions -----------------------------------------------------------------------

    def actor(self, user: str, channel: str | None) -> Actor:
        """The facts the core's staff policy decides on."""
        return Actor(UserRef("slack", user), in_desk_channel=bool(channel) and channel == self.staff_channel)

    async def _named_actor(self, user: str, channel: str | None) -> Actor:
        """:meth:`actor` with the staff member's Slack display name (a snippet's ``{agent}``)."""
        return dataclasses.replace(self.actor(user, channel), display_name=(await self.profiles.get(user)).display_name)

    async def action(self, body: Mapping[str, Any], respond: Respond | None = None) -> None:
        """A button or the priority select on a ticket's root message (already acked)."""
        request = request_from_action(body)
        if request is None:
            _LOGGER.info("slack: ignored an interaction that is not a ticket action")
            return
        await self._staff_request(request, respond)

    async def command(self, form: Mapping[str, Any], respond: Respond | None = None) -> None:
        """``/note``, ``/ticket``, ``/tickets``, ``/snippet`` or ``/shift`` (already acked)."""
        user, channel = str(form.get("user_id", "")), str(form.get("channel_id", ""))
        name = str(form.get("command", "")).lstrip("/")
        if name == "tickets":
            await self.ephemeral(channel, user, await self._queue(user, channel, str(form.get("text", ""))),
                                 respond=respond)
            return
        if str(form.get("command", "")).lstrip("/") in ("block", "unblock"):
            await self.ephemeral(channel, user, await self._block(form), respond=respond)
            return
        asked = transcript_request(form)  # /ticket N transcript | export [format]
        if asked is not None:
            if isinstance(asked, str):
                await self.ephemeral(channel, user, t(asked, await self._lang(user)), respond=respond)
            else:
                async def say(where: str, who: str, text: str) -> None:
                    await self.ephemeral(where, who, text, respond=respond)
                await self.transcripts.answer(asked, say)
            return
        if name in ("snippet", "shift"):
            await self.ephemeral(channel, user, await self._desk_book(name, user, channel, str(form.get("text", ""))),
                                 respond=respond)
            return
        parsed = request_from_command(form)
        if isinstance(parsed, str):
            await self.ephemeral(channel, user, t(parsed, await self._lang(user)), respond=respond)
            return
        await self._staff_request(parsed, respond)

    async def _queue(self, user: str, channel: str, text: str) -> str:
        lang = await self._lang(user)
        try:
            return escape(await self.core.queue.listing(self.actor(user, channel), to_plain(text), lang))
        except NotAllowed as exc:
            return await self._refusal(user, exc)
        except InvalidInput as exc:
            return escape(t(exc.key or "error.generic", lang, **exc.params))

    async def _block(self, form: Mapping[str, Any]) -> str:
        """``/block <user> [reason]``, ``/block`` (who is blocked, why, by whom), ``/unblock <user>``."""
        user, channel = str(form.get("user_id", "")), str(form.get("channel_id", ""))
        lang = await self._lang(user)
        req = block_request_from_command(form)
        if isinstance(req, str):
            return t(req, lang)
        verb, who, reason = req
        actor, key = self.actor(user, channel), f"slack:cmd:{form.get('trigger_id', '')}"
        try:
            if verb == "list":
                return escape(await self.core.blocking.listing(actor, lang))
            if verb == "block":
                return escape(t("abuse.blocked_done", lang,
                                user=await self.core.blocking.block(actor, who, reason, event_key=key)))
            return escape(t("abuse.unblocked_done", lang, user=await self.core.blocking.unblock(actor, who, event_key=key)))
        except NotAllowed as exc:
            return await self._refusal(user, exc)
        except InvalidInput as exc:
            return escape(t(exc.key or "error.generic", lang, **exc.params))

    async def _desk_book(self, command: str, user: str, channel: str, text: str) -> str:
        """``/snippet ...`` (the core answers every case with one line) or ``/shift on|off|status``."""
        lang = await self._lang(user)
        actor = self.actor(user, channel)
        if command == "snippet":
            return escape(await self.core.snippets.command(actor, to_plain(text), lang))
        try:
            return escape(await self.core.assignment.shift(actor, to_plain(text), lang))
        except NotAllowed as exc:
            return await self._refusal(user, exc)

    # the FAQ -------------------------------------------------------------------------------

    async def faq_command(self, form: Mapping[str, Any], respond: Respond | None = None) -> None:
        """``/faq ...`` (already acked); every answer is an ephemeral line."""
        req = faq_request_from_command(form)
        user, channel = str(form.get("user_id", "")), str(form.get("channel_id", ""))
        lang = await self._lang(user)
        if isinstance(req, str):
            await self.ephemeral(channel, user, t(req, lang), respond=respond)
            return
        await self.ephemeral(channel, user, await self._faq_answer(req, lang), respond=respond)

    async def _faq_answer(self, req: FaqRequest, lang: str) -> str:
        core = self.core
        if req.verb == "ids":
            return t("faqadmin.ids", lang, ids=", ".join(e.id for e in core.answers.entries))
        if req.verb == "ask":
            try:
                match = core.answers.ask(req.text)
            except ValueError:  # nothing the engine can read (only symbols, say)
                return t("faqadmin.usage", lang)
            confidence = f"{match.confidence:.2f}"
            if match.answered and match.answer:
                return t("faqadmin.preview", lang, entry=match.id, confidence=confidence, answer=match.answer)
            return t("faqadmin.preview_none", lang, entry=match.id or "-", confidence=confidence)
        if not self.core.policy.allows(self.actor(req.user, req.channel), Permission.EDIT_FAQ):
            return t("faqadmin.not_admin", lang)
        try:
            if req.verb == "added":
                rows = await core.answers.recent_phrasings()
                if not rows:
                    return t("faqadmin.added_none", lang)
                items = "; ".join(f"#{r.id} {r.entry_id}: “{r.text}”" for r in rows)
                return t("faqadmin.added_list", lang, items=items)
            if req.verb == "remove":
                assert req.ticket_id is not None
                row = await core.answers.remove_phrasing(staff_key(req.user), req.ticket_id)
                return t("faqadmin.removed", lang, phrasing_id=req.ticket_id, entry=row.entry_id, text=row.text)
            if req.verb == "reload":
                await core.answers.reload()
                entries = core.answers.entries
                return t("faqadmin.reloaded", lang, entries=len(entries),
                         questions=sum(len(e.all_questions()) for e in entries))
            added = await core.answers.add_phrasing(staff_key(req.user), req.entry_id, req.text, ticket_id=req.ticket_id)
        except FaqFileError as exc:
            return t("faqadmin.reload_failed", lang, error=exc.problem)
        except WalletdeskError as exc:
            if exc.key and exc.key.startswith("faqadmin."):
                return t(exc.key, lang, **exc.params)
            if isinstance(exc, StoreError):
                raise
            return await self._failure(req.user, exc)
        return t("faqadmin.added", lang, entry=added.entry_id, lang=added.lang, text=added.text,
                 examples=added.examples)

    async def _staff_request(self, req: StaffRequest, respond: Respond | None) -> None:
        channel = req.channel or self.staff_channel or ""
        actor = (await self._named_actor(req.user, req.channel) if req.action in ("snippet", "canned")
                 else self.actor(req.user, req.channel))
        try:
            await self.core.staff.act(actor, req.ticket_id, req.action,
                                      event_key=req.event_key, text=req.text, priority=req.priority, to=req.to)
        except NotAllowed as exc:
            await self.ephemeral(channel, req.user, await self._refusal(req.user, exc), respond=respond)
        except WalletdeskError as exc:
            await self.ephemeral(channel, req.user, await self._failure(req.user, exc), respond=respond)

    # replies to staff -----------------------------------------------------------------------

    async def _lang(self, user: str) -> str:
        return pick_lang((await self.profiles.get(user)).locale)

    async def _refusal(self, user: str, exc: NotAllowed) -> str:
        return t(exc.key or "policy.not_staff", await self._lang(user))

    async def _failure(self, user: str, exc: WalletdeskError) -> str:
        lang = await self._lang(user)
        if exc.key and exc.key.startswith(_TRANSLATED_REFUSALS):  # the desk's own data: refused in their language
            return t("slack.action_failed", lang, error=escape(t(exc.key, lang, **exc.params)))
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if len(reason) > _ERROR_CHARS:
            reason = reason[: _ERROR_CHARS - 1] + "…"
        return t("slack.action_failed", lang, error=reason)

    async def ephemeral(self, channel: str, user: str, text: str, *, thread_ts: str | None = None,
                        respond: Respond | None = None) -> None:
        """One line only ``user`` sees; through ``response_url`` when the bot cannot
        post in ``channel``. Failures are logged, never raised."""
        try:
            if not channel:
                raise ValueError("no channel")
            await self.client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
            return
        except (SlackApiError, ValueError, asyncio.TimeoutError, OSError) as exc:
            if respond is None:
                _LOGGER.warning("slack: ephemeral reply failed: %s", type(exc).__name__)
                return
        try:
            await respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception as exc:  # the staff member just won't see the line
            _LOGGER.warning("slack: response_url reply failed: %s", type(exc).__name__)
