"""A TronGrid-compatible HTTP API simulator (the documented ``/wallet/*`` calls a lookup uses).

``/wallet/gettransactionbyid`` answers ``{}`` for an unknown id, otherwise the
transaction (addresses in base58 when ``visible`` is true, hex ``41…`` otherwise)
with ``ret[0].contractRet``; ``/wallet/gettransactioninfobyid`` answers ``{}``
until the transaction is in a block, then its block, fee (sun), receipt and
logs (log addresses are 20-byte hex without ``41``, as TronGrid gives them);
``/wallet/getnowblock`` the tip; ``/wallet/triggerconstantcontract`` a TRC-20's
``symbol()``/``decimals()``::

    async with TronSim() as tron:
        usdt = tron.add_token("USDT", 6)
        txid = tron.trc20_transfer(usdt, tron.address(1), tron.address(2), 120 * 10**6)
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from aiohttp import web
from eth_abi import encode

from tests.simulators.evm_node import HttpSim

__all__ = ["TronSim", "b58_address"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def b58_address(hex41: str) -> str:
    raw = bytes.fromhex(hex41)
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return out


class TronSim(HttpSim):
    def __init__(self) -> None:
        super().__init__()
        self.block = 60_000_000
        self.txs: dict[str, dict[str, Any]] = {}
        self.infos: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, tuple[str, int]] = {}  # hex41 -> (symbol, decimals)
        self.holdings: dict[tuple[str, str], int] = {}  # (token hex41, holder hex41) -> base units

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/wallet/{method}", self._handle)

    async def __aenter__(self) -> TronSim:
        await super().__aenter__()
        return self

    # ------------------------------------------------------------------ the chain, driven by the test

    @staticmethod
    def address(seed: int) -> str:
        """A deterministic account address (hex ``41`` + 20 bytes)."""
        return "41" + hashlib.sha256(f"tron-account-{seed}".encode()).hexdigest()[:40]

    def add_token(self, symbol: str, decimals: int) -> str:
        token = "41" + hashlib.sha256(f"tron-token-{symbol}".encode()).hexdigest()[:40]
        self.tokens[token] = (symbol, decimals)
        return token

    def mine(self, blocks: int = 1) -> None:
        self.block += blocks

    def _add(self, contract_type: str, value: dict[str, Any], result: str = "SUCCESS", *, pending: bool = False,
             fee: int = 0, log: list[dict[str, Any]] | None = None, message: str | None = None) -> str:
        txid = os.urandom(32).hex()
        now = int(time.time() * 1000)
        self.txs[txid] = {"ret": [{"contractRet": result}], "signature": [os.urandom(65).hex()], "txID": txid,
                          "raw_data": {"contract": [{"parameter": {"value": value,
                                                                   "type_url": f"type.googleapis.com/protocol.{contract_type}"},
                                                     "type": contract_type}],
                                       "ref_block_bytes": "c1a2", "ref_block_hash": os.urandom(8).hex(),
                                       "expiration": now + 60_000, "timestamp": now}}
        if not pending:
            self.block += 1
            info: dict[str, Any] = {"id": txid, "fee": fee, "blockNumber": self.block, "blockTimeStamp": now,
                                    "contractResult": [""], "receipt": {"net_usage": 268, "result": result}}
            if log is not None:
                info["log"] = log
            if result != "SUCCESS":
                info["result"] = "FAILED"
                if message is not None:
                    info["resMessage"] = message.encode().hex()
                    info["contractResult"] = ["08c379a0" + encode(["string"], [message]).hex()]
            self.infos[txid] = info
        return txid

    def trx_transfer(self, sender: str, to: str, sun: int, *, pending: bool = False) -> str:
        return self._add("TransferContract", {"amount": sun, "owner_address": sender, "to_address": to},
                         pending=pending, fee=0 if sun else 1_100_000)

    def trc20_transfer(self, token: str, sender: str, to: str, amount: int, *, fail: str | None = None,
                       result: str = "REVERT") -> str:
        data = "a9059cbb" + encode(["address", "uint256"], ["0x" + to[2:], amount]).hex()
        log = None if fail is not None else [{"address": token[2:], "topics": [
            _TRANSFER_TOPIC, "0" * 24 + sender[2:], "0" * 24 + to[2:]], "data": f"{amount:064x}"}]
        if fail is None:
            self.holdings[(token, to)] = self.holdings.get((token, to), 0) + amount
        return self._add("TriggerSmartContract", {"data": data, "owner_address": sender, "contract_address": token},
                         "SUCCESS" if fail is None else result, fee=13_844_850, log=log, message=fail)

    def confirm(self, txid: str) -> None:
        """A pending transaction lands in the next block."""
        self.block += 1
        self.infos[txid] = {"id": txid, "fee": 0, "blockNumber": self.block,
                            "blockTimeStamp": int(time.time() * 1000), "receipt": {"net_usage": 268}}

    # ------------------------------------------------------------------ the API

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await request.json() if request.can_read_body else {}
        self.calls.append((method, body))
        broken = await self.fault()
        if broken is not None:
            return broken
        if method == "getnowblock":
            return web.json_response({"blockID": f"{self.block:016x}" + "0" * 48,
                                      "block_header": {"raw_data": {"number": self.block,
                                                                    "timestamp": int(time.time() * 1000)}}})
        if method == "gettransactionbyid":
            tx = self.txs.get(str(body.get("value", "")).lower())
            return web.json_response(self._visible(tx) if tx and body.get("visible") else (tx or {}))
        if method == "gettransactioninfobyid":
            return web.json_response(self.infos.get(str(body.get("value", "")).lower(), {}))
        if method == "triggerconstantcontract":
            return web.json_response(self._constant(body))
        return web.Response(status=404, text="404 page not found")

    @staticmethod
    def _visible(tx: dict[str, Any]) -> dict[str, Any]:
        contract = tx["raw_data"]["contract"][0]
        value = {k: (b58_address(v) if k.endswith("_address") else v)
                 for k, v in contract["parameter"]["value"].items()}
        shown = dict(tx, raw_data=dict(tx["raw_data"], contract=[dict(contract, parameter=dict(contract["parameter"],
                                                                                             value=value))]))
        return shown

    def _constant(self, body: dict[str, Any]) -> dict[str, Any]:
        token_b58 = body.get("contract_address", "")
        token = next((t for t in self.tokens if b58_address(t) == token_b58 or t == token_b58), None)
        if token is None:
            return {"result": {"code": "CONTRACT_VALIDATE_ERROR", "message": "Smart contract is not exist."}}
        symbol, decimals = self.tokens[token]
        selector = body.get("function_selector")
        if selector == "symbol()":
            out = encode(["string"], [symbol]).hex()
        elif selector == "decimals()":
            out = encode(["uint8"], [decimals]).hex()
        elif selector == "balanceOf(address)":
            holder = "41" + str(body.get("parameter", ""))[-40:].lower()
            out = encode(["uint256"], [self.holdings.get((token, holder), 0)]).hex()
        else:
            return {"result": {"code": "OTHER_ERROR", "message": "unknown function"}}
        return {"result": {"result": True}, "energy_used": 345, "constant_result": [out]}
