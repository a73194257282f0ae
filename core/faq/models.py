"""FAQ entry value objects shared by the engine, the loader and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FaqEntry", "FaqMatch", "INTAKE_TYPES", "IntakeField", "LANGS"]

LANGS: tuple[str, ...] = ("en", "zh")
INTAKE_TYPES: tuple[str, ...] = ("tx_hash", "address", "network", "amount", "datetime", "text")


@dataclass(frozen=True, slots=True)
class IntakeField:
    """Something staff need on a ticket of this topic, asked when it opens.

    Args:
        name: the field's name on the desk (``network``, ``app_version``).
        type: one of :data:`INTAKE_TYPES`; how a typed value is recognised.
        ask: the question per language (a default per type when empty).
    """

    name: str
    type: str
    ask: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One FAQ topic.

    Args:
        id: stable identifier (``transfer-not-arrived``).
        questions: example questions per language (``{"en": [...], "zh": [...]}``).
        answers: the answer per language.
        tags: free-form labels for reporting.
        escalate: when true, answering also offers a human (account-specific topics).
        intake: what the bot asks when a ticket opens on this topic (at most three are asked).
    """

    id: str
    questions: dict[str, tuple[str, ...]]
    answers: dict[str, str]
    tags: tuple[str, ...] = ()
    escalate: bool = False
    title: dict[str, str] = field(default_factory=dict)
    intake: tuple[IntakeField, ...] = ()

    def answer_in(self, lang: str) -> str:
        """The answer in ``lang``, falling back to English, then any language."""
        return self.answers.get(lang) or self.answers.get("en") or next(iter(self.answers.values()), "")

    def all_questions(self) -> list[str]:
        return [q for lang in self.questions for q in self.questions[lang]]


@dataclass(frozen=True, slots=True)
class FaqMatch:
    """What the engine says about one question.

    ``id`` is the best entry even when the engine abstains (useful for reports);
    ``answered`` says whether confidence cleared the threshold.
    """

    id: str | None
    confidence: float
    answered: bool
    lang: str
    answer: str | None
    escalate: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id if self.answered else None,
            "confidence": round(float(self.confidence), 4),
            "answered": self.answered,
            "lang": self.lang,
            "answer": self.answer if self.answered else None,
        }
