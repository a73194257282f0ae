"""The images users post, through the shield: read by OCR off the event loop,
and a photo of a recovery phrase or key removed like a pasted one.

The adapter announces a message's images (:class:`core.models.InboundImage`:
a handle, a type, a size) and registers, per platform, a fetcher that turns
one into bytes (Telegram ``getFile`` and the file URL, a Discord attachment
URL, Slack's ``url_private`` with the bot token). :meth:`ImageCheck.submit`
schedules the check and returns at once, so the platform's update loop (and
every other user's text) never waits for an image: the download and the OCR
(:class:`core.shield.images.ImageShield`, a worker process started on the
first image) happen in a tracked task. A leak goes back to the dialogue
(:meth:`core.conversation.dialogue.Dialogue.image_leaked`), which deletes and
warns exactly as for a text.

Nothing is kept here: the bytes live in memory until the verdict and the
recognised text is never stored or logged. In a private chat, every
attachment's fate (a clean image with its bytes, a file that is no image, one
too large or unread) goes on to ``relay`` (:class:`core.conversation.files.FileRelay`:
the user's ticket on the desk); from a group, nothing goes further. An image that cannot be read
(too large, not an image, OCR timeout) is logged by its status only.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable

from core.models import InboundImage, InboundMessage
from core.shield.images import ImageShield, ImageVerdict

__all__ = ["IMAGE_TYPES", "MAX_IMAGE_BYTES", "Checked", "ImageCheck", "ImageFetcher", "LeakHandler", "RelayHandler",
           "is_image"]

_LOGGER = logging.getLogger(__name__)

#: Larger images are not downloaded (a log line says so): a phone screenshot or
#: photo is well under it, and Telegram sends photos at 1280 px.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: What OCR reads (Pillow decodes these); other files are not images here.
IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/webp", "image/gif", "image/bmp",
                         "image/tiff", "image/heic", "image/heif"})

#: ``fetch(image, limit)``: the image's bytes; a platform that streams stops
#: after ``limit + 1`` bytes (the check then refuses it as too large).
ImageFetcher = Callable[[InboundImage, int], Awaitable[bytes]]
#: ``on_leak(message, kinds)``: an image of the message held these secrets.
LeakHandler = Callable[[InboundMessage, tuple[str, ...]], Awaitable[object]]
#: one attachment after the check: the attachment, its bytes (a clean image only), a status
#: (``clean``, ``not_image``, ``too_large``, ``fetch_failed``, ``no_fetcher`` or the OCR's)
Checked = tuple[InboundImage, bytes | None, str]
#: ``relay(message, checked)``: a private chat's attachments, none of which held a secret
RelayHandler = Callable[[InboundMessage, list[Checked]], Awaitable[object]]


def is_image(content_type: str | None) -> bool:
    """A content type the shield reads (``image/png; charset=...`` included)."""
    return bool(content_type) and content_type.split(";")[0].strip().lower() in IMAGE_TYPES  # type: ignore[union-attr]


class ImageCheck:
    """The shield for images; one per process.

    Args:
        on_leak: what a leak does (the dialogue's: delete, warn, once per message).
        shield: the OCR worker (one is made, started on the first image, when omitted).
        max_bytes: images announced or fetched larger than this are skipped.
    """

    def __init__(self, on_leak: LeakHandler, *, shield: ImageShield | None = None,
                 max_bytes: int = MAX_IMAGE_BYTES) -> None:
        self.on_leak = on_leak
        self.relay: RelayHandler | None = None  # where a private chat's checked attachments go
        self.max_bytes = max_bytes
        self.shield = shield or ImageShield(max_bytes=max_bytes)
        #: platform -> fetcher, set by each adapter when it starts
        self.fetchers: dict[str, ImageFetcher] = {}
        #: how many images ended how (``scanned``, ``leak``, ``too_large``, ``fetch_failed``...): logs, tests
        self.statuses: collections.Counter[str] = collections.Counter()
        #: a test hook: when set, every check waits on it after the download, before OCR
        self.hold: asyncio.Event | None = None
        self.held = 0  # checks waiting on ``hold`` now
        self._tasks: set[asyncio.Task[None]] = set()
        self._keys: set[str] = set()
        self._closed = False

    @property
    def in_flight(self) -> int:
        """Messages whose images are being checked now."""
        return len(self._tasks)

    def submit(self, msg: InboundMessage) -> bool:
        """Check ``msg``'s images in the background (False: nothing to do, or already being checked)."""
        if self._closed or not msg.images or msg.event_key in self._keys:
            return False
        self._keys.add(msg.event_key)
        task = asyncio.create_task(self._check(msg), name=f"image-check {msg.event_key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the checks in flight (tests; a graceful stop)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)

    async def aclose(self) -> None:
        """Stop: checks in flight are cancelled (their images are not relayed
        anywhere, so nothing unchecked escapes) and the OCR worker shut down."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _LOGGER.info("image check: %d image checks cancelled at shutdown", len(tasks))
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.shield.aclose()

    async def _check(self, msg: InboundMessage) -> None:
        try:
            keep = self.relay is not None and msg.chat.is_private
            checked: list[Checked] = []
            for n, image in enumerate(msg.images):
                verdict, data, status = await self._scan(msg, n, image)
                if verdict is not None and verdict.leak:
                    self.statuses["leak"] += 1
                    await self.on_leak(msg, verdict.kinds)
                    _LOGGER.info("image check: %s held a secret (%s)", msg.event_key, ", ".join(verdict.kinds))
                    return  # the message is deleted: its other images with it
                checked.append((image, data if keep and status == "clean" else None, status))
                del data
            if keep and self.relay is not None:
                await self.relay(msg, checked)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a store failure, a bug: logged, never raised into the loop
            _LOGGER.error("image check: %s failed: %s", msg.event_key, type(exc).__name__, exc_info=exc)
        finally:
            self._keys.discard(msg.event_key)

    async def _scan(self, msg: InboundMessage, n: int,
                    image: InboundImage) -> tuple[ImageVerdict | None, bytes | None, str]:
        where = f"{msg.event_key} image {n + 1}"
        if not is_image(image.content_type):
            self.statuses["not_image"] += 1
            return None, None, "not_image"
        if image.size is not None and image.size > self.max_bytes:
            self.statuses["too_large"] += 1
            _LOGGER.info("image check: %s not read: %d bytes, over the %d byte limit", where, image.size,
                         self.max_bytes)
            return None, None, "too_large"
        fetch = self.fetchers.get(msg.chat.platform)
        if fetch is None:
            self.statuses["no_fetcher"] += 1
            _LOGGER.warning("image check: %s not read: no fetcher for %s", where, msg.chat.platform)
            return None, None, "no_fetcher"
        try:
            data = await fetch(image, self.max_bytes)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the platform's error, whatever its library: the image is unchecked
            self.statuses["fetch_failed"] += 1
            _LOGGER.warning("image check: %s not downloaded: %s", where, type(exc).__name__)
            return None, None, "fetch_failed"
        if self.hold is not None:
            self.held += 1
            try:
                await self.hold.wait()
            finally:
                self.held -= 1
        verdict = await self.shield.scan_image(data)
        if not verdict.scanned:
            self.statuses[verdict.status] += 1
            _LOGGER.info("image check: %s not read: %s", where, verdict.status)
            return verdict, None, verdict.status
        if verdict.leak:
            return verdict, None, "leak"
        self.statuses["clean"] += 1
        return verdict, data, "clean"  # the caller keeps it only for a private chat's relay
