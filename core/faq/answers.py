"""The FAQ as the conversation uses it: memoised answers, hot swaps, and the
phrasings staff add while the service runs."""

from __future__ import annotations

from collections.abc import Callable

from core.errors import InvalidInput
from core.faq.library import FaqLibrary, PhrasingAdded
from core.faq.models import FaqEntry, FaqMatch
from core.faq_engine import FaqEngine
from core.i18n import t
from core.ops.metrics import Metrics
from core.shield.gate import TextSource, guard
from core.storage.phrasing_rows import Phrasing

__all__ = ["FaqAnswers"]

_MEMO_SIZE = 4096


class FaqAnswers:
    def __init__(self, engine: FaqEngine, metrics: Metrics, clock: Callable[[], float],
                 render: Callable[[str, str, float], str] | None = None) -> None:
        self.engine = engine
        self.metrics = metrics
        self.clock = clock
        # fills an answer's placeholders ({support_hours}, {next_staffed}): the support calendar's
        self._render = render or (lambda text, lang, now: text)
        self.library: FaqLibrary | None = None
        self._memo: dict[tuple[str, str | None], FaqMatch] = {}

    @property
    def entries(self) -> list[FaqEntry]:
        return self.engine.entries

    def ask(self, text: str, lang: str | None = None) -> FaqMatch:
        """Memoised: communities ask the same few questions over and over."""
        key = (" ".join(text.split()).casefold(), lang)
        match = self._memo.get(key)
        if match is None:
            match = self.engine.ask(text, lang=lang)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = match
        return match

    def public_answer(self, question: str, lang: str) -> str:
        """An answer shown only to the asker (a slash command): a question holding a
        secret is neither stored nor matched, and the asker is told what they did."""
        guarded = guard(question, TextSource.MESSAGE)
        if guarded.leak:
            kinds = ", ".join(dict.fromkeys(t(f"shield.kind.{k}", lang) for k in guarded.kinds))
            return t("shield.warning", lang, kinds=kinds)
        try:
            match = self.ask(guarded.text, lang)
        except ValueError:  # nothing left to match after normalisation
            return t("faq.group_offer_human", lang)
        if not (match.answered and match.answer):
            return t("faq.group_offer_human", lang)
        return self._render(match.answer, match.lang, self.clock())

    def use(self, engine: FaqEngine) -> None:
        """Answer from ``engine`` from now on (a hot reload); memoised answers go."""
        self.engine = engine
        self._memo = {}
        self.metrics.faq_reloads.inc()

    def attach_library(self, library: FaqLibrary) -> None:
        """Let ``library`` swap the engine and take staff-added phrasings."""
        self.library = library
        library.on_swap = self.use

    def _library(self) -> FaqLibrary:
        if self.library is None:
            raise InvalidInput("FAQ editing is not enabled in this process", key="faqadmin.disabled")
        return self.library

    async def add_phrasing(self, admin: str, entry_id: str, text: str = "", *,
                           ticket_id: int | None = None) -> PhrasingAdded:
        """Teach an entry another way to ask (see :meth:`FaqLibrary.add_phrasing`)."""
        return await self._library().add_phrasing(entry_id, text, actor=admin, ticket_id=ticket_id, now=self.clock())

    async def recent_phrasings(self, limit: int = 10) -> list[Phrasing]:
        return await self._library().recent_phrasings(limit)

    async def remove_phrasing(self, admin: str, phrasing_id: int) -> Phrasing:
        """Undo a phrasing an admin added. Raises NotFound (key ``faqadmin.no_phrasing``)."""
        return await self._library().remove_phrasing(phrasing_id, actor=admin)

    async def reload(self) -> bool:
        """Rebuild the FAQ from its sources now. Raises FaqFileError on a bad file."""
        return await self._library().refresh(force=True)
