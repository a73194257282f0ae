"""The FAQ a running process answers from, rebuilt when its sources change.

Sources: the bundled FAQ, the operator's file (``WALLETDESK_FAQ_FILE``) and
the phrasings staff add at run time, which live in the store so that every
``web`` and ``worker`` process sees them. :meth:`FaqLibrary.refresh` compares
a cheap stamp of each source (file mtime and size, the phrasings' count and
highest id) and rebuilds only when one moved. A file that no longer loads is
reported once and the previous FAQ keeps answering: a typo in production must
not take the bot down.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.shield.gate import TextSource, guard
from core.shield.findings import holds_marker
from core.config import Settings
from core.errors import InvalidInput, NotFound
from core.faq_engine import FaqEngine
from core.faq.build import Progress
from core.faq.files import FaqFileError, load_operator_faq
from core.faq.models import FaqEntry
from core.lang import detect_lang
from core.storage import Store
from core.storage.phrasing_rows import Phrasing

__all__ = ["FaqLibrary", "PhrasingAdded", "build_engine", "entries_in_use", "with_phrasings"]

_LOGGER = logging.getLogger(__name__)

MAX_PHRASING_CHARS = 300

FileStamp = tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class PhrasingAdded:
    entry_id: str
    lang: str
    text: str
    examples: int  # example questions the entry now has in that language


def build_engine(settings: Settings, entries: Sequence[FaqEntry], progress: Progress | None = None) -> FaqEngine:
    return FaqEngine(entries, threshold=settings.faq_threshold, cache_dir=settings.data_dir / "cache",
                     embedder=settings.faq_embedder, progress=progress)


def with_phrasings(entries: Sequence[FaqEntry], phrasings: Sequence[Phrasing]) -> list[FaqEntry]:
    """``entries`` with the stored phrasings added as example questions.
    Phrasings of an entry the files no longer have are left out."""
    extra: dict[str, dict[str, list[str]]] = {}
    for row in phrasings:
        extra.setdefault(row.entry_id, {}).setdefault(row.lang, []).append(row.text)
    merged: list[FaqEntry] = []
    for entry in entries:
        added = extra.pop(entry.id, None)
        if not added:
            merged.append(entry)
            continue
        questions = {lang: tuple(qs) for lang, qs in entry.questions.items()}
        for lang, texts in added.items():
            known = set(questions.get(lang, ()))
            questions[lang] = questions.get(lang, ()) + tuple(q for q in texts if q not in known)
        merged.append(dataclasses.replace(entry, questions=questions))
    for entry_id in extra:
        _LOGGER.warning("faq: stored phrasings for %r are ignored: no such entry any more", entry_id)
    return merged


async def entries_in_use(settings: Settings) -> tuple[list[FaqEntry], int]:
    """What the running service answers from (files plus stored phrasings), for
    the CLI; ``(entries, phrasings added)``. A SQLite database that does not
    exist yet is not created: there is nothing in it."""
    entries = load_operator_faq(settings.faq_file, settings.faq_mode)
    from core.storage import store_for_url

    store = store_for_url(settings.resolved_database_url)
    path = getattr(store, "path", None)  # a SQLite file, which asking must not create
    if path is not None and not Path(path).exists():
        return entries, 0
    await store.open()
    try:
        async with store.transaction() as tx:
            phrasings = await tx.faq_phrasings()
    finally:
        await store.close()
    return with_phrasings(entries, phrasings), len(phrasings)


def _file_stamp(path: Path | None) -> FileStamp:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


class FaqLibrary:
    """Holds the current :class:`FaqEngine` and swaps in a new one when the
    FAQ's sources change.

    Args:
        settings: where the operator's file is, and the threshold.
        store: where staff-added phrasings live.
        on_swap: called with each new engine (the core drops its answer memo).
    """

    def __init__(self, settings: Settings, store: Store, *,
                 on_swap: Callable[[FaqEngine], None] | None = None, first_build: Progress | None = None) -> None:
        self.settings = settings
        self.store = store
        self.engine: FaqEngine | None = None
        self.on_swap = on_swap
        self.first_build = first_build  # told of the start-up build only: reloads happen mid-conversation
        self.reloads = 0
        self._file: FileStamp = None
        self._phrasings: tuple[int, int] = (0, 0)
        self._broken: FileStamp = None
        self._lock = asyncio.Lock()

    @property
    def current(self) -> FaqEngine:
        if self.engine is None:
            raise RuntimeError("FaqLibrary.load() or adopt() first")
        return self.engine

    async def load(self) -> FaqEngine:
        """Build from every source (start-up). Raises :class:`FaqFileError`."""
        await self.refresh(force=True)
        return self.current

    async def adopt(self, engine: FaqEngine) -> None:
        """Use an engine built elsewhere, taking the sources as they are now."""
        async with self._lock:
            self._phrasings = await self._phrasings_version()
            self._file = _file_stamp(self.settings.faq_file)
            self.engine = engine

    async def _phrasings_version(self) -> tuple[int, int]:
        async with self.store.transaction() as tx:
            return await tx.faq_phrasings_version()

    async def refresh(self, *, force: bool = False) -> bool:
        """Rebuild when a source changed (or ``force``); True when a new engine
        is in place. Raises :class:`FaqFileError` only when ``force`` is set
        and the file does not load; otherwise that is logged once."""
        async with self._lock:
            version = await self._phrasings_version()
            stamp = _file_stamp(self.settings.faq_file)
            unchanged = version == self._phrasings and self.engine is not None
            if not force and unchanged and stamp in (self._file, self._broken):
                return False
            try:
                engine = await self._build()
            except FaqFileError as exc:
                self._broken = stamp
                if force or self.engine is None:
                    raise
                _LOGGER.error("faq: kept the previous FAQ: %s", exc)
                return False
            self._file, self._phrasings, self._broken = stamp, version, None
            self._swap(engine)
            return True

    async def _build(self) -> FaqEngine:
        async with self.store.transaction() as tx:
            phrasings = await tx.faq_phrasings()
        settings = self.settings
        entries = await asyncio.to_thread(load_operator_faq, settings.faq_file, settings.faq_mode)
        merged = with_phrasings(entries, phrasings)
        progress = self.first_build if self.engine is None else None
        return await asyncio.to_thread(build_engine, settings, merged, progress)

    def _swap(self, engine: FaqEngine) -> None:
        first = self.engine is None
        self.engine = engine
        self.reloads += 0 if first else 1
        if self.on_swap is not None and not first:
            self.on_swap(engine)
        _LOGGER.info("faq: now answering from %d entries, %d example questions",
                     len(engine.entries), sum(len(e.all_questions()) for e in engine.entries))

    async def watch(self, interval: float = 5.0) -> None:
        """Poll the sources forever (cheap: one stat and one small query)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except Exception:  # the watcher must outlive a bad tick
                _LOGGER.exception("faq: reload check failed")

    async def add_phrasing(self, entry_id: str, text: str, *, actor: str, ticket_id: int | None = None,
                           now: float) -> PhrasingAdded:
        """Teach entry ``entry_id`` another way to ask: ``text``, or, when
        ``ticket_id`` is given and ``text`` is empty, that ticket's opening
        question (the one staff answered by hand). Rebuilds at once here;
        other processes pick it up on their next :meth:`refresh`."""
        entry = next((e for e in self.current.entries if e.id == entry_id), None)
        if entry is None:
            raise InvalidInput(f"no FAQ entry {entry_id!r}", key="faqadmin.unknown_entry", entry=entry_id[:60])
        if not text.strip() and ticket_id is not None:
            async with self.store.transaction() as tx:
                ticket = await tx.get_ticket(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket #{ticket_id}", key="faqadmin.no_ticket", ticket_id=ticket_id)
            text = ticket.subject
        phrasing = " ".join(text.split())
        if not phrasing:
            raise InvalidInput("empty phrasing", key="faqadmin.empty")
        if len(phrasing) > MAX_PHRASING_CHARS:
            raise InvalidInput(f"phrasing too long ({len(phrasing)} > {MAX_PHRASING_CHARS})",
                               key="faqadmin.too_long", limit=MAX_PHRASING_CHARS)
        if guard(phrasing, TextSource.PHRASING).leak or holds_marker(phrasing):
            # a ticket subject is stored redacted; neither belongs in the FAQ
            raise InvalidInput("the phrasing contains a secret", key="faqadmin.secret")
        lang = detect_lang(phrasing)
        if phrasing in entry.questions.get(lang, ()):
            raise InvalidInput("that entry already has this phrasing", key="faqadmin.duplicate", entry=entry_id)
        async with self.store.transaction() as tx:
            if not await tx.add_faq_phrasing(entry_id=entry_id, lang=lang, text=phrasing, added_by=actor,
                                             ticket_id=ticket_id, now=now):
                raise InvalidInput("that entry already has this phrasing", key="faqadmin.duplicate", entry=entry_id)
        _LOGGER.info("faq: %s added a %s phrasing to %s", actor, lang, entry_id)
        await self.refresh()
        return PhrasingAdded(entry_id, lang, phrasing, len(entry.questions.get(lang, ())) + 1)

    async def recent_phrasings(self, limit: int = 10) -> list[Phrasing]:
        """The latest staff-added phrasings, newest first."""
        async with self.store.transaction() as tx:
            return await tx.faq_phrasings(newest=limit)

    async def remove_phrasing(self, phrasing_id: int, *, actor: str) -> Phrasing:
        """Undo an added phrasing (every process drops it on its next look)."""
        async with self.store.transaction() as tx:
            row = await tx.delete_faq_phrasing(phrasing_id)
        if row is None:
            raise NotFound(f"no added phrasing #{phrasing_id}", key="faqadmin.no_phrasing", phrasing_id=phrasing_id)
        _LOGGER.info("faq: %s removed phrasing #%d from %s", actor, phrasing_id, row.entry_id)
        await self.refresh()
        return row
