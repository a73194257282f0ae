"""On-chain lookup benchmark: latency against a local node and correctness on a
generated set of transactions of every kind.

Prints one JSON line per benchmark:

* ``chain_latency_one_chain``  p50/p99 ms of a lookup (no cache) on one EVM chain over loopback:
                               a real EVM (eth-tester + py-evm) behind tests/simulators/evm_node.py
* ``chain_latency_dead_endpoint``  the same with a second chain that accepts and never answers
                               (worst case, bounded by the 3 s deadline) and with one refusing connections
* ``chain_correctness``        share of lookups whose status, chain, value, recipient, fee, tokens,
                               reason, confirmations and wrong-network verdict match what the chain
                               (eth-tester, the simulators' own records) holds; by kind

Run: ``.venv/bin/python benchmarks/chain_bench.py [--n 300] [--seed 7]``
The endpoints' rate limit is raised for the measurement (defaults: 20 requests/s, burst 40).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.chain import ChainLookup, Lookup  # noqa: E402
from tests.simulators.esplora_sim import EsploraSim  # noqa: E402
from tests.simulators.evm_node import EvmNode  # noqa: E402
from tests.simulators.tron_sim import TronSim, b58_address  # noqa: E402

FAST = {"rate": 10_000.0, "burst": 10_000}


@dataclass
class Case:
    kind: str
    text: str
    check: Callable[[Lookup], bool]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _evm_cases(node: EvmNode, bsc: EvmNode, rng: random.Random, scale: float) -> list[Case]:
    a = node.accounts
    cases: list[Case] = []
    usdt = node.deploy_erc20("USDT", 6, 10**15)
    dai = node.deploy_erc20("DAI", 18, 10**30)
    t = node.tester

    def mined(tx: str) -> tuple[int, dict]:
        return t.get_transaction_receipt(tx)["block_number"], t.get_transaction_receipt(tx)

    def confirmations(block: int, chain: EvmNode = node) -> int:
        return chain.tester.get_block_by_number("latest")["number"] - block + 1

    for _ in range(int(60 * scale)):
        to, wei = a[rng.randrange(1, 5)], rng.randrange(1, 5 * 10**18)
        tx = node.send(a[0], to, wei)
        block, r = mined(tx)
        fee = Decimal(r["gas_used"] * r["effective_gas_price"]) / 10**18

        def ok(res: Lookup, tx: str = tx, to: str = to, wei: int = wei, block: int = block, fee: Decimal = fee) -> bool:
            f = res.found
            return (f is not None and f.status.value == "success" and f.chain == "ethereum" and f.hash == tx
                    and f.recipient == to.lower() and Decimal(f.value or "x") == Decimal(wei) / 10**18
                    and Decimal(f.fee or "x") == fee and f.block == block and f.confirmations == confirmations(block)
                    and not res.wrong_network)
        cases.append(Case("eth_transfer", f"tx {tx} has not arrived", ok))
    for _ in range(int(40 * scale)):
        token, symbol, decimals = rng.choice([(usdt, "USDT", 6), (dai, "DAI", 18)])
        to, amount = a[rng.randrange(1, 5)], rng.randrange(1, 10**(decimals + 3))
        tx = node.token_transfer(token, a[0], to, amount)

        def ok(res: Lookup, token: str = token, symbol: str = symbol, to: str = to, amount: int = amount,
               decimals: int = decimals) -> bool:
            f = res.found
            return (f is not None and f.status.value == "success" and len(f.token_transfers) == 1
                    and f.token_transfers[0].token == token.lower() and f.token_transfers[0].symbol == symbol
                    and f.token_transfers[0].recipient == to.lower()
                    and Decimal(f.token_transfers[0].amount) == Decimal(amount) / 10**decimals)
        cases.append(Case("erc20_transfer", f"my {symbol} hash {tx}", ok))
    for _ in range(int(20 * scale)):
        tx = node.token_transfer(usdt, a[rng.randrange(5, 10)], a[1], rng.randrange(1, 10**6))  # holds none

        def ok(res: Lookup) -> bool:
            f = res.found
            return (f is not None and f.status.value == "failed" and f.reason == "ERC20: transfer amount exceeds balance"
                    and f.token_transfers == () and f.fee not in (None, "0"))
        cases.append(Case("reverted", f"tx {tx} failed", ok))
    for _ in range(int(10 * scale)):
        tx = node.token_transfer(usdt, a[0], a[1], 1, gas=25_000)
        cases.append(Case("out_of_gas", f"tx {tx}", lambda res: res.found is not None
                          and res.found.status.value == "failed" and res.found.reason == "out of gas"))
    for _ in range(int(20 * scale)):
        tx = bsc.send(bsc.accounts[0], bsc.accounts[1], rng.randrange(1, 10**18))
        cases.append(Case("wrong_network", f"I sent it on ethereum (ERC20), tx {tx}", lambda res: res.found is not None
                          and res.found.chain == "bsc" and res.wrong_network and res.found.asset == "BNB"))
    for _ in range(int(10 * scale)):
        h = "0x" + os.urandom(32).hex()
        cases.append(Case("not_found", f"tx {h}", lambda res: res.found is None and not res.could_not_check))
    node.auto_mine(False)
    for i in range(10):  # one per sender: a second one with the same nonce would replace the first, as on a real node
        tx = node.send(a[i], a[(i + 1) % 10], 10**15 + i)
        cases.append(Case("pending", f"tx {tx} stuck", lambda res: res.found is not None
                          and res.found.status.value == "pending" and res.found.block is None))
    return cases


def _tron_btc_cases(tron: TronSim, btc: EsploraSim, rng: random.Random, scale: float) -> list[Case]:
    cases: list[Case] = []
    usdt = tron.add_token("USDT", 6)
    for _ in range(int(15 * scale)):
        sun = rng.randrange(1, 10**10)
        txid = tron.trx_transfer(tron.address(1), tron.address(2), sun)
        cases.append(Case("trx_transfer", f"txid {txid}", lambda res, sun=sun: res.found is not None
                          and res.found.chain == "tron" and res.found.status.value == "success"
                          and Decimal(res.found.value or "x") == Decimal(sun) / 10**6))
    for _ in range(int(15 * scale)):
        amount = rng.randrange(1, 10**12)
        txid = tron.trc20_transfer(usdt, tron.address(1), tron.address(3), amount)
        cases.append(Case("trc20_transfer", f"trc20 txid {txid}", lambda res, amount=amount: res.found is not None
                          and [(m.symbol, m.recipient, Decimal(m.amount)) for m in res.found.token_transfers]
                          == [("USDT", b58_address(tron.address(3)), Decimal(amount) / 10**6)]))
    for _ in range(int(5 * scale)):
        txid = tron.trc20_transfer(usdt, tron.address(4), tron.address(3), 10**15, fail="balance is not sufficient")
        cases.append(Case("tron_failed", f"txid {txid}", lambda res: res.found is not None
                          and res.found.status.value == "failed" and res.found.reason == "balance is not sufficient"))
    for _ in range(int(5 * scale)):
        txid = tron.trx_transfer(tron.address(1), tron.address(2), 10**6, pending=True)
        cases.append(Case("tron_pending", f"txid {txid}", lambda res: res.found is not None
                          and res.found.status.value == "pending"))
    for _ in range(int(15 * scale)):
        outs = [(f"bc1qdest{i}{rng.randrange(10**9)}", rng.randrange(546, 10**8)) for i in range(rng.randrange(1, 4))]
        fee = rng.randrange(200, 20_000)
        txid = btc.payment("bc1qsenderaddress", outs, fee)
        top = max(outs, key=lambda o: o[1])
        cases.append(Case("btc_payment", f"btc txid {txid}", lambda res, top=top, fee=fee: res.found is not None
                          and res.found.chain == "bitcoin" and res.found.recipient == top[0]
                          and Decimal(res.found.value or "x") == Decimal(top[1]) / 10**8
                          and Decimal(res.found.fee or "x") == Decimal(fee) / 10**8
                          and res.found.sender == "bc1qsenderaddress"))
    for _ in range(int(5 * scale)):
        txid = btc.payment("bc1qsenderaddress", [("bc1qdest", 10_000)], pending=True)
        cases.append(Case("btc_pending", f"txid {txid}", lambda res: res.found is not None
                          and res.found.status.value == "pending"))
    for _ in range(int(5 * scale)):
        cases.append(Case("bare_not_found", f"txid {os.urandom(32).hex()}", lambda res: res.found is None
                          and not res.could_not_check and res.asked == ("ethereum", "bsc", "tron", "bitcoin")))
    return cases


async def _latency(lookup: ChainLookup, texts: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            await lookup.lookup_text(text)
            out.append((time.perf_counter() - start) * 1000)
    return out


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def main(n: int, seed: int) -> None:
    rng = random.Random(seed)
    scale = max(n / 235, 0.1)
    async with EvmNode() as node, EvmNode() as bsc, EvmNode() as dead, TronSim() as tron, EsploraSim() as btc:
        cases = _evm_cases(node, bsc, rng, scale) + _tron_btc_cases(tron, btc, rng, scale)
        everything = ChainLookup({"ethereum": node.url, "bsc": bsc.url}, tron.url, btc.url, cache_size=0, **FAST)
        by_kind: Counter[str] = Counter()
        right: Counter[str] = Counter()
        wrong: list[str] = []
        for case in cases:
            result = await everything.lookup_text(case.text)
            by_kind[case.kind] += 1
            if result is not None and case.check(result):
                right[case.kind] += 1
            else:
                wrong.append(f"{case.kind}: {json.dumps(result.as_json() if result else None)[:300]}")
        await everything.aclose()
        # latency: one chain on loopback, no cache, over the EVM kinds
        evm_texts = [c.text for c in cases if c.kind in ("eth_transfer", "erc20_transfer", "reverted", "pending",
                                                          "not_found", "out_of_gas")]
        one = ChainLookup({"ethereum": node.url}, cache_size=0, **FAST)
        await _latency(one, evm_texts[:10], 1)  # warm-up (connections, imports)
        times = await _latency(one, evm_texts, 2)
        await one.aclose()
        print(json.dumps({"benchmark": "chain_latency_one_chain", "n": len(times),
                          "p50_ms": round(statistics.median(times), 1), "p99_ms": round(_pct(times, 0.99), 1),
                          "max_ms": round(max(times), 1), "target_p99_ms": 300}), flush=True)
        dead.hang()
        hanging = ChainLookup({"ethereum": node.url, "bsc": dead.url}, cache_size=0, **FAST)
        missing = [f"tx 0x{os.urandom(32).hex()}" for _ in range(5)]
        hang_times = await _latency(hanging, missing, 1)  # not found: the hanging chain is waited for
        refused = ChainLookup({"ethereum": node.url, "bsc": _closed_port()}, cache_size=0, **FAST)
        refused_times = await _latency(refused, missing, 1)
        dead.heal()
        await hanging.aclose()
        await refused.aclose()
        print(json.dumps({"benchmark": "chain_latency_dead_endpoint", "deadline_s": hanging.deadline,
                          "hanging_ms": [round(t) for t in hang_times], "refusing_ms": [round(t) for t in refused_times],
                          "worst_ms": round(max(hang_times + refused_times)), "target_worst_ms": 3000}), flush=True)
        total = sum(by_kind.values())
        print(json.dumps({"benchmark": "chain_correctness", "n": total,
                          "accuracy": round(sum(right.values()) / total, 4),
                          "by_kind": {k: f"{right[k]}/{v}" for k, v in sorted(by_kind.items())},
                          "wrong": wrong[:5]}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=235, help="about how many transactions to generate (>= 200)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.seed))
