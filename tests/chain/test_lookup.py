"""Several chains at once: the wrong-network diagnosis, the deadline, retries, the
circuit breaker, and what leaves the process."""

from __future__ import annotations

import asyncio
import json
import socket

from core.chain import ChainLookup, TxStatus
from tests.simulators.esplora_sim import EsploraSim
from tests.simulators.evm_node import EvmNode
from tests.simulators.tron_sim import TronSim
from tests.waiting import DEADLINE


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def test_a_hash_found_on_another_chain_than_the_one_named_is_the_wrong_network(node: EvmNode) -> None:
    async with EvmNode() as other:
        tx = node.send(node.accounts[0], node.accounts[1], 10**18)
        lookup = ChainLookup({"ethereum": other.url, "bsc": node.url}, rate=1000, burst=1000)
        result = await lookup.lookup_text(f"I sent 1 BNB on ethereum, tx {tx}, nothing arrived")
        assert result is not None and result.found is not None
        assert result.found.chain == "bsc" and result.named == "ethereum" and result.wrong_network
        assert result.found.asset == "BNB"
        assert any(method == "eth_getTransactionByHash" for method, _ in other.calls)  # the named chain was asked
        plain = await lookup.lookup_text(f"tx {tx}")
        assert plain is not None and plain.found is not None and not plain.wrong_network


async def test_found_on_the_named_chain_answers_without_waiting_for_a_hanging_one(node: EvmNode) -> None:
    async with EvmNode() as stuck:
        stuck.hang()
        tx = node.send(node.accounts[0], node.accounts[1], 1)
        lookup = ChainLookup({"ethereum": node.url, "bsc": stuck.url}, deadline=3600, rate=1000, burst=1000)
        # with an hour's deadline, only the early answer can end this within the wait
        result = await asyncio.wait_for(lookup.lookup_text(f"ERC20 tx {tx}"), DEADLINE)
        assert result is not None and result.found is not None and result.found.chain == "ethereum"


async def test_a_hanging_endpoint_ends_at_the_deadline_as_could_not_check(node: EvmNode) -> None:
    node.hang()
    lookup = ChainLookup({"ethereum": node.url}, deadline=0.3)
    result = await asyncio.wait_for(lookup.lookup_text("tx 0x" + "ab" * 32), DEADLINE)
    assert result is not None and result.could_not_check and result.unavailable == ("ethereum",)
    assert result.as_json()["status"] == "not_found" and result.as_json()["reason"] == "unavailable: ethereum"


async def test_a_500_is_retried_and_an_endpoint_that_keeps_failing_is_unavailable(node: EvmNode) -> None:
    tx = node.send(node.accounts[0], node.accounts[1], 1)
    lookup = ChainLookup({"ethereum": node.url}, rate=1000, burst=1000)
    node.fail_with(500, times=2)  # two of the first three requests fail once each
    result = await lookup.lookup_text(f"tx {tx}")
    assert result is not None and result.found is not None and result.found.status is TxStatus.SUCCESS
    node.fail_with(500)
    before = len(node.calls)
    result = await lookup.lookup_text("tx 0x" + "ab" * 32)
    assert result is not None and result.could_not_check
    tries = [method for method, _ in node.calls[before:]]
    # three requests in parallel, each tried up to three times; the first to give up ends the others
    assert max(tries.count(m) for m in set(tries)) == 3 and len(tries) <= 9


async def test_the_breaker_stops_asking_an_endpoint_that_is_down_and_tries_again_later(node: EvmNode) -> None:
    lookup = ChainLookup({"ethereum": node.url}, rate=1000, burst=1000)
    endpoint = lookup.chains["evm"][0].endpoint  # type: ignore[attr-defined]
    node.fail_with(503)
    for _ in range(3):  # three lookups fail in a row
        await lookup.lookup_text("tx 0x" + "ab" * 32)
    assert endpoint.breaker.state == "open"
    before = len(node.calls)
    result = await lookup.lookup_text("tx 0x" + "ab" * 32)
    assert result is not None and result.could_not_check and len(node.calls) == before
    node.heal()
    endpoint.breaker.cooldown = 0.0  # the cool-down is over
    result = await lookup.lookup_text("tx 0x" + "ab" * 32)
    assert result is not None and not result.could_not_check and endpoint.breaker.state == "closed"


async def test_a_dead_endpoint_beside_a_live_one(node: EvmNode) -> None:
    tx = node.send(node.accounts[0], node.accounts[1], 1)
    lookup = ChainLookup({"dead": _closed_port_url(), "ethereum": node.url}, rate=1000, burst=1000)
    found = await lookup.lookup_text(f"tx {tx}")
    assert found is not None and found.found is not None and found.found.chain == "ethereum"
    missing = await lookup.lookup_text("tx 0x" + "ab" * 32)
    assert missing is not None and missing.could_not_check and missing.unavailable == ("dead",)


async def test_a_bare_hash_is_asked_of_every_chain_in_parallel(node: EvmNode, tron: TronSim,
                                                              esplora: EsploraSim) -> None:
    txid = esplora.payment("bc1qa", [("bc1qb", 10_000)])
    lookup = ChainLookup({"ethereum": node.url}, tron.url, esplora.url, rate=1000, burst=1000)
    result = await lookup.lookup_text(f"txid {txid}")
    assert result is not None and result.found is not None and result.found.chain == "bitcoin"
    assert result.asked == ("ethereum", "tron", "bitcoin")
    assert any(m == "eth_getTransactionByHash" and p == ["0x" + txid] for m, p in node.calls)
    assert any(m == "gettransactionbyid" and p["value"] == txid for m, p in tron.calls)


async def test_only_the_hash_leaves_the_process(node: EvmNode, tron: TronSim, esplora: EsploraSim) -> None:
    lookup = ChainLookup({"ethereum": node.url}, tron.url, esplora.url, rate=1000, burst=1000)
    h = "ef" * 32
    await lookup.lookup_text(f"I am bob@example.com, phone +1 555 0100, my tx {h} never came")
    sent = json.dumps([node.calls, tron.calls, esplora.calls])
    assert h in sent
    for private in ("bob", "example", "555", "never"):
        assert private not in sent
