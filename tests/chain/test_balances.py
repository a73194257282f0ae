"""Stretch: "my token is not showing" with an address: the balance on chain and the contract to add."""

from __future__ import annotations

from pathlib import Path

from core.chain import ChainLookup
from core.chain.balances import KNOWN_TOKENS, find_address, find_token
from core.conversation.tx_lookup import describe_balances
from core.faq_engine import FaqEngine
from core.storage.sqlite import SQLiteStore
from tests.chain.test_conversation import make_core, msg, sent, store  # noqa: F401 - the store fixture
from tests.simulators.evm_node import EvmNode
from tests.simulators.tron_sim import TronSim, b58_address


def test_the_account_address_and_the_token_contract_are_told_apart() -> None:
    me, usdt = "0x" + "1a" * 20, "0x" + "2b" * 20
    assert find_address(f"token contract {usdt}, my address {me}") == ("evm", me)
    assert find_token(f"token contract {usdt}, my address {me}", "ethereum") == usdt
    assert find_token(f"my USDT is not showing {me}", "bsc") == KNOWN_TOKENS["bsc"]["USDT"]
    assert find_token(f"my USDT is not showing {me}", "mychain") is None
    tron = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert find_address(f"USDT missing at TJRabPrwbZy45sbavfcjinPJC18kjpRTv8, contract {tron}")[0] == "tron"  # type: ignore[index]


async def test_an_erc20_balance_and_the_contract_to_add(node: EvmNode) -> None:
    a = node.accounts
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    node.token_transfer(usdt, a[0], a[1], 120 * 10**6)
    lookup = ChainLookup({"ethereum": node.url}, rate=1000, burst=1000)
    held = await lookup.balances(f"my USDT is not showing, address {a[1]}, token contract {usdt}")
    assert held is not None and [(b.amount, b.symbol, b.token) for b in held.balances] == [("120", "USDT", usdt.lower())]
    text = describe_balances(held, "en")
    assert "Your 120 USDT are there" in text and f"add the token contract {usdt.lower()} on Ethereum" in text
    none = await lookup.balances(f"my USDT is not showing, address {a[2]}, token contract {usdt}")
    assert none is not None and "I see no USDT" in describe_balances(none, "en")
    assert await lookup.balances(f"my token is not showing, address {a[2]}") is None  # no token named


async def test_a_trc20_balance(tron: TronSim) -> None:
    usdt = tron.add_token("USDT", 6)
    holder = tron.address(7)
    tron.trc20_transfer(usdt, tron.address(1), holder, 55_500_000)
    lookup = ChainLookup(tron=tron.url, rate=1000, burst=1000)
    held = await lookup.balances(f"USDT not showing on {b58_address(holder)}, contract {b58_address(usdt)}")
    assert held is not None and [(b.chain, b.amount, b.symbol) for b in held.balances] == [("tron", "55.5", "USDT")]
    assert "您的 55.5 USDT 都在" in describe_balances(held, "zh")


async def test_in_a_private_chat(tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine,  # noqa: F811
                                 node: EvmNode) -> None:
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    node.token_transfer(usdt, node.accounts[0], node.accounts[3], 120 * 10**6)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    out = await core.dialogue.handle_message(
        msg(f"my USDT is not showing in the wallet, my address {node.accounts[3]}, token contract {usdt}"))
    assert "chain balance" in out.notes
    (reply,) = await sent(core)
    assert "Your 120 USDT are there" in reply and usdt.lower() in reply


async def test_with_a_ticket_open_the_balance_message_still_reaches_staff(
        tmp_path: Path, store: SQLiteStore, faq_engine: FaqEngine, node: EvmNode) -> None:  # noqa: F811
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    core = make_core(tmp_path, store, faq_engine, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    opened = await core.dialogue.handle_message(msg("human"))
    out = await core.dialogue.handle_message(msg(f"USDT not showing, address {node.accounts[4]}, contract {usdt}"))
    assert "chain balance" in out.notes and out.ticket_id == opened.ticket_id
