"""FAQ gap mining on a known fixture: two clear clusters plus noise."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.faq_engine import FaqEngine
from core.faq.files import FaqFileError, load_faq, load_operator_faq
from core.ops.gaps import GapQuestion, collect_questions, find_gaps, mine_gaps, proposals_yaml
from core.models import ChatRef, Priority, TicketEvent, UserRef
from core.storage import Store
from tests.conftest import OpsCli
from tests.fixtures.gaps_data import NFT_ANSWER, NFT_QUESTIONS, NOISE, STAKING_ANSWER, STAKING_QUESTIONS

NOW = 1_790_000_000.0


async def _ticket(store: Store, n: int, subject: str, *, answer: str | None = None, category: str | None = None,
                  state: str = "resolved", at: float = NOW - 3600) -> int:
    user = UserRef("telegram", str(n))
    async with store.transaction() as tx:
        t = await tx.create_ticket(user=user, origin=ChatRef("telegram", str(n), is_private=True), origin_message_id=None,
                                   priority=Priority.NORMAL, category=category, lang="en", subject=subject, now=at)
        await tx.add_event(TicketEvent(t.id, "note", "slack:U1", "internal guess", at + 1, internal=True))
        if answer:
            await tx.add_event(TicketEvent(t.id, "staff_reply", "slack:U1", answer, at + 2))
            await tx.add_event(TicketEvent(t.id, "staff_reply", "slack:U1", "anything else?", at + 3))
        await tx.update_ticket(t.id, state=state)
    return t.id


async def _load(store: Store) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {"staking": [], "nft": [], "noise": []}
    n = 0
    for i, q in enumerate(STAKING_QUESTIONS):
        n += 1
        # only the third staking ticket was answered and resolved; the first got an answer but is still open
        answer = STAKING_ANSWER if i == 2 else ("try the Earn tab maybe" if i == 0 else None)
        ids["staking"].append(await _ticket(store, n, q, answer=answer, state="resolved" if i == 2 else "open"))
    for q in NFT_QUESTIONS:
        n += 1
        ids["nft"].append(await _ticket(store, n, q, answer=NFT_ANSWER))
    for q in NOISE:
        n += 1
        ids["noise"].append(await _ticket(store, n, q, answer="no idea"))
    await _ticket(store, 90, "how do I stake my tokens", answer="x", category="gas-fees")  # categorised: not a gap
    await _ticket(store, 91, "how do I stake my tokens", answer="x", at=NOW - 60 * 86400)  # too old
    return ids


async def test_two_clusters_and_noise_from_the_store(store: Store) -> None:
    ids = await _load(store)
    questions = await collect_questions(store, since=NOW - 30 * 86400)
    assert len(questions) == len(STAKING_QUESTIONS) + len(NFT_QUESTIONS) + len(NOISE)
    staking, nft = await mine_gaps(store, since=NOW - 30 * 86400)
    assert staking.ticket_ids == ids["staking"] and nft.ticket_ids == ids["nft"]
    # the answer that closed a ticket wins over an answer on a ticket still open; internal notes never count
    assert staking.answers == {"en": STAKING_ANSWER} and staking.answer_ticket == ids["staking"][2]
    assert nft.answers == {"zh": NFT_ANSWER}
    assert set(staking.questions["en"]) == set(STAKING_QUESTIONS) and staking.questions["zh"] == []
    assert set(nft.questions["zh"]) == set(NFT_QUESTIONS)
    assert staking.id.startswith("proposed-") and staking.id != nft.id


def test_noise_alone_proposes_nothing() -> None:
    assert find_gaps([GapQuestion(i, q) for i, q in enumerate(NOISE)]) == []
    assert find_gaps([]) == []
    assert find_gaps([GapQuestion(1, "how do I stake my tokens")]) == []


def test_min_size_and_example_cap() -> None:
    qs = [GapQuestion(i, q) for i, q in enumerate(STAKING_QUESTIONS + NFT_QUESTIONS)]
    (only,) = find_gaps(qs, min_size=5)
    assert only.ticket_ids == [0, 1, 2, 3, 4]
    assert len(find_gaps(qs, max_examples=3)[0].questions["en"]) == 3


async def test_yaml_is_a_reviewable_faq_file(store: Store, tmp_path: Path) -> None:
    await _load(store)
    proposals = await mine_gaps(store, since=NOW - 30 * 86400)
    text = proposals_yaml(proposals)
    assert text.startswith("# FAQ entries proposed") and "TODO: write the zh answer" in text
    path = tmp_path / "proposals.yaml"
    path.write_text(text, encoding="utf-8")
    entries = load_faq(path, partial=True)
    assert [e.id for e in entries] == [p.id for p in proposals]
    assert entries[0].answers == {"en": STAKING_ANSWER} and entries[0].tags == ("proposed",)
    # not importable until a reviewer writes the missing language ...
    with pytest.raises(FaqFileError, match="no answer in zh"):
        load_operator_faq(path, "extend")
    # ... and importable once they have
    data = yaml.safe_load(text)
    data["entries"][0]["answers"]["zh"] = "打开“赚币”，选择代币并点击质押。"
    data["entries"][1]["answers"]["en"] = "Pull to refresh the Collectibles tab and check the network."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    merged = load_operator_faq(path, "extend")
    assert {p.id for p in proposals} <= {e.id for e in merged}
    assert proposals_yaml([]).rstrip().endswith("entries: []")


async def test_questions_the_faq_now_answers_are_dropped(sqlite_store: Store, faq_engine: FaqEngine) -> None:
    gas = next(e for e in load_faq() if e.id == "gas-fees")
    known = list(gas.questions["en"][:2])
    assert all(faq_engine.ask(q).answered for q in known)
    for n, q in enumerate([*known, *STAKING_QUESTIONS]):
        await _ticket(sqlite_store, n, q, answer="a")
    kept = {q.text for q in await collect_questions(sqlite_store, since=0, engine=faq_engine)}
    assert not kept & set(known)
    assert kept == {q for q in STAKING_QUESTIONS if not faq_engine.ask(q).answered}
    assert len(kept) >= 3


def test_cli_faq_gaps(ops_cli: OpsCli, tmp_path: Path) -> None:
    import time

    async def fill(store: Store) -> None:
        for n, q in enumerate(STAKING_QUESTIONS + NOISE):
            await _ticket(store, n, q, answer=STAKING_ANSWER, at=time.time() - 3600)

    ops_cli.seed(fill)
    out = ops_cli.invoke(["faq", "gaps", "--since", "30d", "--keep-answered", "--out", str(tmp_path / "p.yaml")])
    assert out.exit_code == 0, out.output
    entries = load_faq(tmp_path / "p.yaml", partial=True)
    assert len(entries) == 1 and entries[0].answers == {"en": STAKING_ANSWER}
