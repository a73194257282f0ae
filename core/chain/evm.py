"""An EVM chain over JSON-RPC: the transaction, its receipt, the latest block,
the block's time, ERC-20 ``Transfer`` events (``symbol()``/``decimals()`` by
``eth_call``) and, for a failed one, its revert reason (the call replayed with
``eth_call`` at its block)."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import httpx

from core.chain.abi import DECIMALS, SYMBOL, TRANSFER_TOPIC, address_from_topic, revert_reason, word_string, word_uint
from core.chain.endpoint import ChainUnavailable, Endpoint, gather_or_cancel
from core.chain.hashes import native_asset
from core.chain.models import TokenTransfer, TxFound, TxStatus, scaled

__all__ = ["EvmChain", "RpcError"]

_LOGGER = logging.getLogger(__name__)
_IDS = itertools.count(1)
_TOKENS_KEPT = 4096  # token symbols and decimals remembered per chain


class RpcError(Exception):
    """The node answered with a JSON-RPC error (an answer, not an outage)."""

    def __init__(self, code: int, message: str, data: Any) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


def _int(value: Any) -> int | None:
    if value is None:
        return None
    return int(value, 16) if isinstance(value, str) else int(value)


class EvmChain:
    """Args:
        name: the configured name (``ethereum``, ``bsc`` ...), which also names the native asset.
        endpoint: its JSON-RPC endpoint.
    """

    __slots__ = ("name", "endpoint", "asset", "_tokens")

    def __init__(self, name: str, endpoint: Endpoint) -> None:
        self.name = name
        self.endpoint = endpoint
        self.asset = native_asset(name)
        self._tokens: dict[str, tuple[str | None, int | None]] = {}  # contract -> (symbol, decimals), kept

    async def rpc(self, client: httpx.AsyncClient, method: str, params: list[Any], deadline: float) -> Any:
        body = {"jsonrpc": "2.0", "id": next(_IDS), "method": method, "params": params}
        answer = await self.endpoint.json(client, "POST", "", deadline, body)
        if not isinstance(answer, dict):
            raise ChainUnavailable(f"{self.name}: no JSON-RPC answer")
        if answer.get("error"):
            err = answer["error"]
            raise RpcError(int(err.get("code", 0)), str(err.get("message", "")), err.get("data"))
        return answer.get("result")

    async def tip(self, client: httpx.AsyncClient, deadline: float) -> int:
        return _int(await self.rpc(client, "eth_blockNumber", [], deadline)) or 0

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str, deadline: float) -> TxFound | None:
        """The transaction with ``0x`` hash ``tx_hash``, or None when this chain does not know it."""
        tx, receipt, tip = await gather_or_cancel(
            self.rpc(client, "eth_getTransactionByHash", [tx_hash], deadline),
            self.rpc(client, "eth_getTransactionReceipt", [tx_hash], deadline),
            self.tip(client, deadline))
        if not tx:
            return None
        sender, recipient = tx.get("from"), tx.get("to")
        value = scaled(_int(tx.get("value")) or 0, 18)
        block = _int(tx.get("blockNumber"))
        if block is None or not receipt:
            return TxFound(tx.get("hash", tx_hash), self.name, TxStatus.PENDING, None, 0, sender, recipient, value,
                           self.asset, None)
        price = _int(receipt.get("effectiveGasPrice")) or _int(tx.get("gasPrice")) or 0
        fee = scaled((_int(receipt.get("gasUsed")) or 0) * price, 18)
        ok = _int(receipt.get("status")) == 1
        when, transfers, reason = await gather_or_cancel(
            self._block_time(client, block, deadline),
            self._transfers(client, receipt.get("logs") or [], deadline),
            self._reason(client, tx, receipt, block, deadline) if not ok else _none())
        return TxFound(tx.get("hash", tx_hash), self.name, TxStatus.SUCCESS if ok else TxStatus.FAILED, block,
                       max(tip - block + 1, 1), sender, recipient or receipt.get("contractAddress"), value,
                       self.asset, fee, transfers, reason, when)

    async def _block_time(self, client: httpx.AsyncClient, block: int, deadline: float) -> int | None:
        found = await self.rpc(client, "eth_getBlockByNumber", [hex(block), False], deadline)
        return _int(found.get("timestamp")) if isinstance(found, dict) else None

    async def _transfers(self, client: httpx.AsyncClient, logs: list[dict[str, Any]],
                         deadline: float) -> tuple[TokenTransfer, ...]:
        events = [log for log in logs if len(log.get("topics") or []) == 3  # ERC-721's has 4: not a token amount
                  and log["topics"][0].lower().removeprefix("0x") == TRANSFER_TOPIC]
        tokens = list(dict.fromkeys(log["address"].lower() for log in events))
        metas = await gather_or_cancel(*(self.token(client, token, deadline) for token in tokens))
        meta = dict(zip(tokens, metas))
        out = []
        for log in events:
            symbol, decimals = meta[log["address"].lower()]
            raw = word_uint(log.get("data") or "") or 0
            out.append(TokenTransfer(log["address"].lower(), symbol, "0x" + address_from_topic(log["topics"][1]),
                                     "0x" + address_from_topic(log["topics"][2]),
                                     scaled(raw, decimals) if decimals is not None else str(raw)))
        return tuple(out)

    async def token(self, client: httpx.AsyncClient, token: str, deadline: float) -> tuple[str | None, int | None]:
        if token in self._tokens:
            return self._tokens[token]
        symbol_hex, decimals_hex = await gather_or_cancel(
            self.call(client, {"to": token, "data": "0x" + SYMBOL}, "latest", deadline),
            self.call(client, {"to": token, "data": "0x" + DECIMALS}, "latest", deadline))
        decimals = word_uint(decimals_hex) if decimals_hex else None
        meta = (word_string(symbol_hex) if symbol_hex else None, decimals if decimals is not None and decimals <= 77 else None)
        if len(self._tokens) >= _TOKENS_KEPT:
            self._tokens.clear()
        self._tokens[token] = meta
        return meta

    async def call(self, client: httpx.AsyncClient, call: dict[str, Any], block: str,
                    deadline: float) -> str | None:
        try:
            result = await self.rpc(client, "eth_call", [call, block], deadline)
        except RpcError:
            return None
        return result if isinstance(result, str) else None

    async def _reason(self, client: httpx.AsyncClient, tx: dict[str, Any], receipt: dict[str, Any], block: int,
                      deadline: float) -> str:
        """Why it failed: the revert replayed at its block, or out of gas when it used all it had."""
        gas, used = _int(tx.get("gas")), _int(receipt.get("gasUsed"))
        if gas is not None and used is not None and used >= gas:
            return "out of gas"  # a revert returns what is left; all of it used is the gas running out
        call = {"from": tx.get("from"), "to": tx.get("to"), "data": tx.get("input") or tx.get("data") or "0x",
                "value": tx.get("value") or "0x0", "gas": tx.get("gas")}
        try:
            await self.rpc(client, "eth_call", [call, hex(block)], deadline)
        except RpcError as exc:
            said = revert_reason(exc.data if isinstance(exc.data, str) else None)
            if said:
                return said
            message = str(exc).removeprefix("execution reverted").strip(" :")
            if "out of gas" in message.lower():
                return "out of gas"
            if message:
                return message[:200]
        return "reverted"


async def _none() -> None:
    return None
