"""Tests for the bundled wallet FAQ and core.faq_loader (load, validate, merge, export)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.faq.files import (
    FaqFileError,
    bundled_faq_path,
    export_faq,
    load_faq,
    load_operator_faq,
    merge_entries,
)
from core.faq.models import FaqEntry

DESIGN_IDS = (
    "transfer-not-arrived transaction-failed gas-fees wrong-network token-not-visible "
    "account-access backup-seed-phrase lost-seed-phrase account-frozen unauthorized-transaction "
    "refund-dispute scam-report security-tips support-hours contact-human complaint privacy "
    "app-troubleshooting verify-identity"
).split()

ESCALATING = {
    "account-frozen", "unauthorized-transaction", "refund-dispute", "contact-human",
    "complaint", "scam-report", "verify-identity",
}

NEVER_SHARE_EN = "never share your recovery phrase or private key"


@pytest.fixture(scope="module")
def bundled() -> dict[str, FaqEntry]:
    return {entry.id: entry for entry in load_faq()}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _entry(ident: str, en_q: tuple[str, ...] = ("q en",), zh_q: tuple[str, ...] = ("问题",),
           answers: dict[str, str] | None = None, **kwargs: object) -> FaqEntry:
    return FaqEntry(
        id=ident,
        questions={"en": en_q, "zh": zh_q},
        answers={"en": "answer", "zh": "答案"} if answers is None else answers,
        **kwargs,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- bundled FAQ


def test_bundled_path_is_packaged_yaml() -> None:
    path = bundled_faq_path()
    assert path.name == "wallet_faq.yaml" and path.is_file()


def test_bundled_has_every_design_id(bundled: dict[str, FaqEntry]) -> None:
    assert set(DESIGN_IDS) <= set(bundled)


@pytest.mark.parametrize("ident", DESIGN_IDS)
def test_bundled_entry_is_rich_and_bilingual(bundled: dict[str, FaqEntry], ident: str) -> None:
    entry = bundled[ident]
    assert len(entry.questions["en"]) >= 30
    assert len(entry.questions["zh"]) >= 30
    assert entry.answers["en"].strip() and entry.answers["zh"].strip()
    assert entry.title.get("en") and entry.title.get("zh")
    assert entry.tags
    # Chinese examples really are Chinese, English ones mostly Latin.
    assert all(re.search(r"[\u4e00-\u9fff]", q) for q in entry.questions["zh"])
    assert not any(re.search(r"[\u4e00-\u9fff]", q) for q in entry.questions["en"])
    # Plain text answers, 2-6 sentences.
    for answer in entry.answers.values():
        assert "|" not in answer and "**" not in answer and "\n" not in answer
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", entry.answers["en"]) if s.strip()]
    assert 2 <= len(sentences) <= 6, sentences


def test_bundled_escalation_flags(bundled: dict[str, FaqEntry]) -> None:
    for ident in ESCALATING:
        assert bundled[ident].escalate, ident
    for ident in ("gas-fees", "transfer-not-arrived", "support-hours", "privacy", "security-tips"):
        assert not bundled[ident].escalate, ident


def test_bundled_questions_not_shared_between_entries(bundled: dict[str, FaqEntry]) -> None:
    owner: dict[str, str] = {}
    for entry in bundled.values():
        for question in entry.all_questions():
            key = re.sub(r"\W+", " ", question.casefold()).strip()
            assert owner.setdefault(key, entry.id) == entry.id, (question, owner[key], entry.id)


def test_bundled_has_some_traditional_chinese(bundled: dict[str, FaqEntry]) -> None:
    traditional = {"轉", "帳", "幣", "錢", "際", "護", "驗", "證", "詞", "費", "凍", "號"}
    assert sum(any(ch in traditional for ch in q) for e in bundled.values() for q in e.questions["zh"]) >= 19


def test_transfer_facts(bundled: dict[str, FaqEntry]) -> None:
    en, zh = bundled["transfer-not-arrived"].answers["en"], bundled["transfer-not-arrived"].answers["zh"]
    assert "1–3 business days" in en
    assert "block explorer" in en and "tx hash" in en
    assert "minutes" in en and "hours" in en
    assert "1–3 个工作日" in zh and "区块浏览器" in zh


def test_secret_facts(bundled: dict[str, FaqEntry]) -> None:
    assert "re-import" in bundled["account-access"].answers["en"]
    assert "recovery phrase" in bundled["account-access"].answers["en"]
    assert "Nobody can recover a lost recovery phrase" in bundled["lost-seed-phrase"].answers["en"]
    assert "staff" in bundled["lost-seed-phrase"].answers["en"]
    security = bundled["security-tips"].answers["en"]
    for fact in ("two-factor authentication", "strong", "phishing", "never DM first"):
        assert fact in security
    unauthorized = bundled["unauthorized-transaction"].answers["en"]
    for fact in ("new wallet", "revoke token approvals", "transaction hashes"):
        assert fact in unauthorized


def test_secret_reminders(bundled: dict[str, FaqEntry]) -> None:
    for ident in ("account-access", "backup-seed-phrase", "lost-seed-phrase", "unauthorized-transaction",
                  "security-tips", "account-frozen", "privacy", "verify-identity", "contact-human"):
        entry = bundled[ident]
        assert NEVER_SHARE_EN in entry.answers["en"].lower() or "never ask for your recovery phrase" in \
            entry.answers["en"], ident
        assert "助记词" in entry.answers["zh"] and "私钥" in entry.answers["zh"], ident


def test_support_hours_and_complaint_facts(bundled: dict[str, FaqEntry]) -> None:
    hours = bundled["support-hours"].answers["en"]
    # the schedule is filled from WALLETDESK_SUPPORT_HOURS at answer time, never written in the file
    assert "{support_hours}" in hours and "{next_staffed}" in hours and "automatic reply" in hours
    assert "{support_hours}" in bundled["support-hours"].answers["zh"]
    assert "09:00" not in hours
    complaint = bundled["complaint"].answers["en"]
    for fact in ("official channel", "evidence", "working day"):
        assert fact in complaint


def test_privacy_facts(bundled: dict[str, FaqEntry]) -> None:
    privacy = bundled["privacy"].answers["en"]
    for fact in ("recovery phrases and private keys removed before storage", "keyed hash",
                 "90 days", "export", "deletion"):
        assert fact in privacy
    zh = bundled["privacy"].answers["zh"]
    for fact in ("哈希", "90 天", "导出", "删除"):
        assert fact in zh


def test_verify_identity_facts(bundled: dict[str, FaqEntry]) -> None:
    verify = bundled["verify-identity"].answers["en"]
    for fact in ("one-time code", "contact on file", "private chat with the bot", "/verify"):
        assert fact in verify
    assert "/verify" in bundled["verify-identity"].answers["zh"]


def test_out_of_scope_chatter_not_in_examples(bundled: dict[str, FaqEntry]) -> None:
    chatter = re.compile(r"\b(hi|hello|gm|moon|weather|price prediction)\b|你好|天气|早上好", re.I)
    offenders = [q for e in bundled.values() for q in e.all_questions() if chatter.search(q)]
    assert offenders == []


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".csv"])
def test_round_trip_bundled(tmp_path: Path, suffix: str) -> None:
    entries = load_faq()
    path = export_faq(entries, tmp_path / f"faq{suffix}")
    assert load_faq(path) == entries


def test_round_trip_awkward_text(tmp_path: Path) -> None:
    entries = [_entry("x", en_q=('says "no", yes: really, #1', "yes", "123"), zh_q=("逗号，引号“”",),
                      answers={"en": 'Line with, comma and "quotes"', "zh": "答：是"},
                      tags=("a", "b c"), escalate=True, title={"en": "T", "zh": "标题"})]
    for suffix in (".yaml", ".csv"):
        assert load_faq(export_faq(entries, tmp_path / f"x{suffix}")) == entries


def test_csv_full_format(tmp_path: Path) -> None:
    path = _write(tmp_path, "ops.csv", (
        "id,lang,kind,text\n"
        "card,en,title,Card\n"
        "card,,tag,cards\n"
        "card,,escalate,yes\n"
        "#note,,tag,ignored comment row\n"
        "card,en,question,where is my card\n"
        "\n"
        "card,zh,question,我的卡在哪\n"
        "card,en,answer,\"It ships in 5 days, usually.\"\n"
        "card,zh,answer,五天内寄出。\n"
    ))
    [entry] = load_faq(path)
    assert entry.id == "card" and entry.escalate and entry.tags == ("cards",)
    assert entry.questions == {"en": ("where is my card",), "zh": ("我的卡在哪",)}
    assert entry.answers["en"] == "It ships in 5 days, usually."
    assert entry.title == {"en": "Card"}


def test_csv_columns_in_any_order_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "ops.csv"
    path.write_text("\ufefftext,kind,lang,id\nq1,question,en,a\n答,answer,zh,a\nans,answer,en,a\n", encoding="utf-8")
    [entry] = load_faq(path)
    assert entry.answers == {"en": "ans", "zh": "答"}


def test_text_label_import(tmp_path: Path) -> None:
    path = _write(tmp_path, "phrasings.csv", (
        "text,label\n"
        "my money hasn't shown up,transfer-not-arrived\n"
        "钱还没到账啊,transfer-not-arrived\n"
        "what is gwei exactly,gas-fees\n"
        "My money hasn't shown up,transfer-not-arrived\n"
    ))
    entries = load_faq(path)  # always partial: no answers in this format
    by_id = {e.id: e for e in entries}
    assert by_id["transfer-not-arrived"].questions == {"en": ("my money hasn't shown up",), "zh": ("钱还没到账啊",)}
    assert by_id["gas-fees"].answers == {}

    merged = {e.id: e for e in merge_entries(load_faq(), entries)}
    assert "钱还没到账啊" in merged["transfer-not-arrived"].questions["zh"]
    assert merged["transfer-not-arrived"].answers == load_faq()[0].answers

    extended = {e.id: e for e in load_operator_faq(path, mode="extend")}
    assert "what is gwei exactly" in extended["gas-fees"].questions["en"]


def test_text_label_new_label_cannot_extend_without_answers(tmp_path: Path) -> None:
    path = _write(tmp_path, "new.csv", "text,label\nwhere is my card,card-delivery\n")
    with pytest.raises(FaqFileError, match=r"new\.csv: entry 'card-delivery' has no answer in en, zh"):
        load_operator_faq(path, mode="extend")


# --------------------------------------------------------------------------- merging


def test_merge_extend() -> None:
    base = [_entry("a", tags=("t1",)), _entry("b")]
    extra = [
        FaqEntry(id="a", questions={"en": ("Q EN", "new en"), "zh": ()}, answers={"zh": "新答案"},
                 tags=("t2",), escalate=True),
        _entry("c"),
    ]
    merged = merge_entries(base, extra, mode="extend")
    assert [e.id for e in merged] == ["a", "b", "c"]
    a = merged[0]
    assert a.questions == {"en": ("q en", "new en"), "zh": ("问题",)}  # case-insensitive de-dup
    assert a.answers == {"en": "answer", "zh": "新答案"}
    assert a.tags == ("t1", "t2") and a.escalate


def test_merge_replace() -> None:
    base = [_entry("a", en_q=("old",), tags=("t1",), escalate=True), _entry("b")]
    new_a = _entry("a", en_q=("new",), answers={"en": "A", "zh": "甲"})
    merged = merge_entries(base, [new_a, _entry("c")], mode="replace")
    assert [e.id for e in merged] == ["a", "b", "c"]
    assert merged[0] == new_a and not merged[0].escalate


def test_merge_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown merge mode"):
        merge_entries([], [], mode="append")  # type: ignore[arg-type]


def test_operator_modes(tmp_path: Path) -> None:
    path = _write(tmp_path, "ops.yaml", (
        "entries:\n"
        "  - id: gas-fees\n"
        "    answers: {en: Our fee answer., zh: 我们的手续费答案。}\n"
        "    questions: {en: [fee question]}\n"
        "  - id: staking\n"
        "    questions: {en: [how do I stake], zh: [怎么质押]}\n"
        "    answers: {en: Staking answer., zh: 质押答案。}\n"
    ))
    bundled = load_faq()
    extended = {e.id: e for e in load_operator_faq(path, "extend")}
    assert len(extended) == len(bundled) + 1
    assert extended["gas-fees"].answers["en"] == "Our fee answer."
    assert len(extended["gas-fees"].questions["zh"]) >= 30  # bundled questions kept

    replaced = {e.id: e for e in load_operator_faq(path, "replace")}
    assert replaced["gas-fees"].questions == {"en": ("fee question",), "zh": ()}

    only = load_operator_faq(path, "only")
    assert [e.id for e in only] == ["gas-fees", "staking"]


# --------------------------------------------------------------------------- validation


def _error(path: Path, **kwargs: object) -> str:
    with pytest.raises(FaqFileError) as info:
        load_faq(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert isinstance(info.value, ValueError)
    return message


GOOD = "  - id: a\n    questions: {en: [q], zh: [问]}\n    answers: {en: A., zh: 答。}\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("entries:\n  - id: a\n    questions: {en: [q\n", "malformed YAML: line"),
        ("entries:\n  - questions: {en: [q]}\n", "entry #1 has no id"),
        ("entries:\n  - id: ''\n", "entry #1 has no id"),
        ("entries:\n" + GOOD + GOOD, "duplicate id 'a' (entry #2 and entry #1)"),
        ("entries:\n  - id: a\n    questions: {en: [q], zh: [问]}\n    answers: {en: A.}\n",
         "entry 'a' has no answer in zh"),
        ("entries:\n  - id: a\n    questions: {en: [q]}\n", "entry 'a' has no answer in en, zh"),
        ("entries:\n  - id: a\n    questions: {en: q}\n    answers: {en: A., zh: 答}\n",
         "questions.en must be a list"),
        ("entries:\n  - id: a\n    questions: [q]\n", "questions must map languages"),
        ("entries:\n  - id: a\n    questions: {fr: [q]}\n", "unknown language 'fr' in questions"),
        ("entries:\n  - id: a\n    answers: {de: x}\n", "unknown language 'de' in answers"),
        ("entries:\n  - id: a\n    questions: {en: [yes]}\n", "questions.en item 1 is not text"),
        ("entries:\n  - id: a\n    answer: {en: x}\n", "unknown key 'answer'"),
        ("entries:\n  - id: a\n    escalate: maybe\n", "escalate must be true or false"),
        ("entries:\n  - id: a\n    answers: {en: A., zh: 答}\n", "entry 'a' has no example questions"),
        ("- just a string\n", "entry #1 is not a mapping"),
        ("hello\n", "expected a list of entries"),
        ("items: []\n", "unknown top-level key 'items'"),
        ("version: 1\n", "no 'entries' list"),
        ("entries: []\n", "no FAQ entries found"),
        ("   \n", "file is empty"),
    ],
)
def test_yaml_errors(tmp_path: Path, text: str, problem: str) -> None:
    assert problem in _error(_write(tmp_path, "faq.yaml", text))


def test_partial_yaml_allows_missing_answers(tmp_path: Path) -> None:
    path = _write(tmp_path, "extra.yml", "entries:\n  - id: a\n    questions: {en: [q]}\n")
    [entry] = load_faq(path, partial=True)
    assert entry.answers == {} and entry.questions == {"en": ("q",), "zh": ()}
    assert "has no answer" in _error(path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("question,answer\nq,a\n", "wrong CSV columns 'question,answer'"),
        ("id,lang,kind\na,en,question\n", "wrong CSV columns"),
        ("id,lang,kind,text\n,en,question,q\n", "line 2: missing id"),
        ("id,lang,kind,text\na,en,questoin,q\n", "line 2: unknown kind 'questoin'"),
        ("id,lang,kind,text\na,fr,question,q\n", "line 2: unknown language 'fr'"),
        ("id,lang,kind,text\na,,answer,q\n", "line 2: unknown language '(empty)'"),
        ("id,lang,kind,text\na,en,question,\n", "line 2: empty text"),
        ("id,lang,kind,text\na,en,question,q,extra\n", "line 2: 5 fields, expected 4"),
        ("id,lang,kind,text\na,en,answer,x\na,en,answer,y\n", "line 3: second en answer for 'a'"),
        ("id,lang,kind,text\na,,escalate,perhaps\n", "escalate must be true or false"),
        ("id,lang,kind,text\na,en,question,q\na,en,answer,A\n", "entry 'a' has no answer in zh"),
        ("text,label\nq,\n", "line 2: missing label"),
        ("id,lang,kind,text\n", "no FAQ entries found"),
    ],
)
def test_csv_errors(tmp_path: Path, text: str, problem: str) -> None:
    assert problem in _error(_write(tmp_path, "faq.csv", text))


def test_missing_file(tmp_path: Path) -> None:
    assert "file not found" in _error(tmp_path / "nope.yaml")


def test_unknown_suffix(tmp_path: Path) -> None:
    assert "unknown file type '.json'" in _error(_write(tmp_path, "faq.json", "{}"))
    with pytest.raises(FaqFileError, match="unknown file type"):
        export_faq(load_faq(), tmp_path / "out.txt")


def test_directory_and_non_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert "is a directory" in _error(folder)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\ncaf\xe9,a\n".encode("latin-1"))
    assert "not UTF-8" in _error(latin)


def test_operator_unknown_mode(tmp_path: Path) -> None:
    path = _write(tmp_path, "ops.yaml", "entries:\n" + GOOD)
    with pytest.raises(FaqFileError, match="unknown FAQ mode 'merge'"):
        load_operator_faq(path, "merge")  # type: ignore[arg-type]
