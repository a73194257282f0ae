"""Hash shapes, the network a message names, exact amounts and the hand-written ABI decoding."""

from __future__ import annotations

from eth_abi import encode

from core.chain.abi import revert_reason, word_string, word_uint
from core.chain.hashes import BITCOIN, EVM, TRON, canonical, display_name, find_hash, named_chain, native_asset
from core.chain.models import scaled
from core.chain.tron import tron_address

H = "5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"


def test_a_prefixed_hash_is_evm_only_and_a_bare_one_may_be_any_chain() -> None:
    prefixed = find_hash(f"my tx 0x{H.upper()} is stuck")
    assert prefixed is not None and prefixed.digits == H and prefixed.families == (EVM,)
    assert prefixed.written == "0x" + H
    bare = find_hash(f"txid {H}")
    assert bare is not None and bare.families == (EVM, TRON, BITCOIN) and bare.written == H


def test_only_a_whole_64_hex_token_is_a_hash_and_the_first_one_counts() -> None:
    assert find_hash("0x" + H[:63]) is None
    assert find_hash(H + "a") is None
    assert find_hash("g" + H) is None
    assert find_hash("an address 0x" + H[:40]) is None
    second = "ab" * 32
    found = find_hash(f"first {H} then {second}")
    assert found is not None and found.digits == H
    linked = find_hash(f"https://etherscan.io/tx/0x{H}")
    assert linked is not None and linked.prefixed


def test_the_network_a_message_names() -> None:
    assert named_chain("I sent USDT on BEP20 to my exchange") == "bsc"
    assert named_chain("sent via ERC-20") == "ethereum"
    assert named_chain("我用波场转的") == "tron"
    assert named_chain("https://bscscan.com/tx/0xabc") == "bsc"
    assert named_chain("I sent it on ethereum, not bsc") == "ethereum"
    assert named_chain("my transfer has not arrived") is None
    assert named_chain("the tether app") is None  # "eth" inside a word names nothing
    assert named_chain("the database is down") is None  # nor "base" as an ordinary word


def test_configured_names_map_to_networks_and_native_assets() -> None:
    assert canonical("ETH") == "ethereum" and canonical("bnb") == "bsc" and canonical("mychain") == "mychain"
    assert display_name("bsc") == "BSC" and display_name("mychain") == "mychain"
    assert native_asset("bsc") == "BNB" and native_asset("ethereum") == "ETH" and native_asset("mychain") == "ETH"


def test_amounts_are_exact_decimal_strings() -> None:
    assert scaled(5 * 10**17, 18) == "0.5"
    assert scaled(0, 18) == "0"
    assert scaled(120_000_000, 6) == "120"
    assert scaled(1, 18) == "0.000000000000000001"
    assert scaled(2**256 - 1, 18) == "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
    assert scaled(7, 0) == "7"


def test_abi_values_and_revert_reasons_decode_by_hand() -> None:
    assert word_uint("0x" + encode(["uint8"], [6]).hex()) == 6
    assert word_string("0x" + encode(["string"], ["USDT"]).hex()) == "USDT"
    assert word_string("0x" + b"MKR".ljust(32, b"\0").hex()) == "MKR"  # an old token's bytes32 symbol
    assert word_string("0x1234") is None
    assert revert_reason("0x08c379a0" + encode(["string"], ["not enough"]).hex()) == "not enough"
    assert revert_reason("0x4e487b71" + encode(["uint256"], [0x11]).hex()) == "panic: arithmetic overflow or underflow"
    assert revert_reason("0xdeadbeef") == "custom error 0xdeadbeef"
    assert revert_reason("0x") is None and revert_reason(None) is None


def test_tron_addresses_in_base58check() -> None:
    # the USDT TRC-20 contract as TronScan shows it
    assert tron_address("41a614f803b6fd780986a42c78ec9c7f77e6ded13c") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert tron_address("a614f803b6fd780986a42c78ec9c7f77e6ded13c") == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
