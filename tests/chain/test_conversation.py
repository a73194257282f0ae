"""A tx hash in the conversation, through the real use cases on a SQLite file and
a real EVM over JSON-RPC: the answer, in the user's language, and what it never does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.conversation.tx_lookup import shorten
from core.faq_engine import FaqEngine
from core.models import ChatRef, InboundMessage, UserRef
from core.storage.sqlite import SQLiteStore
from core.use_cases import UseCases
from tests.conftest import Clock, RecordingCodeSender, make_settings
from tests.simulators.evm_node import EvmNode
from tests.waiting import wait_until

ALICE = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
GROUP = ChatRef("telegram", "-500", is_private=False)
_n = iter(range(1, 10_000))


def msg(text: str, *, chat: ChatRef = DM, addressed: bool = True) -> InboundMessage:
    n = next(_n)
    return InboundMessage(event_key=f"tg:{n}", user=ALICE, chat=chat, text=text, message_id=str(n),
                          display_name="Alice", addressed=addressed)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "test.db")
    await s.open()
    yield s
    await s.close()


def make_core(tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, **env: str) -> UseCases:
    return UseCases(make_settings(tmp_path, **env), store, faq_engine, code_sender=RecordingCodeSender(),
                    clock=Clock())


async def sent(core: UseCases, chat_id: str = "100") -> list[str]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    out = []
    for row in rows:
        payload = row.data
        if row.chat_id == chat_id and row.action in ("send", "dm"):
            out.append(str(payload.get("text")))
    return out


async def test_a_hash_in_a_private_chat_gets_its_status_recipient_tokens_and_next_step(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    a = node.accounts
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    tx = node.token_transfer(usdt, a[0], a[1], 120 * 10**6)
    node.mine(2)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    out = await core.dialogue.handle_message(msg(f"my USDT has not arrived, tx {tx}"))
    assert "chain success" in out.notes and out.faq is None  # answered from the chain, not the FAQ
    (reply,) = await sent(core)
    assert "confirmed on Ethereum" in reply and "3 confirmations" in reply
    assert "120 USDT to " + shorten(a[1].lower()) in reply and "ask them to credit it" in reply
    assert tx not in reply and shorten(tx) in reply


async def test_the_answer_is_in_the_user_s_language_and_a_failure_says_only_the_fee_was_spent(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    tx = node.token_transfer(usdt, node.accounts[3], node.accounts[1], 5)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    await core.dialogue.handle_message(msg(f"我的转账失败了，交易哈希 {tx}"))
    (reply,) = await sent(core)
    assert "失败" in reply and "ERC20: transfer amount exceeds balance" in reply and "只扣了网络手续费" in reply


async def test_a_pending_one_says_wait(tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine,
                                       node: EvmNode) -> None:
    node.auto_mine(False)
    tx = node.send(node.accounts[0], node.accounts[1], 10**17)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    await core.dialogue.handle_message(msg(f"tx {tx} is stuck"))
    (reply,) = await sent(core)
    assert "pending on Ethereum" in reply and "please wait" in reply and "0.1 ETH" in reply


async def test_found_on_another_configured_chain_is_the_wrong_network(tmp_path: Path, store: SQLiteStore,
                                                                      faq_engine: FaqEngine, node: EvmNode) -> None:
    async with EvmNode() as ethereum:
        tx = node.send(node.accounts[0], node.accounts[1], 10**18)
        core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={ethereum.url},bsc={node.url}")
        out = await core.dialogue.handle_message(msg(f"I sent it on ethereum, tx {tx}, not arrived"))
    assert "chain success wrong network" in out.notes
    (reply,) = await sent(core)
    assert "This transaction is on BSC, not Ethereum" in reply and "wrong network" in reply


async def test_a_hanging_or_failing_endpoint_gets_couldn_t_check_and_the_conversation_goes_on(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    handler = next(h for h in core.dialogue.handlers if type(h).__name__ == "LookUpTransaction")
    handler.chain.deadline = 0.3  # type: ignore[attr-defined]
    node.hang()
    await core.dialogue.handle_message(msg("tx 0x" + "ab" * 32 + " never came"))
    node.heal()
    node.fail_with(500)
    await core.dialogue.handle_message(msg("txid 0x" + "cd" * 32))
    replies = await sent(core)
    assert replies == ["I couldn't check the chain right now. Please try again in a few minutes, or tell me more "
                       "and a person will look at it."] * 2
    await core.dialogue.handle_message(msg("how do I back up my seed phrase?"))
    assert len(await sent(core)) == 3  # the next question is answered as ever


async def test_nothing_is_looked_up_for_a_flagged_message_a_command_or_a_group_without_tx_context(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    h = "0x" + "ab" * 32
    await core.dialogue.handle_message(msg(f"my private key is {h}"))  # the shield flags it
    await core.dialogue.handle_message(msg("abandon " * 11 + "about and tx " + h))  # a phrase beside a hash
    await core.dialogue.handle_message(msg(f"/start {h}"))
    await core.dialogue.handle_message(msg(f"look {h}", chat=GROUP, addressed=False))
    assert node.calls == []
    await core.dialogue.handle_message(msg(f"tx {h} stuck", chat=GROUP, addressed=False))
    assert node.calls != []
    *_, reply = await sent(core, "-500")  # before it, the shield's public notice for the bare "look <hex>"
    assert "couldn't find transaction" in reply


async def test_without_a_chain_configured_nothing_changes(tmp_path: Path, store: SQLiteStore,
                                                           faq_engine: FaqEngine) -> None:
    core = make_core(tmp_path, store, faq_engine)
    out = await core.dialogue.handle_message(msg("tx 0x" + "ab" * 32 + " has not arrived"))
    assert out.faq is not None and not any(n.startswith("chain") for n in out.notes)


async def test_with_an_open_ticket_the_lookup_goes_to_the_desk_and_the_message_to_staff(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    tx = node.send(node.accounts[0], node.accounts[1], 10**18)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    opened = await core.dialogue.handle_message(msg("human"))
    out = await core.dialogue.handle_message(msg(f"here is the tx {tx}"))
    assert out.ticket_id == opened.ticket_id and "chain success" in out.notes
    async with core.store.transaction() as txn:
        desk = [r.data for r in await txn.deliveries(ticket_id=opened.ticket_id)]
    posts = [p.get("text", "") for p in desk if p.get("kind") in ("system", "user")]
    assert any(f"Chain lookup of {tx}: success on ethereum" in p for p in posts)
    assert any(tx in p and "here is the tx" in p for p in posts)  # relayed to staff as ever


def test_shortened_never_below_six_and_four() -> None:
    addr = "0x2b5ad5c4795c026514f8317c7a215e218dccd6cf"
    short = shorten(addr)
    head, tail = short.split("…")
    assert addr.startswith(head) and addr.endswith(tail) and len(head) >= 6 and len(tail) >= 4
    assert shorten("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").startswith("TR7NHqje")
    assert shorten("bc1qshort") == "bc1qshort"


async def test_a_bare_hash_sent_after_the_bot_asked_for_one_is_looked_up(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    tx = node.send(node.accounts[0], node.accounts[1], 10**18)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    await core.dialogue.handle_message(msg("my tx 0x" + "ab" * 32 + " has not arrived"))  # a mistyped hash
    (asked,) = await sent(core)
    assert "send the hash again" in asked
    out = await core.dialogue.handle_message(msg(tx))  # nothing but the hash: the answer to that question
    assert not out.leak and "chain success" in out.notes
    assert "confirmed on Ethereum" in (await sent(core))[-1]


async def test_a_lookup_waiting_on_a_hanging_endpoint_holds_no_store_lock(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    """The lookup runs before the turn's transaction: another user's message is
    answered while the first one still waits for the chain."""
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    node.hang()
    waiting = asyncio.create_task(core.dialogue.handle_message(msg("tx 0x" + "ab" * 32 + " never came")))
    try:
        await wait_until(lambda: node.calls, what="the lookup reached the node")
        bob = InboundMessage(event_key="tg:bob-1", user=UserRef("telegram", "200"),
                             chat=ChatRef("telegram", "200", is_private=True), text="how do I back up my seed phrase?",
                             message_id="1", display_name="Bob", addressed=True)
        answered = await core.dialogue.handle_message(bob)
        assert answered.status == "handled"
        assert not waiting.done()  # Bob's turn did not wait for Alice's lookup
        assert len(await sent(core, "200")) == 1
    finally:
        node.heal()
        await waiting
    assert len(await sent(core)) == 1


async def test_a_hash_found_on_chain_is_never_taken_for_a_key_again(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    tx = node.send(node.accounts[0], node.accounts[1], 10**18)
    node.mine(1)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    first = await core.dialogue.handle_message(msg(f"tx {tx} is it done?", chat=GROUP))
    assert not first.leak and "chain success" in first.notes
    bare = await core.dialogue.handle_message(msg(tx, chat=GROUP))  # no tx word this time
    assert not bare.leak
    named = await core.dialogue.handle_message(msg(f"my private key is {tx}", chat=GROUP))
    assert named.leak  # key words still win
    unknown = await core.dialogue.handle_message(msg("0x" + "5e" * 32, chat=GROUP))
    assert unknown.leak  # a 64-hex nobody found on a chain is still a key


async def test_a_hash_given_as_an_intake_answer_is_looked_up_before_the_next_question(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:
    tx = node.send(node.accounts[0], node.accounts[1], 5 * 10**18)
    node.mine(1)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    await core.dialogue.handle_message(msg("my eth transfer has not arrived after 3 hours"))
    await core.dialogue.handle_message(msg("human"))
    await core.dialogue.handle_message(msg("ethereum"))
    before = len(await sent(core))
    out = await core.dialogue.handle_message(msg(tx))  # the answer to "What is the transaction hash?"
    status, question = (await sent(core))[before:]
    assert "chain success" in out.notes and out.ticket_id == 1
    assert "is confirmed on Ethereum" in status and "5 ETH" in status
    assert "How much" in question  # intake goes on
    async with core.store.transaction() as tx_:
        events = [e.kind for e in await tx_.events(1)]
    assert "chain_lookup" in events
