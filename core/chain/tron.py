"""Tron over a TronGrid-compatible HTTP API: ``/wallet/gettransactionbyid`` (the
transaction, addresses in base58 with ``visible``), ``/wallet/gettransactioninfobyid``
(block, fee, result, TRC-20 ``Transfer`` logs), ``/wallet/getnowblock`` (the tip)
and ``/wallet/triggerconstantcontract`` for a token's ``symbol()``/``decimals()``."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from core.chain.abi import TRANSFER_TOPIC, address_from_topic, revert_reason, word_string, word_uint
from core.chain.endpoint import Endpoint, gather_or_cancel
from core.chain.models import TokenTransfer, TxFound, TxStatus, scaled

__all__ = ["TronChain", "tron_address", "tron_hex"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_SUN = 6  # 1 TRX = 10**6 sun
_TOKENS_KEPT = 4096  # token symbols and decimals remembered
_FAILURES = {"REVERT": "reverted", "OUT_OF_ENERGY": "out of energy", "OUT_OF_TIME": "out of time",
             "BAD_JUMP_DESTINATION": "bad jump destination", "ILLEGAL_OPERATION": "illegal operation",
             "STACK_TOO_SMALL": "stack too small", "STACK_TOO_LARGE": "stack too large",
             "TRANSFER_FAILED": "transfer failed", "UNKNOWN": "unknown error"}

def tron_address(hex_address: str) -> str:
    """A Tron address (``41`` + 20 bytes, or the 20 bytes of an EVM-style log) in base58check."""
    body = hex_address.lower().removeprefix("0x")
    if len(body) == 40:
        body = "41" + body
    raw = bytes.fromhex(body)
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\x00"))) + out

def tron_hex(address: str) -> str:
    """A base58check Tron address as hex (``41`` + 20 bytes); ValueError when it is not one."""
    n = 0
    for ch in address:
        n = n * 58 + _B58.index(ch)
    raw = n.to_bytes(25, "big")
    if hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] != raw[21:]:
        raise ValueError("bad Tron address checksum")
    return raw[:21].hex()


class TronChain:
    __slots__ = ("name", "endpoint", "asset", "_tokens")

    def __init__(self, endpoint: Endpoint, name: str = "tron") -> None:
        self.name = name
        self.endpoint = endpoint
        self.asset = "TRX"
        self._tokens: dict[str, tuple[str | None, int | None]] = {}

    async def post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any], deadline: float) -> dict[str, Any]:
        answer = await self.endpoint.json(client, "POST", path, deadline, body)
        return answer if isinstance(answer, dict) else {}

    async def tip(self, client: httpx.AsyncClient, deadline: float) -> int:
        block = await self.post(client, "/wallet/getnowblock", {}, deadline)
        return int(block.get("block_header", {}).get("raw_data", {}).get("number", 0))

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str, deadline: float) -> TxFound | None:
        """The transaction with (bare) id ``tx_hash``, or None when Tron does not know it."""
        tx, info, tip = await gather_or_cancel(
            self.post(client, "/wallet/gettransactionbyid", {"value": tx_hash, "visible": True}, deadline),
            self.post(client, "/wallet/gettransactioninfobyid", {"value": tx_hash}, deadline),
            self.tip(client, deadline))
        if not tx.get("txID"):
            return None
        contract = (tx.get("raw_data", {}).get("contract") or [{}])[0]
        args = contract.get("parameter", {}).get("value", {})
        sender = args.get("owner_address")
        recipient = args.get("to_address") or args.get("contract_address")
        value = scaled(int(args.get("amount", args.get("call_value", 0)) or 0), _SUN)
        block = info.get("blockNumber")
        if not info.get("id") or block is None:
            return TxFound(tx["txID"], self.name, TxStatus.PENDING, None, 0, sender, recipient, value, self.asset, None)
        block = int(block)
        fee = scaled(int(info.get("fee", 0) or 0), _SUN)
        result = ((tx.get("ret") or [{}])[0].get("contractRet") or info.get("receipt", {}).get("result") or "SUCCESS")
        ok = result == "SUCCESS" and info.get("result") != "FAILED"
        transfers = await self._transfers(client, info.get("log") or [], deadline) if ok else ()
        when = int(info["blockTimeStamp"]) // 1000 if info.get("blockTimeStamp") else None
        return TxFound(tx["txID"], self.name, TxStatus.SUCCESS if ok else TxStatus.FAILED, block,
                       max(tip - block + 1, 1), sender, recipient, value, self.asset, fee, transfers,
                       None if ok else _reason(info, result), when)

    async def _transfers(self, client: httpx.AsyncClient, logs: list[dict[str, Any]],
                         deadline: float) -> tuple[TokenTransfer, ...]:
        events = [log for log in logs if len(log.get("topics") or []) == 3 and log["topics"][0].lower() == TRANSFER_TOPIC]
        tokens = list(dict.fromkeys(tron_address(log["address"]) for log in events))
        meta = dict(zip(tokens, await gather_or_cancel(*(self.token(client, t, deadline) for t in tokens))))
        out = []
        for log in events:
            token = tron_address(log["address"])
            symbol, decimals = meta[token]
            raw = word_uint(log.get("data") or "") or 0
            out.append(TokenTransfer(token, symbol, tron_address(address_from_topic(log["topics"][1])),
                                     tron_address(address_from_topic(log["topics"][2])),
                                     scaled(raw, decimals) if decimals is not None else str(raw)))
        return tuple(out)

    async def token(self, client: httpx.AsyncClient, token: str, deadline: float) -> tuple[str | None, int | None]:
        if token in self._tokens:
            return self._tokens[token]
        symbol_hex, decimals_hex = await gather_or_cancel(
            self._constant(client, token, "symbol()", deadline), self._constant(client, token, "decimals()", deadline))
        decimals = word_uint(decimals_hex) if decimals_hex else None
        meta = (word_string(symbol_hex) if symbol_hex else None, decimals if decimals is not None and decimals <= 77 else None)
        if len(self._tokens) >= _TOKENS_KEPT:
            self._tokens.clear()
        self._tokens[token] = meta
        return meta

    async def _constant(self, client: httpx.AsyncClient, token: str, selector: str, deadline: float) -> str | None:
        answer = await self.post(client, "/wallet/triggerconstantcontract",
                                  {"owner_address": token, "contract_address": token, "function_selector": selector,
                                   "parameter": "", "visible": True}, deadline)
        results = answer.get("constant_result") or []
        return results[0] if results and isinstance(results[0], str) else None

def _reason(info: dict[str, Any], result: str) -> str:
    said = revert_reason((info.get("contractResult") or [""])[0])
    if said:
        return said
    message = info.get("resMessage")
    if message:
        try:
            text = bytes.fromhex(message).decode("utf-8", "replace").strip()
        except ValueError:
            text = str(message)
        if text:
            return text[:200]
    return _FAILURES.get(result, result.lower().replace("_", " "))
