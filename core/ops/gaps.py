"""FAQ gap mining: what people keep asking that the FAQ does not answer.

The questions come from tickets opened without a FAQ category (the engine
abstained, or the user went straight to a human), each paired with the first
staff reply on that ticket. They are clustered on TF-IDF features, character
2-4-grams (robust to typos and inflection) joined with word uni/bi-grams in
which every CJK character counts as a word (so Chinese gets character bigrams),
by average-linkage agglomerative clustering on cosine distance. Every cluster of at least ``min_size`` tickets
becomes a proposed FAQ entry: its most central questions, and the staff answer
that closed the most central resolved ticket. :func:`proposals_yaml` writes them
in the FAQ file format, ready for an operator to review, translate and feed to
``walletdesk faq import`` (new entries need answers in en and zh, so the import
refuses a proposal until its missing language is filled in).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import yaml
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

from core.faq_engine import FaqEngine
from core.lang import detect_lang, normalize
from core.ops.privacy import FORGOTTEN_SUBJECT, PURGED_SUBJECT
from core.storage import Store

__all__ = ["GapQuestion", "Proposal", "collect_questions", "find_gaps", "mine_gaps", "proposals_yaml"]

_LOGGER = logging.getLogger(__name__)

DEFAULT_DISTANCE = 0.85
MAX_QUESTIONS = 5000
_CJK_RE = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_SCRUBBED = {"", FORGOTTEN_SUBJECT, PURGED_SUBJECT}


@dataclass(frozen=True, slots=True)
class GapQuestion:
    """One question a human had to answer."""

    ticket_id: int
    text: str
    answer: str | None = None
    closed: bool = False  # the ticket was resolved or closed


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed FAQ entry built from one cluster."""

    id: str
    questions: dict[str, list[str]]
    answers: dict[str, str]
    ticket_ids: list[int]
    answer_ticket: int | None
    title: dict[str, str] = field(default_factory=dict)

    def as_entry(self) -> dict[str, object]:
        """The entry in the FAQ YAML format (see :mod:`core.faq.files`)."""
        entry: dict[str, object] = {"id": self.id, "title": self.title, "tags": ["proposed"],
                                    "questions": {k: v for k, v in self.questions.items() if v}}
        entry["answers"] = {lang: self.answers.get(lang, "") for lang in ("en", "zh")}
        return entry


async def collect_questions(store: Store, *, since: float, engine: FaqEngine | None = None) -> list[GapQuestion]:
    """Subjects and first staff replies of uncategorised tickets created since ``since``.

    Args:
        engine: when given, questions the FAQ answers *now* are dropped (a gap
            closed since the ticket was opened).
    """
    out: list[GapQuestion] = []
    async with store.transaction() as tx:
        tickets = [t for t in await tx.tickets(since=since) if not t.category]
        for ticket in tickets[-MAX_QUESTIONS:]:
            if ticket.subject.strip() in _SCRUBBED:
                continue
            events = await tx.events(ticket.id)
            answer = next((e.body for e in events if e.kind == "staff_reply" and not e.internal and e.body), None)
            out.append(GapQuestion(ticket.id, ticket.subject.strip(), answer,
                                   ticket.state.value in ("resolved", "closed")))
    if engine is not None:
        out = [q for q in out if not engine.ask(q.text).answered]
    return out


def find_gaps(questions: Sequence[GapQuestion], *, distance: float = DEFAULT_DISTANCE, min_size: int = 2,
              max_examples: int = 5) -> list[Proposal]:
    """Cluster ``questions`` and propose one entry per cluster of ``min_size`` or more, biggest first.

    Args:
        distance: cosine-distance cut of the average-linkage tree (lower = tighter clusters).
    """
    if len(questions) < max(2, min_size):
        return []
    dense = _features([normalize(q.text) for q in questions])
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                     linkage="average").fit_predict(dense)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    groups = sorted((g for g in groups if len(g) >= min_size), key=lambda g: (-len(g), int(g[0])))
    proposals: list[Proposal] = []
    used: set[str] = set()
    for members in groups:
        centroid = dense[members].mean(axis=0)
        order = members[np.argsort(-(dense[members] @ centroid), kind="stable")]
        proposals.append(_proposal([questions[i] for i in order], max_examples, used))
    return proposals


def _features(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised rows: char 2-4-grams and word 1-2-grams (CJK characters as words), equally weighted."""
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    w = words.fit_transform([_CJK_RE.sub(r" \1 ", t) for t in texts])
    c = chars.fit_transform(texts)
    return np.asarray(l2_normalize(sparse.hstack([l2_normalize(w), l2_normalize(c)]).tocsr()).todense())


def _proposal(ranked: list[GapQuestion], max_examples: int, used: set[str]) -> Proposal:
    """``ranked``: the cluster's questions, most central first."""
    questions: dict[str, list[str]] = {"en": [], "zh": []}
    seen: set[str] = set()
    for q in ranked:
        key = normalize(q.text)
        if key in seen or sum(map(len, questions.values())) >= max_examples:
            continue
        seen.add(key)
        questions[detect_lang(q.text)].append(q.text)
    with_answer = [q for q in ranked if q.answer]
    best = next((q for q in with_answer if q.closed), with_answer[0] if with_answer else None)
    answers = {detect_lang(best.answer): best.answer} if best and best.answer else {}
    head = ranked[0].text
    return Proposal(
        id=_unique_id(head, used), questions=questions, answers=answers,
        ticket_ids=sorted(q.ticket_id for q in ranked), answer_ticket=best.ticket_id if best else None,
        title={detect_lang(head): head[:80]},
    )


def _unique_id(text: str, used: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", normalize(text))[:5]
    base = "proposed-" + ("-".join(words) if words else "topic")
    ident, n = base, 2
    while ident in used:
        ident, n = f"{base}-{n}", n + 1
    used.add(ident)
    return ident


def proposals_yaml(proposals: Sequence[Proposal]) -> str:
    """The proposals as a reviewable FAQ file (YAML, with a comment above each entry)."""
    lines = [
        "# FAQ entries proposed by `walletdesk faq gaps`. Review each one: edit the questions,",
        "# fill in the answer for the missing language (en and zh are both required), delete",
        "# what should not become an entry, give it a better id, then run",
        "#   walletdesk faq import <this file>",
        "version: 1",
        "description: proposed FAQ entries (review before import)",
    ]
    if not proposals:
        lines.append("entries: []")
        return "\n".join(lines) + "\n"
    lines.append("entries:")
    for p in proposals:
        source = f"answer from ticket #{p.answer_ticket}" if p.answer_ticket else "no staff answer found"
        lines.append(f"  # {len(p.ticket_ids)} tickets: " + ", ".join(f"#{i}" for i in p.ticket_ids[:20])
                     + f"; {source}")
        missing = [lang for lang in ("en", "zh") if not p.answers.get(lang)]
        if missing:
            lines.append(f"  # TODO: write the {' and '.join(missing)} answer")
        body = yaml.safe_dump([p.as_entry()], allow_unicode=True, sort_keys=False, width=100)
        lines.extend("  " + line if line else line for line in body.rstrip("\n").split("\n"))
    return "\n".join(lines) + "\n"


async def mine_gaps(store: Store, *, since: float, engine: FaqEngine | None = None,
                    distance: float = DEFAULT_DISTANCE, min_size: int = 2) -> list[Proposal]:
    """:func:`collect_questions` then :func:`find_gaps`."""
    questions = await collect_questions(store, since=since, engine=engine)
    _LOGGER.info("FAQ gaps: %d unanswered questions", len(questions))
    return find_gaps(questions, distance=distance, min_size=min_size)
