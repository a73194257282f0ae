"""Images through the shield: text read by OCR in a worker process, scanned like a message.

A photo of a written-down recovery phrase is a leak like a pasted one.
:func:`scan_image` (or :meth:`ImageShield.scan_image`) reads the image's text
with OCR and scans it with :func:`core.shield.phrases.scan`, so a photo with a
phrase or key gets the same verdict (and the same deletion and warning) as
the text would.

Where the work happens.  OCR (RapidOCR, ~600 MB resident with its models)
runs in one worker process started on demand (``spawn``, so nothing of the
main process is inherited, and the main process never imports onnxruntime,
OpenCV or the models: :mod:`core.shield.ocr_worker` is the child's side).
The event loop only awaits a future: text messages never wait for an image.
Images queue for the one worker; each has its own timeout once it is the
worker's turn (the first one also gets the worker's start-up time).  A
worker that overruns is killed and the next image starts a fresh one.  An
idle worker is shut down after ``idle_seconds``; :meth:`ImageShield.aclose`
shuts it down at once.  (``spawn`` re-imports the main module in the child:
a script that scans images keeps its start-up under
``if __name__ == "__main__":``, as the ``walletdesk`` entry point does.)

Limits: ``max_bytes`` (checked here, before anything is sent to the worker)
and ``max_pixels`` (checked by the worker from the image header, before
decoding, so a decompression bomb costs nothing).

What OCR does to a phrase, and what is done about it (:func:`candidate_texts`):

* spaces dropped between capitalised words (``TransactionHash:``) are put
  back, so the scan's context words are seen;
* words glued together (``tunarawinsect``): a token that is no list word is
  split into BIP-39 words by dynamic programming over the word list (fewest
  words); a token that cannot be split stays as it is;
* numbers misread (``1l.`` for ``11.``) in front of a word are mended;
* numbered grids read in column order (``1 5 9 / 2 6 10 / ...``): the
  numbered items are put back in number order; besides that the lines are
  scanned in row order and in column order (by their boxes), so an
  unnumbered grid is read in the order it was written too;
* Chinese word-list characters are scanned as the text scan reads them
  (spaced, listed or dense with a valid checksum).

The recognised text is kept only in the returned :class:`ImageVerdict`, in
memory (it is left out of its ``repr``); nothing here logs it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import re
import statistics
from dataclasses import dataclass, field
from functools import lru_cache

from mnemonic import Mnemonic

from core.shield.findings import MARKERS, ShieldFinding
from core.shield.phrases import scan

__all__ = [
    "ImageShield",
    "ImageVerdict",
    "MAX_BYTES",
    "MAX_PIXELS",
    "STATUSES",
    "candidate_texts",
    "close_default",
    "scan_image",
    "split_glued",
]

_LOGGER = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # Telegram bots download files up to 20 MB
MAX_PIXELS = 40_000_000  # a 48 MP phone photo is refused; sent as a "photo" it arrives at 1280 px
#: ``scanned``: OCR ran; otherwise why not (the image was not read: treat it as unchecked).
STATUSES = ("scanned", "too_large", "undecodable", "timeout", "busy", "failed")


@dataclass(frozen=True, slots=True)
class ImageVerdict:
    """The shield's verdict on one image.

    ``leak``/``kinds`` as for a text (:class:`core.shield.findings.ShieldResult`).
    ``status`` is one of :data:`STATUSES`; anything but ``"scanned"`` means the
    image was NOT read and must not be relayed as checked.  ``text`` is the
    recognised text in reading order (memory only, never store or log it);
    ``redacted`` is that text with every secret replaced by its marker (safe
    to show staff as a caption).  ``findings`` are positions in whichever
    reading of the image (row order, column order, number order) held them.
    """

    status: str
    leak: bool = False
    kinds: tuple[str, ...] = ()
    redacted: str = ""
    text: str = field(default="", repr=False)
    findings: tuple[ShieldFinding, ...] = field(default=(), repr=False)

    @property
    def scanned(self) -> bool:
        return self.status == "scanned"


# --------------------------------------------------------------------------
# From OCR lines to texts to scan
# --------------------------------------------------------------------------

Box = tuple[float, float, float, float]
_Line = tuple[Box, str]

_LATIN_RE = re.compile(r"[A-Za-z]+")
# a number misread with l, I, | or O next to a real digit, in front of a word: "1l.grace", "l2 reopen"
_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])([0-9][0-9lIO|]|[lI|][0-9])(?=\s*[.)、:：．]?\s*[^\W\d_])")
# a numbered item inside a line: "5. write", "10)tackle", "#3 典"
_ITEM_RE = re.compile(r"(?:^|(?<=\s)|(?<=^#))#?(\d{1,2})\s*[.)、:：．]?\s*([^\W\d_][^\d]*?)\s*(?=#?\d{1,2}\s*[.)、:：．]?\s*[^\W\d_]|$)")
_MIN_SPLIT = 6  # two three-letter words
# Capitalised words glued together, letters only ("TransactionHash"); never a
# key (base58 keys hold digits and capitals side by side)
_CAMEL_RE = re.compile(r"(?<![0-9A-Za-z])[A-Z]?[a-z]+(?:[A-Z][a-z]+)+(?![0-9A-Za-z])")
_CJK_LINE_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_NUMBERING_RE = re.compile(r"[\s\d.)、:：．#]+")
_SHORT_CJK_LINE = 6


@lru_cache(maxsize=1)
def _en_words() -> frozenset[str]:
    return frozenset(Mnemonic("english").wordlist)


def split_glued(token: str) -> str:
    """``token`` split into BIP-39 English words when it is several glued
    together (``tunarawinsect`` -> ``tuna raw insect``), else unchanged."""
    low = token.lower()
    words = _en_words()
    if len(low) < _MIN_SPLIT or low in words or len(low) > 96:
        return token
    best: list[tuple[int, int] | None] = [None] * (len(low) + 1)  # (parts, previous cut)
    best[0] = (0, 0)
    for end in range(3, len(low) + 1):
        for start in range(max(0, end - 8), end - 2):
            prev = best[start]
            if prev is not None and low[start:end] in words and (
                best[end] is None or prev[0] + 1 < best[end][0]  # type: ignore[index]
            ):
                best[end] = (prev[0] + 1, start)
    if best[-1] is None:
        return token
    parts, end = [], len(low)
    while end:
        start = best[end][1]  # type: ignore[index]
        parts.append(low[start:end])
        end = start
    return " ".join(reversed(parts))


def _mend(text: str) -> str:
    text = _NUMBER_RE.sub(lambda m: m.group(1).translate(str.maketrans("lI|O", "1110")), text)
    # OCR drops the spaces of UI labels ("TransactionHash:"): put them back, so
    # the context words the text scan reads ("transaction", "hash") are words
    text = _CAMEL_RE.sub(lambda m: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", m.group()), text)
    return _LATIN_RE.sub(lambda m: split_glued(m.group()), text)


def _spaced_cjk(rows: list[list[_Line]]) -> str:
    """Short lines of CJK characters (a phrase written three or four to a
    row) read as characters typed apart, one space between each ("" when
    fewer than 11).  OCR returns such a row dense (``盆社膨``) however far
    apart the characters were written, and a row may lose a character; read
    apart, the text scan judges them by its prose model (a sentence reads as
    prose, a phrase as random) rather than by the checksum alone."""
    chars: list[str] = []
    for row in rows:
        for _, text in row:
            bare = _CJK_NUMBERING_RE.sub("", text)
            if 2 <= len(bare) <= _SHORT_CJK_LINE and _CJK_LINE_RE.fullmatch(bare):
                chars.extend(bare)
    return " ".join(chars) if len(chars) >= 11 else ""


def _rows(lines: list[_Line]) -> list[list[_Line]]:
    """Lines grouped into rows (boxes overlapping vertically), top to bottom, left to right."""
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda ln: (ln[0][1] + ln[0][3]) / 2):
        (_, y0, _, y1) = line[0]
        mid = (y0 + y1) / 2
        if rows:
            ry0 = min(b[1] for b, _ in rows[-1])
            ry1 = max(b[3] for b, _ in rows[-1])
            if ry0 <= mid <= ry1:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda ln: ln[0][0]) for row in rows]


def _columns(lines: list[_Line]) -> list[list[_Line]]:
    """Lines grouped into columns by their left edges, left to right, top to bottom."""
    height = statistics.median(b[3] - b[1] for b, _ in lines) or 1.0
    cols: list[list[_Line]] = []
    for line in sorted(lines, key=lambda ln: ln[0][0]):
        if cols and line[0][0] - cols[-1][0][0][0] <= 1.5 * height:
            cols[-1].append(line)
        else:
            cols.append([line])
    return [sorted(col, key=lambda ln: ln[0][1]) for col in cols]


def _numbered(texts: list[str]) -> str:
    """The numbered items of ``texts`` in number order ("" unless 11 numbers or more)."""
    items: list[tuple[int, int, str]] = []
    for text in texts:
        for m in _ITEM_RE.finditer(text):
            items.append((int(m.group(1)), len(items), m.group(2).strip()))
    if len({n for n, _, _ in items if 1 <= n <= 24}) < 11:
        return ""
    return "\n".join(f"{n}. {word}" for n, _, word in sorted(items))


def candidate_texts(lines: list[tuple[Box, str]]) -> list[str]:
    """The readings of an image's OCR lines to scan: row order, column order,
    number order, short CJK rows read apart (each mended: misread numbers,
    glued words); the first is
    the reading order shown to people."""
    lines = [(box, _mend(text)) for box, text in lines if text.strip()]
    if not lines:
        return [""]
    rows = _rows(lines)
    row_text = "\n".join("  ".join(t for _, t in row) for row in rows)
    col_text = "\n".join(t for col in _columns(lines) for _, t in col)
    out = [row_text, col_text]
    numbered = _numbered([t for _, t in lines])
    spaced = _spaced_cjk(rows)
    return out + [t for t in (numbered, spaced) if t]


def verdict_for(lines: list[tuple[Box, str]]) -> ImageVerdict:
    """Scan every reading of ``lines`` (see :func:`candidate_texts`)."""
    texts = candidate_texts(lines)
    results = [scan(text) for text in texts]
    leaks = [r for r in results if r.leak]
    if not leaks:
        return ImageVerdict("scanned", text=texts[0], redacted=texts[0])
    kinds = tuple(dict.fromkeys(k for r in leaks for k in r.kinds))
    redacted = results[0].redacted if results[0].leak else " ".join(MARKERS[k] for k in kinds)
    return ImageVerdict("scanned", True, kinds, redacted, texts[0], tuple(f for r in leaks for f in r.findings))


# --------------------------------------------------------------------------
# The worker process
# --------------------------------------------------------------------------


class ImageShield:
    """One OCR worker process, started on the first image, and its queue.

    Args:
        timeout: seconds one image may take once it is the worker's turn.
        startup_timeout: extra seconds for the image that starts the worker
            (process start and model load, about 1-3 s).
        idle_seconds: an idle worker is shut down after this long (its
            memory goes back to the system); the next image starts another.
        max_bytes, max_pixels: larger images are refused ("too_large").
        max_pending: images waiting beyond this are refused ("busy").
    """

    __slots__ = ("_timeout", "_startup", "_idle", "_max_bytes", "_max_pixels", "_max_pending",
                 "_pool", "_lock", "_pending", "_idle_handle", "_closed")

    def __init__(self, *, timeout: float = 10.0, startup_timeout: float = 30.0, idle_seconds: float = 600.0,
                 max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS, max_pending: int = 32) -> None:
        self._timeout, self._startup, self._idle = timeout, startup_timeout, idle_seconds
        self._max_bytes, self._max_pixels, self._max_pending = max_bytes, max_pixels, max_pending
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = asyncio.Lock()
        self._pending = 0
        self._idle_handle: asyncio.TimerHandle | None = None
        self._closed = False

    async def __aenter__(self) -> ImageShield:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def running(self) -> bool:
        """A worker process is up."""
        return self._pool is not None

    async def scan_image(self, data: bytes) -> ImageVerdict:
        """Read ``data``'s text in the worker and scan it (never raises for bad input)."""
        if len(data) > self._max_bytes:
            return ImageVerdict("too_large")
        if not data:
            return ImageVerdict("undecodable")
        reply = await self._call("read_image", data, self._max_pixels)
        if isinstance(reply, ImageVerdict):
            return reply
        status, lines = reply
        if status != "ok":
            return ImageVerdict(status)
        return verdict_for([(box, text) for box, text, _ in lines])

    async def worker_peak_rss_kib(self) -> int:
        """The worker's peak resident memory in KiB (0 when it is not running)."""
        if self._pool is None:
            return 0
        reply = await self._call("peak_rss_kib")
        return reply if isinstance(reply, int) else 0

    async def _call(self, name: str, *args: object) -> object:
        if self._closed:
            raise RuntimeError("ImageShield is closed")
        if self._pending >= self._max_pending:
            return ImageVerdict("busy")
        self._pending += 1
        try:
            async with self._lock:
                fresh = self._pool is None
                pool = self._ensure_pool()
                from core.shield import ocr_worker  # noqa: F401  (only the function's reference is pickled)

                future = pool.submit(getattr(ocr_worker, name), *args)
                try:
                    return await asyncio.wait_for(asyncio.wrap_future(future),
                                                  self._timeout + (self._startup if fresh else 0.0))
                except TimeoutError:
                    _LOGGER.warning("image shield: OCR took longer than %.1f s; worker restarted", self._timeout)
                    self._kill()
                    return ImageVerdict("timeout")
                except (concurrent.futures.process.BrokenProcessPool, OSError, RuntimeError) as exc:
                    _LOGGER.warning("image shield: OCR worker failed (%s); it restarts on the next image",
                                    type(exc).__name__)
                    self._kill()
                    return ImageVerdict("failed")
        finally:
            self._pending -= 1
            self._arm_idle()

    def _ensure_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        if self._pool is None:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _arm_idle(self) -> None:
        if self._pool is not None and self._pending == 0 and not self._closed:
            if self._idle_handle is not None:
                self._idle_handle.cancel()
            self._idle_handle = asyncio.get_running_loop().call_later(self._idle, self._kill)

    def _kill(self) -> None:
        """Stop the worker now (an overrunning OCR is not waited for)."""
        pool, self._pool = self._pool, None
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        if pool is None:
            return
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        """Shut the worker down (idempotent)."""
        self._closed = True
        self._kill()


_DEFAULT: ImageShield | None = None


async def scan_image(data: bytes, *, shield: ImageShield | None = None) -> ImageVerdict:
    """Scan one image's bytes (the process-wide :class:`ImageShield` unless one is given)."""
    global _DEFAULT
    if shield is None:
        if _DEFAULT is None:
            _DEFAULT = ImageShield()
        shield = _DEFAULT
    return await shield.scan_image(data)


async def close_default() -> None:
    """Shut the process-wide :class:`ImageShield`'s worker down (at service stop)."""
    global _DEFAULT
    if _DEFAULT is not None:
        shield, _DEFAULT = _DEFAULT, None
        await shield.aclose()
