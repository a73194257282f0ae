"""A real EVM behind a small Ethereum JSON-RPC server, for the chain tests.

eth-tester runs py-evm in process; ``EvmNode`` serves the JSON-RPC methods a
lookup uses (``eth_getTransactionByHash``, ``eth_getTransactionReceipt``,
``eth_blockNumber``, ``eth_getBlockByNumber``, ``eth_call``, ``eth_chainId``)
on 127.0.0.1, port 0, answering as geth does (hex quantities, ``null`` for an
unknown hash, a revert as error code 3 with the ``Error(string)`` data)::

    async with EvmNode() as node:
        token = node.deploy_erc20("USDT", 6, 10**12)
        tx = node.token_transfer(token, node.accounts[0], node.accounts[1], 120 * 10**6)
        # WALLETDESK_EVM_RPC=f"ethereum={node.url}"

``auto_mine(False)`` leaves sent transactions pending; ``fail_with(500)`` and
``hang()`` break the endpoint until ``heal()``. ``calls`` records every request.
:class:`HttpSim` is the small server the Tron and Esplora simulators share.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web
from eth_abi import encode
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed, TransactionNotFound

__all__ = ["ERC20", "EvmNode", "HttpSim"]

ERC20 = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "erc20.json").read_text())
_TRANSFER = "a9059cbb"


class HttpSim:
    """An aiohttp server on 127.0.0.1 with an ephemeral port, and its faults."""

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[tuple[str, Any]] = []
        self.failing: int | None = None
        self.failing_times: int | None = None
        self._healed = asyncio.Event()
        self._healed.set()
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> HttpSim:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.heal()
        if self._runner:
            await self._runner.cleanup()

    def fail_with(self, status: int, times: int | None = None) -> None:
        """Answer the next ``times`` requests (all, until :meth:`heal`, when None) with ``status``."""
        self.failing = status
        self.failing_times = times

    def hang(self) -> None:
        """Accept requests and never answer them until :meth:`heal`."""
        self._healed.clear()

    def heal(self) -> None:
        self.failing = None
        self._healed.set()

    async def fault(self) -> web.Response | None:
        """The injected fault's answer (after a hang ends), or None to serve the request."""
        await self._healed.wait()
        if self.failing is not None:
            status = self.failing
            if self.failing_times is not None:
                self.failing_times -= 1
                if self.failing_times <= 0:
                    self.failing = None
            return web.Response(status=status, text="simulated failure")
        return None


def _hex(value: int | None) -> str | None:
    return None if value is None else hex(value)


def _revert_data(message: object) -> str:
    if isinstance(message, bytes):
        return "0x" + message.hex()
    return "0x08c379a0" + encode(["string"], [str(message)]).hex()


class EvmNode(HttpSim):
    def __init__(self) -> None:
        super().__init__()
        self.tester = EthereumTester(PyEVMBackend())
        self.accounts: list[str] = list(self.tester.get_accounts())

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self._handle)

    async def __aenter__(self) -> EvmNode:
        await super().__aenter__()
        return self

    # ------------------------------------------------------------------ the chain, driven by the test

    def auto_mine(self, on: bool) -> None:
        if on:
            self.tester.enable_auto_mine_transactions()
        else:
            self.tester.disable_auto_mine_transactions()

    def mine(self, blocks: int = 1) -> None:
        self.tester.mine_blocks(blocks)

    def send(self, sender: str, to: str | None, value: int = 0, data: str = "0x", gas: int = 21_000) -> str:
        tx: dict[str, Any] = {"from": sender, "value": value, "gas": gas, "data": data}
        if to is not None:
            tx["to"] = to
        return self.tester.send_transaction(tx)

    def deploy_erc20(self, symbol: str, decimals: int, supply: int, name: str = "Test Token") -> str:
        """Deploy the fixture's compiled ERC-20 (tests/fixtures/erc20.sol) from account 0; its address."""
        args = encode(["string", "string", "uint8", "uint256"], [name, symbol, decimals, supply]).hex()
        tx = self.send(self.accounts[0], None, 0, ERC20["bytecode"] + args, 2_000_000)
        return self.tester.get_transaction_receipt(tx)["contract_address"]

    def token_transfer(self, token: str, sender: str, to: str, amount: int, gas: int = 100_000) -> str:
        data = "0x" + _TRANSFER + encode(["address", "uint256"], [to, amount]).hex()
        return self.send(sender, token, 0, data, gas)

    # ------------------------------------------------------------------ JSON-RPC

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append((body.get("method"), body.get("params")))
        broken = await self.fault()
        if broken is not None:
            return broken
        try:
            result = getattr(self, "_" + body["method"])(*body.get("params", []))
        except _RpcFailure as exc:
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "error": exc.error})
        except AttributeError:
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"),
                                      "error": {"code": -32601, "message": "the method does not exist"}})
        except Exception as exc:  # noqa: BLE001 - eth-tester's and py-evm's validation errors: bad params
            return web.json_response({"jsonrpc": "2.0", "id": body.get("id"),
                                      "error": {"code": -32602, "message": f"invalid params: {exc}"}})
        return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "result": result})

    def _eth_chainId(self) -> str:
        return hex(131277322940537)

    def _eth_blockNumber(self) -> str:
        return hex(self.tester.get_block_by_number("latest")["number"])

    def _eth_getBlockByNumber(self, number: str, full: bool) -> dict[str, Any] | None:
        try:
            block = self.tester.get_block_by_number(number if number in ("latest", "pending", "earliest")
                                                    else int(number, 16))
        except Exception:  # noqa: BLE001 - eth-tester's BlockNotFound: the node answers null
            return None
        return {"number": hex(block["number"]), "hash": block["hash"], "timestamp": hex(block["timestamp"]),
                "transactions": list(block["transactions"])}

    def _eth_getTransactionByHash(self, tx_hash: str) -> dict[str, Any] | None:
        try:
            tx = self.tester.get_transaction_by_hash(tx_hash)
        except TransactionNotFound:
            return None
        return {"hash": tx["hash"], "from": tx["from"].lower(), "to": tx["to"].lower() if tx["to"] else None,
                "value": hex(tx["value"]), "gas": hex(tx["gas"]), "gasPrice": hex(tx["gas_price"]),
                "input": tx["data"], "nonce": hex(tx["nonce"]), "blockHash": tx["block_hash"],
                "blockNumber": _hex(tx["block_number"]), "transactionIndex": _hex(tx["transaction_index"])}

    def _eth_getTransactionReceipt(self, tx_hash: str) -> dict[str, Any] | None:
        try:
            r = self.tester.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        if r is None or r.get("block_number") is None:
            return None
        return {"transactionHash": r["transaction_hash"], "status": hex(r["status"]), "gasUsed": hex(r["gas_used"]),
                "effectiveGasPrice": hex(r["effective_gas_price"]), "blockNumber": hex(r["block_number"]),
                "blockHash": r["block_hash"], "contractAddress": r["contract_address"].lower() if r["contract_address"] else None,
                "logs": [{"address": log["address"].lower(), "topics": list(log["topics"]), "data": log["data"],
                          "logIndex": hex(log["log_index"]), "blockNumber": hex(log["block_number"])}
                         for log in r["logs"]]}

    def _eth_call(self, call: dict[str, Any], block: str = "latest") -> str:
        tx: dict[str, Any] = {"to": call["to"], "data": call.get("data") or call.get("input") or "0x"}
        tx["from"] = call.get("from") or self.accounts[0]  # geth calls from the zero address; py-evm charges gas
        for key in ("value", "gas"):
            if call.get(key):
                tx[key] = int(call[key], 16)
        at = block if block in ("latest", "pending", "earliest") else int(block, 16)
        try:
            return self.tester.call(tx, at)
        except TransactionFailed as exc:
            message = exc.args[0] if exc.args else "execution reverted"
            if isinstance(message, str) and message.startswith("(") and "gas" in message:
                # py-evm's out-of-gas family (not a REVERT): geth says just this
                raise _RpcFailure({"code": -32000, "message": "out of gas"}) from None
            text = message if isinstance(message, str) else "execution reverted"
            raise _RpcFailure({"code": 3, "message": f"execution reverted: {text}",
                               "data": _revert_data(message)}) from None


class _RpcFailure(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error
