"""Personal text encrypted at rest (issue 15), on a real SQLite file and on PostgreSQL:
the raw tables hold no plaintext, every use case still reads it, rotation re-seals,
legacy plaintext rows still read, a missing key fails clearly."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.faq_engine import FaqEngine
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, Priority, TicketEvent, UserRef
from core.ops.gaps import collect_questions
from core.ops.privacy import export_user, forget_user
from core.ops.report import build_report
from core.ops.transcript import load_transcript, render
from core.storage.postgres import PostgresStore
from core.storage.rotation import check_keys, key_census, reseal
from core.storage.sealed_rows import SEALED, SealedStore
from core.storage.sealing import SealError, Sealer, key_id
from core.storage.sqlite import SQLiteStore
from core.use_cases import UseCases
from tests.conftest import PG_DSN, make_settings

ALICE = UserRef("telegram", "4242")
BOB = UserRef("telegram", "5151")
NAME = "Alice Liddell"
SENTENCE = "the quokka-marmalade gadget hums strangely at night"
FOLLOW = "the hash is in my quokka-followup note"
QUESTION = "zebra-tapioca why is the sky tilted"
KEY_A, KEY_B = b"a" * 32, b"b" * 32
TABLES = ("users", "conversations", "tickets", "ticket_events", "outbox")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1")


@pytest.fixture(params=["sqlite", "postgres"])
async def plain(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """The backend without sealing (what an existing deployment wrote with)."""
    if request.param == "sqlite":
        store: Any = SQLiteStore(tmp_path / "sealed.db")
    else:
        store = PostgresStore(PG_DSN, schema=f"t_{uuid.uuid4().hex[:12]}")
    yield store
    if request.param == "postgres" and store._pool is not None:  # noqa: SLF001
        await store.drop_schema()
    await store.close()


@pytest.fixture
async def sealed(plain: Any) -> SealedStore:
    store = SealedStore(plain, Sealer([KEY_A]))
    await store.open()
    return store


def _dm(text: str, key: str, name: str = NAME, user: UserRef = ALICE) -> InboundMessage:
    return InboundMessage(event_key=key, user=user, chat=ChatRef("telegram", user.user_id, is_private=True),
                          text=text, message_id=key.rsplit(":", 1)[-1], display_name=name)


async def _raw(store: SealedStore) -> str:
    """Every row of the personal tables exactly as the database holds it."""
    rows: dict[str, Any] = {}
    async with store.transaction() as tx:
        for table in TABLES:
            rows[table] = await tx._c.raw.fetchall(f"SELECT * FROM {table}")  # noqa: SLF001
    return json.dumps(rows, ensure_ascii=False, default=str)


async def _talk(core: UseCases) -> int:
    """Alice opens a ticket with a known sentence, staff reply, she answers; Bob asks
    something the FAQ cannot answer (kept as his conversation's question)."""
    out = await core.dialogue.handle_message(_dm(f"/human {SENTENCE}", "telegram:update:1"))
    assert out.ticket_id is not None
    await core.staff.act(Actor.at_desk("slack:U1"), out.ticket_id, "reply", event_key="s1",
                         text=f"Dear {NAME}, send the hash please")
    await core.dialogue.handle_message(_dm(FOLLOW, "telegram:update:2"))
    await core.dialogue.handle_message(_dm(QUESTION, "telegram:update:3", "Bob Tapioca", BOB))
    return out.ticket_id


@pytest.fixture
async def talked(settings: Settings, sealed: SealedStore, faq_engine: FaqEngine, clock: Any,
                 code_sender: Any) -> tuple[UseCases, int]:
    core = UseCases(settings, sealed, faq_engine, code_sender=code_sender, clock=clock)
    return core, await _talk(core)


async def test_no_plaintext_at_rest_and_every_use_case_reads_it(talked: tuple[UseCases, int], sealed: SealedStore,
                                                               clock: Any) -> None:
    core, tid = talked
    raw = await _raw(sealed)
    for secret in ("quokka", "zebra-tapioca", NAME, "Liddell", "send the hash"):
        assert secret not in raw, secret
    assert raw.count("wd1:" + key_id(KEY_A) + ":") >= 6
    async with sealed.transaction() as tx:
        ticket = await tx.get_ticket(tid)
        assert ticket is not None and ticket.subject == SENTENCE
        bodies = [e.body for e in await tx.events(tid)]
        assert SENTENCE in bodies and FOLLOW in bodies
        summary = json.dumps(await core.desk.summary(tx, ticket), ensure_ascii=False, default=str)
        assert NAME in summary and SENTENCE in summary
        assert [r.user_key for r in await tx.find_users_by_name("alice liddell")] == [ALICE.key]
        assert await tx.find_users_by_name("Alice") == []
        payloads = " ".join(r.payload for r in await tx.deliveries())
        assert "quokka-followup" in payloads
        (bob,) = await tx.conversations_of(BOB.key)
        assert bob.data["question"] == QUESTION
    transcript = render(await load_transcript(sealed, tid), "text")
    assert SENTENCE in transcript and FOLLOW in transcript and NAME in transcript
    report = await build_report(sealed, since=clock() - 3600, now=clock() + 1, sla_first_response={})
    assert report.tickets == 1 and report.backlog.count == 1
    assert [q.text for q in await collect_questions(sealed, since=clock() - 3600)] == [SENTENCE]
    exported = json.dumps(await export_user(sealed, ALICE.key), ensure_ascii=False)
    assert SENTENCE in exported and NAME in exported


async def test_forget_scrubs_sealed_mentions(talked: tuple[UseCases, int], sealed: SealedStore) -> None:
    """``scrub_outbox_mentions`` can no longer LIKE the payloads: it decrypts and scans."""
    async with sealed.transaction() as tx:  # a row for somebody else that names Alice
        await tx.enqueue(platform="slack", action="post", chat_id="C9", thread_id=None, ticket_id=None,
                         payload={"text": f"ping about {NAME}"}, idempotency_key="other", now=1.0)
        await tx.enqueue(platform="slack", action="post", chat_id="C9", thread_id=None, ticket_id=None,
                         payload={"text": "unrelated"}, idempotency_key="other2", now=1.0)
    await forget_user(sealed, ALICE.key)
    async with sealed.transaction() as tx:
        rows = {r.idempotency_key: r.payload for r in await tx.deliveries()}
        assert rows["other"] == "{}" and json.loads(rows["other2"]) == {"text": "unrelated"}
        assert await tx.find_users_by_name(NAME) == []
    assert "quokka" not in json.dumps(rows, ensure_ascii=False)


async def test_split_parts_are_scrubbed_from_sealed_rows(sealed: SealedStore, clock: Any) -> None:
    """``scrub_message_parts`` matches bodies and payloads after opening them."""
    async with sealed.transaction() as tx:
        await tx.upsert_user(ALICE, NAME, "en", clock())
        ticket = await tx.create_ticket(user=ALICE, origin=ChatRef("telegram", "1", is_private=True),
                                        origin_message_id=None, priority=Priority.NORMAL,
                                        category=None, lang="en", subject="s", now=clock())
        for i, body in enumerate(("part one words", "keep me")):
            await tx.add_event(TicketEvent(ticket.id, "user_message", ALICE.key, body, clock()))
            await tx.enqueue(platform="slack", action="post", chat_id="C1", thread_id=None, ticket_id=ticket.id,
                             payload={"text": f"> {body}"}, idempotency_key=f"k{i}", now=clock())
        assert await tx.scrub_message_parts(ticket.id, ALICE.key, ["part one words"]) == 1
        assert [e.body for e in await tx.events(ticket.id)] == [None, "keep me"]
        assert [r.payload != "{}" for r in await tx.deliveries(ticket_id=ticket.id)] == [False, True]


async def test_rotation_reseals_and_everything_still_reads(talked: tuple[UseCases, int], plain: Any) -> None:
    _, tid = talked
    old = SealedStore(plain, Sealer([KEY_A]))
    before = await _raw(old)
    rotated = SealedStore(plain, Sealer([KEY_B, KEY_A]))  # new key first, the old one kept
    done = await reseal(rotated, batch=2)  # batches smaller than the tables: the keyset walk is exercised
    assert done["ticket_events"] >= 3 and done["users"] == 2 and done["conversations"] >= 2
    after = await _raw(rotated)
    assert after != before and "wd1:" + key_id(KEY_A) not in after and "quokka" not in after
    assert set(await key_census(rotated)) == {key_id(KEY_B)}
    only_new = SealedStore(plain, Sealer([KEY_B]))  # the old key can go now
    await check_keys(only_new)
    async with only_new.transaction() as tx:
        ticket = await tx.get_ticket(tid)
        assert ticket is not None and ticket.subject == SENTENCE
        assert [r.user_key for r in await tx.find_users_by_name(NAME)] == [ALICE.key]  # index recomputed
    assert FOLLOW in render(await load_transcript(only_new, tid), "text")
    assert await reseal(only_new) == {table: 0 for table in SEALED}  # nothing left to do


async def test_a_missing_key_is_one_clear_error(talked: tuple[UseCases, int], plain: Any) -> None:
    wrong = SealedStore(plain, Sealer([KEY_B], source="WALLETDESK_DATA_KEY"))
    with pytest.raises(SealError) as err:
        await check_keys(wrong)
    message = str(err.value)
    assert key_id(KEY_A) in message and "WALLETDESK_DATA_KEY" in message and "\n" not in message
    assert KEY_A.hex() not in message and KEY_B.hex() not in message


async def test_a_token_moved_to_another_column_does_not_open(talked: tuple[UseCases, int], sealed: SealedStore) -> None:
    _, tid = talked
    async with sealed.transaction() as tx:
        raw = tx._c.raw  # noqa: SLF001
        body = (await raw.fetchone("SELECT body FROM ticket_events WHERE body IS NOT NULL ORDER BY id LIMIT 1"))["body"]
        await raw.execute("UPDATE tickets SET subject = ? WHERE id = ?", (body, tid))
    with pytest.raises(SealError, match="altered or copied"):
        async with sealed.transaction() as tx:
            await tx.get_ticket(tid)


async def test_legacy_plaintext_rows_still_read_then_rotation_seals_them(
        settings: Settings, plain: Any, faq_engine: FaqEngine, clock: Any, code_sender: Any) -> None:
    await plain.open()  # an existing deployment, before encryption
    tid = await _talk(UseCases(settings, plain, faq_engine, code_sender=code_sender, clock=clock))
    store = SealedStore(plain, Sealer([KEY_A]))
    assert "quokka" in await _raw(store)
    await check_keys(store)
    async with store.transaction() as tx:
        ticket = await tx.get_ticket(tid)
        assert ticket is not None and ticket.subject == SENTENCE
        assert [r.user_key for r in await tx.find_users_by_name("ALICE LIDDELL")] == [ALICE.key]
    assert set(await key_census(store)) == {"plain"}
    await reseal(store)
    raw = await _raw(store)
    assert "quokka" not in raw and NAME not in raw and "zebra-tapioca" not in raw
    assert set(await key_census(store)) == {key_id(KEY_A)}
    async with store.transaction() as tx:
        assert [r.user_key for r in await tx.find_users_by_name(NAME)] == [ALICE.key]
        assert FOLLOW in [e.body for e in await tx.events(tid)]


async def test_a_relayed_file_is_sealed_at_rest_and_reads_back(sealed: SealedStore, talked: tuple[UseCases, int]) -> None:
    """A screenshot waiting in the files table is personal content: its bytes and name are sealed."""
    from core.models import FileBlob
    _, ticket_id = talked
    blob = FileBlob("alice-passport-scan.png", "image/png", b"\x89PNG quokka-bytes " + SENTENCE.encode())
    async with sealed.transaction() as tx:
        file_id = await tx.save_file(ticket_id=ticket_id, user_key=ALICE.key, direction="to_desk", blob=blob, now=1.0)
    async with sealed.transaction() as tx:
        raw = await tx._c.fetchall("SELECT * FROM files", ())  # noqa: SLF001 (the connection opens values)
        assert await tx.get_file(file_id) == blob
    async with sealed.inner.transaction() as tx:  # the backend's own view: what is on disk
        rows = await tx._c.fetchall("SELECT name, data FROM files", ())  # noqa: SLF001
    assert raw and all(str(r["name"]).startswith("wd1:") and str(r["data"]).startswith("wd1:") for r in rows)
    on_disk = json.dumps(rows)
    assert "passport" not in on_disk and base64.b64encode(blob.data).decode()[:40] not in on_disk


async def test_a_block_reason_is_sealed_at_rest_and_read_back(settings: Settings, sealed: SealedStore,
                                                             faq_engine: FaqEngine, clock: Any, code_sender: Any) -> None:
    core = UseCases(settings, sealed, faq_engine, code_sender=code_sender, clock=clock)
    await core.dialogue.handle_message(_dm("hello", "telegram:update:9"))
    await core.blocking.block(Actor.at_desk("slack:U1"), NAME, "quokka threats in the group", event_key="b1")
    async with sealed.transaction() as tx:
        (raw,) = await tx._c.raw.fetchall("SELECT reason FROM blocked_users")  # noqa: SLF001
        assert raw["reason"].startswith("wd1:") and "quokka" not in raw["reason"]
    assert "quokka threats in the group" in await core.blocking.listing(Actor.at_desk("slack:U1"), "en")
