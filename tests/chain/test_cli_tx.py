"""``walletdesk tx lookup``: the JSON contract, the exit codes, the one error line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.simulators.evm_node import EvmNode

ROOT = Path(__file__).resolve().parents[2]
KEYS = ["hash", "found", "chain", "status", "block", "confirmations", "from", "to", "value", "asset", "fee",
        "token_transfers", "reason"]


async def _cli(*args: str, **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WALLETDESK_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from core.wiring.cli import entry; entry()", "tx", "lookup", *args, cwd=ROOT,
        env={**clean, "WALLETDESK_DATA_DIR": str(ROOT / "data"), **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_found_prints_exactly_the_contract_s_object(node: EvmNode) -> None:
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    tx = node.token_transfer(usdt, node.accounts[0], node.accounts[1], 7 * 10**6)
    code, out, err = await _cli(f"my usdt tx {tx} did not arrive", "--json", WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    assert code == 0, err
    obj = json.loads(out)
    assert list(obj) == KEYS
    assert obj["found"] is True and obj["chain"] == "ethereum" and obj["status"] == "success" and obj["hash"] == tx
    assert obj["asset"] == "ETH" and obj["value"] == "0" and obj["reason"] is None
    assert isinstance(obj["block"], int) and obj["confirmations"] >= 1 and isinstance(obj["fee"], str)
    assert obj["token_transfers"] == [{"token": usdt.lower(), "symbol": "USDT", "from": node.accounts[0].lower(),
                                       "to": node.accounts[1].lower(), "amount": "7"}]


async def test_not_found_exits_0_and_the_first_hash_is_the_one_looked_up(node: EvmNode) -> None:
    first, second = "0x" + "ab" * 32, node.send(node.accounts[0], node.accounts[1], 1)
    code, out, _ = await _cli(f"{first} and {second}", "--json", WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    obj = json.loads(out)
    assert code == 0 and obj["hash"] == first and obj["found"] is False and obj["status"] == "not_found"
    assert obj["chain"] is None and obj["token_transfers"] == []


async def test_a_failed_one_without_json_prints_readable_lines(node: EvmNode) -> None:
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    tx = node.token_transfer(usdt, node.accounts[2], node.accounts[1], 1)
    code, out, _ = await _cli(tx, WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    assert code == 0 and "status: failed" in out and "reason: ERC20: transfer amount exceeds balance" in out


async def test_no_hash_or_no_chain_is_one_error_line_and_exit_2(node: EvmNode) -> None:
    code, out, err = await _cli("my transfer has not arrived", "--json", WALLETDESK_EVM_RPC=f"ethereum={node.url}")
    assert code == 2 and out == "" and err.startswith("error: no transaction hash") and err.count("\n") == 1
    code, out, err = await _cli("tx 0x" + "ab" * 32, "--json")
    assert code == 2 and out == "" and err.startswith("error: no chain configured") and err.count("\n") == 1
    code, out, err = await _cli("tx 0x" + "ab" * 32, WALLETDESK_EVM_RPC="ethereum")
    assert code == 2 and err.startswith("error: WALLETDESK_EVM_RPC") and err.count("\n") == 1
