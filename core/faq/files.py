"""Load, validate, merge and export FAQ files (YAML or CSV).

The bundled wallet FAQ ships inside the package (``core/faq_data/wallet_faq.yaml``);
operators replace or extend it with their own file, chosen by suffix.

YAML (``.yaml`` / ``.yml``)::

    version: 1                 # optional; a bare list of entries is accepted too
    entries:
      - id: gas-fees           # required, unique in the file
        title: {en: ..., zh: ...}                # optional
        tags: [fees]                              # optional
        escalate: false                           # optional (default false)
        intake:                                   # optional: asked when a ticket opens on it
          - {name: network, type: network, ask: {en: ..., zh: ...}}   # ask optional
        questions: {en: [...], zh: [...]}         # lists of example questions
        answers: {en: ..., zh: ...}               # both required in a complete FAQ

CSV (``.csv``, UTF-8, a BOM is fine), one of two layouts chosen by the header:

* ``id,lang,kind,text`` -- the full format, one row per piece of an entry::

      id,lang,kind,text
      gas-fees,en,title,Gas and network fees
      gas-fees,,tag,fees
      gas-fees,,escalate,false
      gas-fees,en,answer,"Gas is paid to the network, not to us..."
      gas-fees,zh,answer,网络手续费支付给矿工……
      gas-fees,en,question,why is gas so high
      gas-fees,zh,question,手续费为什么这么贵

  ``kind`` is ``question``, ``answer`` or ``title`` (``lang`` must be ``en`` or
  ``zh``), or ``tag`` / ``escalate`` (``lang`` left empty; escalate is
  true/false/yes/no/1/0). An entry's rows need not be adjacent; entries keep
  the order of their first row. Blank rows and rows whose id starts with ``#``
  are skipped. At most one answer and one title per id and language.
  ``kind`` ``intake`` declares an intake field: ``text`` is ``name:type`` with
  ``lang`` empty, or ``name:type:question`` with ``lang`` the question's language.
  Types: tx_hash, address, network, amount, datetime, text.

* ``text,label`` -- question rows only (the ``faq eval`` format); ``label`` is
  the entry id and the language of each text is detected. Such a file carries
  no answers, so it is always loaded as a partial file for extending a FAQ.

A *complete* FAQ needs, for every entry, at least one example question and an
answer in both en and zh. A *partial* file (``partial=True``, used to extend)
may leave answers, titles and questions out. Every user mistake raises
:class:`FaqFileError` with one line naming the file and the problem.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import io
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from core.errors import ConfigError
from core.faq.models import INTAKE_TYPES, LANGS, FaqEntry, IntakeField
from core.lang import detect_lang

__all__ = [
    "BUNDLED_FAQ_NAME",
    "CSV_COLUMNS",
    "LABELLED_CSV_COLUMNS",
    "FaqFileError",
    "bundled_faq_path",
    "export_faq",
    "load_faq",
    "load_operator_faq",
    "merge_entries",
]

_LOGGER = logging.getLogger(__name__)

BUNDLED_FAQ_NAME = "wallet_faq.yaml"
CSV_COLUMNS: tuple[str, ...] = ("id", "lang", "kind", "text")
LABELLED_CSV_COLUMNS: tuple[str, ...] = ("text", "label")

_YAML_SUFFIXES = (".yaml", ".yml")
_CSV_SUFFIXES = (".csv",)
_ENTRY_KEYS = ("id", "title", "tags", "escalate", "questions", "answers", "intake")
_TOP_KEYS = ("version", "description", "entries")
_CSV_KINDS = ("question", "answer", "title", "tag", "escalate", "intake")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}

MergeMode = Literal["extend", "replace"]
OperatorMode = Literal["extend", "replace", "only"]

# Prefer the C loader: the bundled file has >1,300 strings and is read at startup.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YamlDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Keeps a temporary copy alive when the package is installed as a zip.
_RESOURCE_STACK = contextlib.ExitStack()
atexit.register(_RESOURCE_STACK.close)


class FaqFileError(ConfigError, ValueError):
    """A FAQ file is missing, unreadable or invalid.

    The message is one line, ``<file>: <problem>``, safe to print to an operator.
    It is a ``ValueError`` (bad content) and a walletdesk ``ConfigError`` (the CLI
    reports those without a traceback).
    """

    def __init__(self, source: str | Path, problem: str) -> None:
        self.source = str(source)
        self.problem = " ".join(problem.split())  # keep it to one line
        super().__init__(f"{self.source}: {self.problem}" if self.source else self.problem)


# --------------------------------------------------------------------------- paths


def bundled_faq_path() -> Path:
    """Path of the FAQ shipped inside the package (works from a wheel or a checkout)."""
    resource = resources.files("core") / "faq_data" / BUNDLED_FAQ_NAME
    if isinstance(resource, Path):
        return resource
    # Zipped install: materialise a temporary file that lives until exit.
    return _RESOURCE_STACK.enter_context(resources.as_file(resource))


# --------------------------------------------------------------------------- drafts


@dataclass
class _Draft:
    """An entry while it is being read; ``escalate`` is None when the file is silent."""

    id: str
    questions: dict[str, list[str]] = field(default_factory=lambda: {lang: [] for lang in LANGS})
    answers: dict[str, str] = field(default_factory=dict)
    title: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    escalate: bool | None = None
    intake: dict[str, IntakeField] = field(default_factory=dict)

    def add_intake(self, name: str, kind: str, ask: Mapping[str, str], where: str, path: Path | str) -> None:
        name = name.strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
            raise FaqFileError(path, f"{where}: intake field name {name!r} must be lower_case_words")
        if kind not in INTAKE_TYPES:
            raise FaqFileError(path, f"{where}: intake type {kind!r} is not one of {', '.join(INTAKE_TYPES)}")
        old = self.intake.get(name)
        if old is not None and old.type != kind:
            raise FaqFileError(path, f"{where}: intake field {name!r} declared twice with different types")
        self.intake[name] = IntakeField(name, kind, {**(old.ask if old else {}), **dict(ask)})

    def add_question(self, lang: str, text: str) -> None:
        # Case-insensitive de-duplication: repeated phrasings only skew the engine.
        key = text.casefold()
        if all(q.casefold() != key for q in self.questions[lang]):
            self.questions[lang].append(text)

    def add_tag(self, tag: str) -> None:
        if tag not in self.tags:
            self.tags.append(tag)

    def freeze(self) -> FaqEntry:
        return FaqEntry(
            id=self.id,
            questions={lang: tuple(self.questions[lang]) for lang in LANGS},
            answers={lang: self.answers[lang] for lang in LANGS if self.answers.get(lang)},
            tags=tuple(self.tags),
            escalate=bool(self.escalate),
            title={lang: self.title[lang] for lang in LANGS if self.title.get(lang)},
            intake=tuple(self.intake.values()),
        )


def _check_complete(entries: Iterable[FaqEntry], source: str | Path) -> None:
    """A complete FAQ: every entry answers in every language and has questions."""
    for entry in entries:
        missing = [lang for lang in LANGS if not entry.answers.get(lang, "").strip()]
        if missing:
            raise FaqFileError(source, f"entry '{entry.id}' has no answer in {', '.join(missing)}")
        if not any(entry.questions.get(lang) for lang in LANGS):
            raise FaqFileError(source, f"entry '{entry.id}' has no example questions")


# --------------------------------------------------------------------------- loading


def load_faq(path: Path | str | None = None, *, partial: bool = False) -> list[FaqEntry]:
    """Read a FAQ file into entries.

    Args:
        path: a ``.yaml``/``.yml`` or ``.csv`` file; ``None`` reads the bundled FAQ.
        partial: accept entries without answers, titles or questions (a file
            meant to extend another FAQ). ``text,label`` CSV files are always partial.

    Raises:
        FaqFileError: with a one-line message naming the file and the problem.
    """
    path = bundled_faq_path() if path is None else Path(path)
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix in _YAML_SUFFIXES:
        drafts = _parse_yaml(text, path)
    elif suffix in _CSV_SUFFIXES:
        drafts, labelled = _parse_csv(text, path)
        partial = partial or labelled
    else:
        raise FaqFileError(path, f"unknown file type '{path.suffix or '(none)'}' (use .yaml, .yml or .csv)")
    entries = [draft.freeze() for draft in drafts]
    if not entries:
        raise FaqFileError(path, "no FAQ entries found")
    if not partial:
        _check_complete(entries, path)
    _warn_shared_questions(entries, path)
    _LOGGER.info("loaded %d FAQ entries from %s", len(entries), path)
    return entries


def load_operator_faq(path: Path | str | None = None, mode: OperatorMode = "extend") -> list[FaqEntry]:
    """The FAQ a deployment runs on: the bundled one, changed by an operator file.

    Modes: ``extend`` (the file adds questions, overrides the answers it gives,
    and may add new complete entries), ``replace`` (entries of the file replace
    bundled entries with the same id; others are kept) and ``only`` (the file
    alone, bundled FAQ ignored). ``path=None`` returns the bundled FAQ.
    """
    if path is None:
        return load_faq()
    if mode == "only":
        return load_faq(path)
    if mode not in ("extend", "replace"):
        raise FaqFileError(path, f"unknown FAQ mode '{mode}' (use extend, replace or only)")
    extra = load_faq(path, partial=mode == "extend")
    merged = merge_entries(load_faq(), extra, mode=mode)
    # New ids brought by an extending file must still be answerable.
    _check_complete(merged, path)
    return merged


def _read_text(path: Path) -> str:
    if not path.exists():
        raise FaqFileError(path, "file not found")
    if path.is_dir():
        raise FaqFileError(path, "is a directory, expected a .yaml, .yml or .csv file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FaqFileError(path, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except OSError as exc:
        raise FaqFileError(path, f"cannot read: {exc.strerror or exc}") from None
    if not text.strip():
        raise FaqFileError(path, "file is empty")
    return text


# --------------------------------------------------------------------------- YAML


def _parse_yaml(text: str, path: Path) -> list[_Draft]:
    try:
        data = yaml.load(text, Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        raise FaqFileError(path, f"malformed YAML: {_yaml_problem(exc)}") from None
    if isinstance(data, Mapping):
        unknown = [str(k) for k in data if k not in _TOP_KEYS]
        if unknown:
            raise FaqFileError(path, f"unknown top-level key '{unknown[0]}' (expected: {', '.join(_TOP_KEYS)})")
        if "entries" not in data:
            raise FaqFileError(path, "no 'entries' list")
        data = data["entries"]
    if not isinstance(data, list):
        raise FaqFileError(path, "expected a list of entries (or a mapping with an 'entries' list)")

    drafts: list[_Draft] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(data, start=1):
        where = f"entry #{number}"
        if not isinstance(raw, Mapping):
            raise FaqFileError(path, f"{where} is not a mapping of keys (id, questions, answers, ...)")
        draft = _yaml_entry(raw, path, where)
        if draft.id in seen:
            raise FaqFileError(path, f"duplicate id '{draft.id}' ({where} and entry #{seen[draft.id]})")
        seen[draft.id] = number
        drafts.append(draft)
    return drafts


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


def _yaml_entry(raw: Mapping[Any, Any], path: Path, where: str) -> _Draft:
    ident = raw.get("id")
    if isinstance(ident, bool) or not isinstance(ident, (str, int)) or not str(ident).strip():
        raise FaqFileError(path, f"{where} has no id")
    draft = _Draft(id=str(ident).strip())
    where = f"{where} ('{draft.id}')"

    unknown = [str(k) for k in raw if k not in _ENTRY_KEYS]
    if unknown:
        # A typo such as 'answer:' would otherwise silently drop content.
        raise FaqFileError(path, f"{where}: unknown key '{unknown[0]}' (expected: {', '.join(_ENTRY_KEYS)})")

    questions = raw.get("questions")
    if questions is not None:
        for lang, items in _lang_map(questions, "questions", path, where).items():
            if not isinstance(items, list):
                raise FaqFileError(path, f"{where}: questions.{lang} must be a list of texts")
            for index, item in enumerate(items, start=1):
                text = _scalar_text(item)
                if text is None:
                    raise FaqFileError(path, f"{where}: questions.{lang} item {index} is not text (quote it)")
                if text:
                    draft.add_question(lang, text)

    for key, target in (("answers", draft.answers), ("title", draft.title)):
        value = raw.get(key)
        if value is None:
            continue
        for lang, item in _lang_map(value, key, path, where).items():
            text = _scalar_text(item) if not isinstance(item, (int, float)) else None
            if text is None:
                raise FaqFileError(path, f"{where}: {key}.{lang} must be text")
            if text:
                target[lang] = text

    tags = raw.get("tags")
    if tags is not None:
        if not isinstance(tags, list):
            raise FaqFileError(path, f"{where}: tags must be a list")
        for item in tags:
            text = _scalar_text(item)
            if text is None:
                raise FaqFileError(path, f"{where}: every tag must be text")
            if text:
                draft.add_tag(text)

    escalate = raw.get("escalate")
    if escalate is not None:
        if not isinstance(escalate, bool):
            raise FaqFileError(path, f"{where}: escalate must be true or false")
        draft.escalate = escalate
    intake = raw.get("intake")
    if intake is not None:
        if not isinstance(intake, list):
            raise FaqFileError(path, f"{where}: intake must be a list of {{name, type, ask}}")
        for item in intake:
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) \
                    or not isinstance(item.get("type"), str):
                raise FaqFileError(path, f"{where}: every intake field needs a name and a type")
            ask = _lang_map(item.get("ask") or {}, "intake ask", path, where)
            draft.add_intake(item["name"], item["type"], {k: str(v) for k, v in ask.items()}, where, path)
    return draft


def _lang_map(value: Any, key: str, path: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise FaqFileError(path, f"{where}: {key} must map languages (en, zh) to values")
    for lang in value:
        if lang not in LANGS:
            raise FaqFileError(path, f"{where}: unknown language '{lang}' in {key} (use {', '.join(LANGS)})")
    return dict(value)


def _scalar_text(item: Any) -> str | None:
    """Stripped text of a YAML scalar; None for lists, maps and yes/no booleans."""
    if isinstance(item, bool) or item is None or not isinstance(item, (str, int, float)):
        return None
    return str(item).strip()


# --------------------------------------------------------------------------- CSV


def _parse_csv(text: str, path: Path) -> tuple[list[_Draft], bool]:
    """Drafts from either CSV layout, and whether it was the ``text,label`` one."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise FaqFileError(path, f"malformed CSV at line {reader.line_num}: {exc}") from None
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise FaqFileError(path, "file is empty")
    header = [cell.strip().lower() for cell in rows[0][1]]
    body = rows[1:]
    if sorted(header) == sorted(CSV_COLUMNS):
        return _csv_full(header, body, path), False
    if sorted(header) == sorted(LABELLED_CSV_COLUMNS):
        return _csv_labelled(header, body, path), True
    raise FaqFileError(
        path,
        f"wrong CSV columns '{','.join(header)}' (expected {','.join(CSV_COLUMNS)} "
        f"or {','.join(LABELLED_CSV_COLUMNS)})",
    )


def _csv_cells(header: list[str], row: list[str], line: int, path: Path) -> dict[str, str]:
    if len(row) != len(header):
        raise FaqFileError(path, f"line {line}: {len(row)} fields, expected {len(header)} ({','.join(header)})")
    cells = (cell.strip() for cell in row)
    # an exported cell that would have been a formula carries an apostrophe (see _csv_safe)
    return {name: cell[1:] if cell[:1] == "'" and cell[1:].startswith(_FORMULA_START) else cell
            for name, cell in zip(header, cells)}


def _csv_full(header: list[str], body: Sequence[tuple[int, list[str]]], path: Path) -> list[_Draft]:
    drafts: dict[str, _Draft] = {}
    for line, row in body:
        cells = _csv_cells(header, row, line, path)
        ident, lang, kind, text = cells["id"], cells["lang"].lower(), cells["kind"].lower(), cells["text"]
        if ident.startswith("#"):
            continue  # comment row
        if not ident:
            raise FaqFileError(path, f"line {line}: missing id")
        if kind not in _CSV_KINDS:
            raise FaqFileError(path, f"line {line}: unknown kind '{cells['kind']}' (use {', '.join(_CSV_KINDS)})")
        if kind in ("question", "answer", "title"):
            if lang not in LANGS:
                shown = cells["lang"] or "(empty)"
                raise FaqFileError(path, f"line {line}: unknown language '{shown}' (use {', '.join(LANGS)})")
        elif lang and lang not in LANGS:
            raise FaqFileError(path, f"line {line}: unknown language '{cells['lang']}' (leave it empty for {kind})")
        if not text:
            raise FaqFileError(path, f"line {line}: empty text")

        draft = drafts.setdefault(ident, _Draft(id=ident))
        if kind == "question":
            draft.add_question(lang, text)
        elif kind in ("answer", "title"):
            target = draft.answers if kind == "answer" else draft.title
            if lang in target:
                raise FaqFileError(path, f"line {line}: second {lang} {kind} for '{ident}'")
            target[lang] = text
        elif kind == "tag":
            draft.add_tag(text)
        elif kind == "intake":
            name, _, rest = text.partition(":")
            field_type, _, ask = rest.partition(":")
            if ask.strip() and not lang:
                raise FaqFileError(path, f"line {line}: an intake question needs its lang")
            draft.add_intake(name, field_type.strip(), {lang: ask.strip()} if ask.strip() else {},
                             f"line {line}", path)
        else:
            value = text.lower()
            if value not in _TRUE | _FALSE:
                raise FaqFileError(path, f"line {line}: escalate must be true or false, not '{text}'")
            if draft.escalate is not None and draft.escalate != (value in _TRUE):
                raise FaqFileError(path, f"line {line}: conflicting escalate values for '{ident}'")
            draft.escalate = value in _TRUE
    return list(drafts.values())


def _csv_labelled(header: list[str], body: Sequence[tuple[int, list[str]]], path: Path) -> list[_Draft]:
    drafts: dict[str, _Draft] = {}
    for line, row in body:
        cells = _csv_cells(header, row, line, path)
        if not cells["label"]:
            raise FaqFileError(path, f"line {line}: missing label")
        if not cells["text"]:
            raise FaqFileError(path, f"line {line}: empty text")
        draft = drafts.setdefault(cells["label"], _Draft(id=cells["label"]))
        draft.add_question(detect_lang(cells["text"]), cells["text"])
    return list(drafts.values())


def _warn_shared_questions(entries: Sequence[FaqEntry], source: str | Path) -> None:
    # The same phrasing under two ids can never be matched right; tell the operator.
    owner: dict[str, str] = {}
    for entry in entries:
        for question in entry.all_questions():
            key = question.casefold()
            other = owner.setdefault(key, entry.id)
            if other != entry.id:
                _LOGGER.warning("%s: question %r appears in '%s' and '%s'", source, question, other, entry.id)


# --------------------------------------------------------------------------- merging


def merge_entries(
    base: Sequence[FaqEntry], extra: Sequence[FaqEntry], mode: MergeMode = "extend"
) -> list[FaqEntry]:
    """Combine two FAQs; base order is kept and new ids are appended.

    ``extend``: for an id in both, questions are added (duplicates dropped),
    answers and titles given in ``extra`` override per language, tags are
    united, and escalate is true if either says so (use ``replace`` to turn it
    off). ``replace``: an ``extra`` entry replaces the base entry with its id.
    """
    if mode not in ("extend", "replace"):
        raise ValueError(f"unknown merge mode '{mode}' (use extend or replace)")
    merged: dict[str, FaqEntry] = {entry.id: entry for entry in base}
    for entry in extra:
        old = merged.get(entry.id)
        merged[entry.id] = entry if old is None or mode == "replace" else _extend(old, entry)
    return list(merged.values())


def _extend(old: FaqEntry, new: FaqEntry) -> FaqEntry:
    draft = _Draft(
        id=old.id,
        answers={**old.answers, **{k: v for k, v in new.answers.items() if v}},
        title={**old.title, **{k: v for k, v in new.title.items() if v}},
        escalate=old.escalate or new.escalate,
        intake={f.name: f for f in (new.intake or old.intake)},
    )
    for source in (old, new):
        for lang in LANGS:
            for question in source.questions.get(lang, ()):
                draft.add_question(lang, question)
        for tag in source.tags:
            draft.add_tag(tag)
    return draft.freeze()


# --------------------------------------------------------------------------- export


def export_faq(entries: Sequence[FaqEntry], path: Path | str) -> Path:
    """Write entries as YAML or CSV (by suffix) so that :func:`load_faq` reads them back equal."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _YAML_SUFFIXES:
        text = _to_yaml(entries)
    elif suffix in _CSV_SUFFIXES:
        text = _to_csv(entries)
    else:
        raise FaqFileError(path, f"unknown file type '{path.suffix or '(none)'}' (use .yaml, .yml or .csv)")
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise FaqFileError(path, f"cannot write: {exc.strerror or exc}") from None
    _LOGGER.info("exported %d FAQ entries to %s", len(entries), path)
    return path


def _to_yaml(entries: Sequence[FaqEntry]) -> str:
    items: list[dict[str, Any]] = []
    for entry in entries:
        item: dict[str, Any] = {"id": entry.id}
        if entry.title:
            item["title"] = {lang: entry.title[lang] for lang in LANGS if lang in entry.title}
        item["tags"] = list(entry.tags)
        item["escalate"] = entry.escalate
        if entry.intake:
            item["intake"] = [{"name": f.name, "type": f.type, **({"ask": dict(f.ask)} if f.ask else {})}
                              for f in entry.intake]
        item["questions"] = {lang: list(entry.questions.get(lang, ())) for lang in LANGS}
        if entry.answers:
            item["answers"] = {lang: entry.answers[lang] for lang in LANGS if lang in entry.answers}
        items.append(item)
    return yaml.dump(
        {"version": 1, "entries": items},
        Dumper=_YamlDumper,
        allow_unicode=True,
        sort_keys=False,
        width=4096,  # one answer per line keeps diffs readable
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+``, ``-``,
    ``@``) gets a leading apostrophe (OWASP's advice); :func:`_csv_cells` takes it off again."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


class _SafeWriter:
    """``csv.writer`` whose rows have every cell through :func:`_csv_safe`."""

    def __init__(self, buffer: io.StringIO) -> None:
        self._writer = csv.writer(buffer, lineterminator="\n")

    def writerow(self, row: Sequence[str]) -> None:
        self._writer.writerow([_csv_safe(cell) for cell in row])


def _to_csv(entries: Sequence[FaqEntry]) -> str:
    buffer = io.StringIO()
    writer = _SafeWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        for lang in LANGS:
            if entry.title.get(lang):
                writer.writerow([entry.id, lang, "title", entry.title[lang]])
        for tag in entry.tags:
            writer.writerow([entry.id, "", "tag", tag])
        writer.writerow([entry.id, "", "escalate", "true" if entry.escalate else "false"])
        for item in entry.intake:
            writer.writerow([entry.id, "", "intake", f"{item.name}:{item.type}"])
            for lang in LANGS:
                if item.ask.get(lang):
                    writer.writerow([entry.id, lang, "intake", f"{item.name}:{item.type}:{item.ask[lang]}"])
        for lang in LANGS:
            if entry.answers.get(lang):
                writer.writerow([entry.id, lang, "answer", entry.answers[lang]])
        for lang in LANGS:
            for question in entry.questions.get(lang, ()):
                writer.writerow([entry.id, lang, "question", question])
    return buffer.getvalue()
