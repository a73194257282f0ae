"""A user's message costs at most BUDGET SQL statements, BEGIN and COMMIT not counted:
one answered by the FAQ (private chat and group) and one relayed into the user's open
ticket, through the real core on each backend. A count, not a timing: every statement
on PostgreSQL is a round trip, which is what a message's store time is made of
(benchmarks/README.md, scale-out).

Later features may raise a budget below only with the reason written beside it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.config import Settings
from core.faq_engine import FaqEngine
from core.models import ChatRef, InboundMessage, UserRef
from core.storage import Store
from core.storage.postgres import PostgresStore
from core.storage.sealed_rows import SealedStore
from core.storage.sealing import Sealer
from core.storage.sqlite import SQLiteStore
from core.storage.statements import CountingStore
from core.support.outcome import Outcome
from core.use_cases import UseCases
from tests.conftest import PG_DSN, Clock, RecordingCodeSender

# claim the event (+ on PostgreSQL the person's lock, same statement), read the turn's rows,
# record the FAQ lookup, save the conversation, queue the answer
FAQ_BUDGET = 6
# claim, read, touch the ticket, its events (the user's line and the bot's reply in one INSERT),
# save the conversation, queue the reply and the desk line
RELAY_BUDGET = 6

ALICE = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
GROUP = ChatRef("telegram", "-500", is_private=False)
_n = iter(range(1, 100_000))


def _msg(text: str, chat: ChatRef = DM) -> InboundMessage:
    n = next(_n)
    return InboundMessage(event_key=f"tg:{n}", user=ALICE, chat=chat, text=text, message_id=str(n),
                          display_name="Alice", addressed=True)


@pytest.fixture(params=["sqlite", "postgres", "sealed-sqlite"])
async def counted(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CountingStore]:
    inner: Store
    if request.param == "postgres":
        inner = PostgresStore(PG_DSN, schema=f"t_{uuid.uuid4().hex[:12]}")
    else:
        inner = SQLiteStore(tmp_path / "budget.db")
    try:
        await inner.open()
    except Exception as exc:  # loudly: the PostgreSQL half must not pass quietly
        pytest.fail(f"PostgreSQL is not answering at {PG_DSN}: {exc}", pytrace=False)
    store = CountingStore(SealedStore(inner, Sealer([b"k" * 32])) if request.param.startswith("sealed") else inner)
    yield store
    if isinstance(inner, PostgresStore):
        await inner.drop_schema()
    await inner.close()


@pytest.fixture
def core(settings: Settings, counted: CountingStore, faq_engine: FaqEngine, clock: Clock) -> UseCases:
    return UseCases(settings, counted, faq_engine, code_sender=RecordingCodeSender(), clock=clock)


async def _counted(core: UseCases, msg: InboundMessage) -> tuple[Outcome, str, int]:
    store = core.store
    assert isinstance(store, CountingStore)
    store.log.clear()
    outcome = await core.dialogue.handle_message(msg)
    return outcome, store.log.listing(), len(store.log)


async def _texts(core: UseCases, chat_id: str) -> list[str]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    return [str(r.data.get("text", "")) for r in rows if r.chat_id == chat_id]


async def test_a_private_message_answered_by_the_faq(core: UseCases, clock: Clock) -> None:
    first, listing, n = await _counted(core, _msg("how much are gas fees"))  # a user the bot never met
    assert first.faq is not None and first.faq.answered
    assert n <= FAQ_BUDGET, f"{n} statements for a first message answered by the FAQ:\n{listing}"
    clock.advance(60)
    again, listing, n = await _counted(core, _msg("my transfer has not arrived"))
    assert again.faq is not None and again.faq.answered and again.faq.id == "transfer-not-arrived"
    assert n <= FAQ_BUDGET, f"{n} statements for a message answered by the FAQ:\n{listing}"
    assert len(await _texts(core, DM.chat_id)) == 2  # both answered


async def test_a_group_message_answered_by_the_faq(core: UseCases, clock: Clock) -> None:
    await core.dialogue.handle_message(_msg("how much are gas fees", GROUP))
    clock.advance(60)
    out, listing, n = await _counted(core, _msg("my transfer has not arrived", GROUP))
    assert out.faq is not None and out.faq.answered
    assert n <= FAQ_BUDGET, f"{n} statements for a group message answered by the FAQ:\n{listing}"
    assert len(await _texts(core, GROUP.chat_id)) == 2


async def test_a_message_relayed_into_the_open_ticket(core: UseCases, clock: Clock) -> None:
    opened = await core.dialogue.handle_message(_msg("/human I need help with my account please"))
    assert opened.ticket_id is not None
    for text in ("I sent it from my phone yesterday", "it was around noon, from the app"):
        clock.advance(60)
        out, listing, n = await _counted(core, _msg(text))
        assert out.ticket_id == opened.ticket_id
        assert n <= RELAY_BUDGET, f"{n} statements for a message relayed into its ticket:\n{listing}"
        async with core.store.transaction() as tx:
            events = await tx.events(opened.ticket_id)
            ticket = await tx.get_ticket(opened.ticket_id)
        assert [e.body for e in events if e.kind == "user_message"][-1] == text  # relayed, in order
        assert ticket is not None and ticket.updated_at == clock.now
    desk = await _texts(core, core.desk.chat.chat_id)
    assert sum("around noon" in line for line in desk) == 1  # the desk saw it once
