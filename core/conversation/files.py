"""Files between a user and the desk, both ways, through the shield (issue 19).

From a user (:meth:`FileRelay.from_user`): the images of a private chat's
message are read by the shield first (:class:`core.conversation.images.ImageCheck`
calls this with each attachment's fate); a text file is fetched and scanned
like a message; a file that passed reaches the user's open ticket on the desk
(``desk_file``: the Slack desk uploads it into the ticket's thread). A file
from a group is never passed on (the check does not call this for one).
From staff (:meth:`FileRelay.from_staff`): a file shared in a ticket's thread
is fetched by the desk's fetcher, its image read by the same OCR, and sent to
the user where their replies go (``send_file`` / ``dm_file``).

Limits (``WALLETDESK_FILES_MAX_BYTES``, ``WALLETDESK_FILES_TYPES``) are checked
before anything is stored; a refusal is one line in the user's language (a
line in the ticket's thread for staff). The bytes are kept in the store's
``files`` table only until delivered; purge and forget remove what is left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.config import Settings
from core.conversation.images import Checked, ImageCheck
from core.i18n import t
from core.identity.policy import Actor, Permission, StaffPolicy
from core.models import FileBlob, InboundImage, InboundMessage, Ticket, TicketEvent
from core.shield.gate import TextSource, guard, guard_sender
from core.storage import SqlTx, Store
from core.support.desk import TicketDesk
from core.support.outbox import Effects
from core.support.relay import send_file_to_user
from core.support.users import remember_user

__all__ = ["TEXT_MAX_BYTES", "FileRelay", "base_type"]

_LOGGER = logging.getLogger(__name__)
_NAME_CHARS = 120
#: a text file is scanned like a message (about 3 s a megabyte): a log excerpt, not a dump
TEXT_MAX_BYTES = 256 * 1024


def base_type(content_type: str | None) -> str:
    """``image/png; charset=x`` -> ``image/png``."""
    return (content_type or "").split(";")[0].strip().lower()


@dataclass(slots=True)
class _Sorted:
    accepted: list[FileBlob]
    refused: list[tuple[str, str]]  # (file name, reason key: too_large, wrong_type, not_checked, secret)
    leak: tuple[str, ...] = ()


class FileRelay:
    """Args:
        images: the image shield (its fetchers and OCR worker are shared).
    """

    def __init__(self, settings: Settings, store: Store, desk: TicketDesk, policy: StaffPolicy, images: ImageCheck,
                 clock: Callable[[], float], wake: Callable[[], None]) -> None:
        self.settings = settings
        self.store = store
        self.desk = desk
        self.policy = policy
        self.images = images
        self.clock = clock
        self.wake = wake

    @property
    def _max_mb(self) -> str:
        return f"{self.settings.files_max_bytes / (1024 * 1024):g}"

    async def from_user(self, msg: InboundMessage, checked: list[Checked]) -> int:
        """A private chat's attachments after the image check; how many reached a ticket."""
        msg = guard_sender(msg)
        sorted_ = await self._sort(msg.chat.platform, checked)
        if sorted_.leak:  # a text file held a secret: what a photo of one gets
            await self.images.on_leak(msg, sorted_.leak)
            return 0
        now = self.clock()
        effects = Effects(f"file:{msg.event_key}")
        sent = 0
        async with self.store.transaction() as tx:
            if not await tx.claim_event(f"file:{msg.event_key}", now):
                return 0
            lang = await remember_user(tx, msg, None, now)
            for reason in dict.fromkeys(r for _, r in sorted_.refused):
                effects.send(msg.chat, t(f"files.{reason}", lang, max_mb=self._max_mb, max_kb=TEXT_MAX_BYTES // 1024),
                             reply_to=msg.message_id)
            ticket = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key)) if sorted_.accepted else None
            if sorted_.accepted and ticket is None:
                effects.send(msg.chat, t("files.no_ticket", lang), reply_to=msg.message_id)
            elif ticket is not None:
                user = msg.display_name or msg.user.key
                for blob in sorted_.accepted:
                    ticket = await self.desk.transition(tx, ticket, "user_message", msg.user.key,
                                                        f"[file] {blob.name}", now, effects)
                    file_id = await tx.save_file(ticket_id=ticket.id, user_key=msg.user.key, direction="to_desk",
                                                 blob=blob, now=now)
                    line = t("files.desk_user_file", "en", user=user, name=blob.name, size=_kb(blob))
                    effects.desk(self.desk.chat, "desk_file", ticket.id,
                                 {"file_id": file_id, "name": blob.name, "content_type": blob.content_type,
                                  "size": len(blob.data), "text": line})
                    sent += 1
                effects.send(msg.chat, t("files.relayed", lang, ticket_id=ticket.id), reply_to=msg.message_id)
            await effects.flush(tx, now)
        self.wake()
        return sent

    async def from_staff(self, actor: Actor, ticket_id: int, *, event_key: str, files: Sequence[InboundImage],
                         source_ref: str | None = None) -> int:
        """Files staff shared in a ticket's thread, to the user; how many were queued.
        ``source_ref``: the staff message, marked ✅ / ⚠️ once delivered (as a reply is).

        Raises:
            NotAllowed: the actor is not staff (nothing is fetched).
        """
        self.policy.require(actor, Permission.STAFF)
        sorted_ = await self._sort(self.desk.chat.platform, [(f, None, "not_image") for f in files])
        now = self.clock()
        effects = Effects(f"staff-file:{event_key}")
        async with self.store.transaction() as tx:
            ticket = await tx.get_ticket(ticket_id)
            if ticket is None or not await tx.claim_event(f"staff-file:{event_key}", now):
                return 0
            for name, reason in sorted_.refused:
                why = t(f"files.reason.{reason}", "en", max_mb=self._max_mb, max_kb=TEXT_MAX_BYTES // 1024,
                        kind=name.rsplit(".", 1)[-1])
                self.desk.post(effects, ticket.id, "system", t("files.desk_refused", "en", name=name, reason=why))
            for blob in sorted_.accepted:
                await self._to_user(tx, effects, ticket, actor, blob, now, source_ref)
            await effects.flush(tx, now)
        self.wake()
        return len(sorted_.accepted)

    async def _to_user(self, tx: SqlTx, effects: Effects, ticket: Ticket, actor: Actor, blob: FileBlob,
                       now: float, source_ref: str | None) -> None:
        file_id = await tx.save_file(ticket_id=ticket.id, user_key=ticket.user.key, direction="to_user",
                                     blob=blob, now=now)
        await tx.add_event(TicketEvent(ticket.id, "staff_file", actor.key, f"[file] {blob.name}", now))
        payload: dict[str, object] = {"file_id": file_id, "name": blob.name, "content_type": blob.content_type,
                                      "size": len(blob.data), "text": t("files.from_staff", ticket.lang)}
        if source_ref:
            payload["ack_ref"] = source_ref
        send_file_to_user(effects, ticket, payload)

    async def _sort(self, platform: str, checked: list[Checked]) -> _Sorted:
        """Which attachments may go on (with their bytes), which are refused and why."""
        out = _Sorted([], [])
        allowed = {base_type(x) for x in self.settings.files_types}
        limit = self.settings.files_max_bytes
        for image, data, status in checked:
            name = _name(image)
            kind = base_type(image.content_type)
            if kind not in allowed:
                out.refused.append((name, "wrong_type"))
                continue
            most = TEXT_MAX_BYTES if kind.startswith("text/") else limit
            too_large = "text_too_large" if kind.startswith("text/") else "too_large"
            if status == "too_large" or (image.size is not None and image.size > most):
                out.refused.append((name, too_large))
                continue
            if status == "not_image":  # a text file, or (from staff) anything: fetched and scanned here
                data, status = await self._fetch_and_scan(platform, image, kind, most, out)
            if status == "too_large" or (data is not None and len(data) > most):
                out.refused.append((name, too_large))
            elif status == "secret":
                out.refused.append((name, "secret"))
            elif status != "clean" or data is None:
                out.refused.append((name, "not_checked"))
            else:
                out.accepted.append(FileBlob(name, kind, data))
        return out

    async def _fetch_and_scan(self, platform: str, image: InboundImage, kind: str, limit: int,
                              out: _Sorted) -> tuple[bytes | None, str]:
        fetch = self.images.fetchers.get(platform)
        if fetch is None:
            return None, "no_fetcher"
        try:
            data = await fetch(image, limit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the platform's error, whatever its library
            _LOGGER.warning("files: %s file not downloaded: %s", platform, type(exc).__name__)
            return None, "fetch_failed"
        if len(data) > limit:
            return None, "too_large"
        if kind.startswith("text/"):
            # off the event loop: the other users' messages are answered meanwhile
            guarded = await asyncio.to_thread(guard, data.decode("utf-8", "replace"), TextSource.MESSAGE)
            if guarded.leak:
                out.leak = tuple(dict.fromkeys((*out.leak, *guarded.kinds)))
                return None, "secret"
            return data, "clean"
        if kind.startswith("image/"):
            verdict = await self.images.shield.scan_image(data)
            if verdict.leak:
                out.leak = tuple(dict.fromkeys((*out.leak, *verdict.kinds)))
                return None, "secret"
            return (data, "clean") if verdict.scanned else (None, verdict.status)
        return None, "not_checked"  # a type the shield cannot read is never passed on


def _name(image: InboundImage) -> str:
    """The file's name as it may be shown and stored: through the shield, one short line."""
    raw = " ".join((image.name or "file").split())[:_NAME_CHARS] or "file"
    return guard(raw, TextSource.MESSAGE).text.replace("/", "_")


def _kb(blob: FileBlob) -> str:
    return f"{max(1, round(len(blob.data) / 1024))}"
