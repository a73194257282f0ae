"""EVM lookups against a real EVM (eth-tester + py-evm) over JSON-RPC on a socket."""

from __future__ import annotations

from decimal import Decimal

from core.chain import ChainLookup, TxStatus, find_hash
from tests.simulators.evm_node import EvmNode


def _lookup(node: EvmNode, name: str = "ethereum") -> ChainLookup:
    return ChainLookup({name: node.url}, rate=1000, burst=1000)


async def test_an_eth_transfer_is_found_with_value_fee_confirmations_and_time(node: EvmNode) -> None:
    a = node.accounts
    tx = node.send(a[0], a[1], 5 * 10**17)
    node.mine(2)
    result = await _lookup(node).lookup_text(f"tx {tx} has not arrived")
    assert result is not None and result.found is not None
    found = result.found
    assert found.status is TxStatus.SUCCESS and found.chain == "ethereum" and found.asset == "ETH"
    assert found.sender == a[0].lower() and found.recipient == a[1].lower() and found.value == "0.5"
    receipt = node.tester.get_transaction_receipt(tx)
    fee = Decimal(receipt["gas_used"] * receipt["effective_gas_price"]) / 10**18
    assert Decimal(found.fee or "x") == fee and found.fee == "0.000021"
    assert found.block == receipt["block_number"] and found.confirmations == 3
    assert found.time == node.tester.get_block_by_number(found.block)["timestamp"]
    assert result.as_json()["status"] == "success" and result.as_json()["token_transfers"] == []


async def test_an_erc20_transfer_lists_the_tokens_moved_scaled_by_decimals(node: EvmNode) -> None:
    a = node.accounts
    usdt = node.deploy_erc20("USDT", 6, 10**12, "Tether USD")
    tx = node.token_transfer(usdt, a[0], a[1], 120_500_000)
    result = await _lookup(node).lookup_text(f"hash {tx}")
    assert result is not None and result.found is not None
    moved = result.found.token_transfers
    assert [(t.token, t.symbol, t.sender, t.recipient, t.amount) for t in moved] == [
        (usdt.lower(), "USDT", a[0].lower(), a[1].lower(), "120.5")]
    assert result.found.value == "0" and result.found.recipient == usdt.lower()


async def test_a_reverted_call_is_failed_with_the_contract_s_reason(node: EvmNode) -> None:
    a = node.accounts
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    tx = node.token_transfer(usdt, a[1], a[2], 10**6)  # account 1 holds no USDT
    result = await _lookup(node).lookup_text(f"tx {tx} failed")
    assert result is not None and result.found is not None
    assert result.found.status is TxStatus.FAILED
    assert result.found.reason == "ERC20: transfer amount exceeds balance"
    assert result.found.token_transfers == () and result.found.fee not in (None, "0")
    assert ("eth_call", [{"from": a[1].lower(), "to": usdt.lower(),
                          "data": node.tester.get_transaction_by_hash(tx)["data"], "value": "0x0",
                          "gas": hex(100_000)}, hex(result.found.block)]) in node.calls


async def test_a_transaction_that_ran_out_of_gas_says_so(node: EvmNode) -> None:
    a = node.accounts
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    tx = node.token_transfer(usdt, a[0], a[1], 1, gas=25_000)
    result = await _lookup(node).lookup_text(f"tx {tx}")
    assert result is not None and result.found is not None
    assert result.found.status is TxStatus.FAILED and result.found.reason == "out of gas"


async def test_a_transaction_in_the_mempool_is_pending_until_mined(node: EvmNode) -> None:
    a = node.accounts
    node.auto_mine(False)
    tx = node.send(a[0], a[3], 10**18)
    lookup = _lookup(node)
    pending = await lookup.lookup_text(f"tx {tx}")
    assert pending is not None and pending.found is not None
    assert pending.found.status is TxStatus.PENDING and pending.found.block is None
    assert pending.found.confirmations == 0 and pending.found.value == "1" and pending.found.fee is None
    node.mine(1)
    mined = await lookup.lookup_text(f"tx {tx}")
    assert mined is not None and mined.found is not None and mined.found.status is TxStatus.SUCCESS


async def test_an_unknown_hash_is_not_found_and_nothing_was_unavailable(node: EvmNode) -> None:
    result = await _lookup(node).lookup_text("tx 0x" + "ab" * 32)
    assert result is not None and result.found is None and not result.could_not_check
    assert result.as_json() == {"hash": "0x" + "ab" * 32, "found": False, "chain": None, "status": "not_found",
                                "block": None, "confirmations": None, "from": None, "to": None, "value": None,
                                "asset": None, "fee": None, "token_transfers": [], "reason": None}


async def test_a_settled_result_is_cached_and_only_its_confirmations_are_refreshed(node: EvmNode) -> None:
    a = node.accounts
    tx = node.send(a[0], a[1], 1)
    lookup = _lookup(node)
    first = await lookup.lookup_text(f"tx {tx}")
    node.mine(4)
    before = len(node.calls)
    again = await lookup.lookup_text(f"tx {tx}")
    assert first is not None and again is not None and first.found is not None and again.found is not None
    assert [method for method, _ in node.calls[before:]] == ["eth_blockNumber"]
    assert again.found.confirmations == first.found.confirmations + 4


async def test_a_pending_result_is_not_cached(node: EvmNode) -> None:
    node.auto_mine(False)
    tx = node.send(node.accounts[0], node.accounts[1], 1)
    lookup = _lookup(node)
    await lookup.lookup_text(f"tx {tx}")
    before = len(node.calls)
    await lookup.lookup_text(f"tx {tx}")
    assert "eth_getTransactionByHash" in [method for method, _ in node.calls[before:]]


async def test_a_bare_hash_is_asked_of_the_evm_with_0x(node: EvmNode) -> None:
    tx = node.send(node.accounts[0], node.accounts[1], 1)
    tx_hash = find_hash(f"txid {tx[2:]}")
    assert tx_hash is not None and not tx_hash.prefixed
    result = await _lookup(node, "bsc").lookup(tx_hash)
    assert result.found is not None and result.found.chain == "bsc" and result.found.asset == "BNB"
