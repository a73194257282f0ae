"""Upgrades: a database filled at every earlier schema version (with rows) is
brought to the current one on SQLite and PostgreSQL with its rows intact;
concurrent first starts on PostgreSQL take turns (exactly one migrates, none fails);
``walletdesk migrate`` says from which version to which."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

import core.storage.meta_rows as meta_rows
from core.models import ChatRef, Priority, UserRef
from core.storage import Store
from core.storage.migrations import MIGRATIONS
from core.storage.postgres import PostgresStore
from core.storage.sqlite import SQLiteStore
from core.wiring.cli import app
from tests.waiting import wait_until

PG_DSN = os.environ.get("WALLETDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
LATEST = len(MIGRATIONS)
ALICE = UserRef("telegram", "1")


def _new_store(kind: str, tmp_path: Path) -> Store:
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "old.db")
    return PostgresStore(PG_DSN, schema=f"m_{uuid.uuid4().hex[:12]}")


async def _fill(store: Store, version: int) -> None:
    """Rows in every table that exists at ``version``, written the way that version's code did."""
    async with store.transaction() as tx:
        await tx.claim_event("telegram:update:1", 1.0)
        await tx.upsert_user(ALICE, "Alice", "zh", 1.0)
        await tx.create_ticket(user=ALICE, origin=ChatRef("telegram", "1", is_private=True), origin_message_id="5",
                               priority=Priority.HIGH, category="gas-fees", lang="zh", subject="help", now=1.0)
        await tx.enqueue(platform="telegram", action="send", chat_id="1", thread_id=None, payload={"text": "hi"},
                         idempotency_key="k1", now=1.0)
        if version >= 2:
            await tx.record_faq_event(platform="telegram", lang="zh", entry_id="gas-fees", confidence=0.9,
                                      answered=True, now=1.0)
        if version >= 4:
            await tx.add_faq_phrasing(entry_id="gas-fees", lang="en", text="why so pricey", added_by="slack:U1",
                                      ticket_id=None, now=1.0)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("version", range(1, LATEST))
async def test_a_database_filled_at_an_earlier_version_upgrades_with_its_rows(
        kind: str, version: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _new_store(kind, tmp_path)
    monkeypatch.setattr(meta_rows, "MIGRATIONS", MIGRATIONS[:version])  # the code as it shipped at `version`
    await old.open()
    assert old.schema_versions == (0, version)  # type: ignore[attr-defined]
    await _fill(old, version)
    await old.close()
    monkeypatch.setattr(meta_rows, "MIGRATIONS", MIGRATIONS)

    store = _new_store(kind, tmp_path)
    if isinstance(old, PostgresStore):
        store = PostgresStore(PG_DSN, schema=old.schema)
    await store.open()
    try:
        assert store.schema_versions == (version, LATEST)  # type: ignore[attr-defined]
        async with store.transaction() as tx:
            assert not await tx.claim_event("telegram:update:1", 2.0)  # still seen: no redelivery processed twice
            user = await tx.get_user(ALICE.key)
            assert user is not None and (user.display_name, user.lang) == ("Alice", "zh")
            ticket = await tx.active_ticket_for([ALICE.key])
            assert ticket is not None and (ticket.subject, ticket.category) == ("help", "gas-fees")
            assert [r.idempotency_key for r in await tx.deliveries(status="pending")] == ["k1"]
            counts = await tx.faq_event_counts(0.0, 10.0)
            assert [r.n for r in counts] == ([1] if version >= 2 else [])
            # the tables added after `version` work
            assert await tx.add_faq_phrasing(entry_id="gas-fees", lang="en", text="fees?", added_by="slack:U1",
                                             ticket_id=None, now=2.0)
            assert await tx.add_tag(ticket.id, "refund", "slack:U1", 2.0)
            assert {"closing", "explorer", "never-share"} <= {r.name for r in await tx.snippets()}
            assert await tx.ticket_tags(ticket.id) == ["refund"]
            assert await tx.schema_version() == LATEST
    finally:
        if isinstance(store, PostgresStore):
            await store.drop_schema()
        await store.close()


def _first_start(schema: str, out: "multiprocessing.Queue[tuple[int, int] | str]") -> None:
    async def start() -> tuple[int, int]:
        store = PostgresStore(PG_DSN, schema=schema)
        await store.open()
        await store.close()
        return store.schema_versions

    try:
        out.put(asyncio.run(start()))
    except Exception as exc:  # reported to the test, which fails on it
        out.put(f"{type(exc).__name__}: {exc}")


async def test_concurrent_first_starts_on_postgres_migrate_once_and_none_fails() -> None:
    schema = f"m_{uuid.uuid4().hex[:12]}"
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_first_start, args=(schema, out)) for _ in range(4)]
    for p in procs:
        p.start()
    await wait_until(lambda: all(p.exitcode is not None for p in procs), what="four first starts finished")
    results = [out.get(timeout=5) for _ in procs]
    assert sorted(results) == [(0, LATEST)] + [(LATEST, LATEST)] * 3, results
    store = PostgresStore(PG_DSN, schema=schema)
    await store.open()
    try:
        async with store.transaction() as tx:  # each version recorded once: nobody applied a step twice
            rows = await tx._c.fetchall("SELECT version FROM schema_version ORDER BY version")  # noqa: SLF001
        assert [r["version"] for r in rows] == list(range(1, LATEST + 1))
    finally:
        await store.drop_schema()
        await store.close()


def test_walletdesk_migrate_reports_the_version_before_and_after(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLETDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    first = runner.invoke(app, ["migrate", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"before": 0, "after": LATEST, "latest": LATEST,
                                        "applied": list(range(1, LATEST + 1))}
    again = runner.invoke(app, ["migrate"])
    assert again.exit_code == 0 and again.stdout == f"schema version {LATEST}: already current\n"


def test_walletdesk_migrate_on_an_unreachable_database_is_one_error_line(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALLETDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WALLETDESK_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_links_made_before_version_5_stay_listed_but_share_nothing_until_confirmed(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Version 5 records when a link was confirmed from both accounts; a link made before
    then was never confirmed: the desk still lists it, but the accounts share no ticket and
    privacy requests cover one account only."""
    bob = UserRef("discord", "2")
    old = _new_store(kind, tmp_path)
    monkeypatch.setattr(meta_rows, "MIGRATIONS", MIGRATIONS[:4])
    await old.open()
    async with old.transaction() as tx:
        await tx.upsert_user(ALICE, "Alice", "en", 1.0)
        await tx.upsert_user(bob, "bob", "en", 1.0)
        await tx.link_users(ALICE.key, bob.key)  # the way version 4 linked: on redemption alone
    await old.close()
    monkeypatch.setattr(meta_rows, "MIGRATIONS", MIGRATIONS)
    store = PostgresStore(PG_DSN, schema=old.schema) if isinstance(old, PostgresStore) else _new_store(kind, tmp_path)
    await store.open()
    try:
        assert store.schema_versions == (4, LATEST)  # type: ignore[attr-defined]
        async with store.transaction() as tx:
            assert sorted(r.user_key for r in await tx.person_accounts(bob.key)) == sorted([ALICE.key, bob.key])
            assert await tx.linked_user_keys(bob.key) == [bob.key]
            assert [r.link_confirmed_at for r in await tx.person_accounts(bob.key)] == [None, None]
            assert await tx.confirmed_user_keys(bob.key) == [bob.key]
            await tx.link_users(ALICE.key, bob.key, confirmed_at=2.0)  # confirmed now
            assert sorted(await tx.confirmed_user_keys(bob.key)) == sorted([ALICE.key, bob.key])
            assert sorted(await tx.linked_user_keys(bob.key)) == sorted([ALICE.key, bob.key])
    finally:
        if isinstance(store, PostgresStore):
            await store.drop_schema()
        await store.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_version_6_seeds_the_built_in_snippets_once(kind: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A database from before snippets gets the three built-in replies (en and zh, placeholders
    intact, the ``?`` in one of them too); one staff removed stays removed on the next start."""
    old = _new_store(kind, tmp_path)
    monkeypatch.setattr(meta_rows, "MIGRATIONS", MIGRATIONS[:5])
    await old.open()
    await old.close()
    monkeypatch.setattr(meta_rows, "MIGRATIONS", MIGRATIONS)

    def reopen() -> Store:
        return PostgresStore(PG_DSN, schema=old.schema) if isinstance(old, PostgresStore) else _new_store(kind, tmp_path)

    store = reopen()
    await store.open()
    async with store.transaction() as tx:
        rows = {r.name: r for r in await tx.snippets()}
        assert sorted(rows) == ["closing", "explorer", "never-share"]
        assert rows["explorer"].body_en.startswith("Hi {user}, could you send us the transaction hash (tx id)? ")
        assert (rows["closing"].body_zh or "").startswith("谢谢 {user}！工单 #{ticket_id}")
        assert await tx.delete_snippet("explorer")
    await store.close()
    again = reopen()
    await again.open()
    try:
        async with again.transaction() as tx:
            assert [r.name for r in await tx.snippets()] == ["closing", "never-share"]
    finally:
        if isinstance(again, PostgresStore):
            await again.drop_schema()
        await again.close()
