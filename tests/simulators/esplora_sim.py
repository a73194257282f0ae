"""An Esplora REST API simulator (Blockstream's and mempool.space's API):
``GET /tx/:txid`` (404 ``Transaction not found``; 400 for a malformed id),
``GET /tx/:txid/status`` and ``GET /blocks/tip/height`` (plain text), with
values in satoshis as the API gives them::

    async with EsploraSim() as btc:
        txid = btc.payment("bc1qsender...", [("bc1qshop...", 150_000), ("bc1qchange...", 20_000)], fee=1_400)
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from aiohttp import web

from tests.simulators.evm_node import HttpSim

__all__ = ["EsploraSim"]

_TXID_RE = re.compile(r"^[0-9a-fA-F]{64}$")


class EsploraSim(HttpSim):
    def __init__(self) -> None:
        super().__init__()
        self.height = 870_000
        self.txs: dict[str, dict[str, Any]] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/blocks/tip/height", self._tip)
        app.router.add_get("/tx/{txid}", self._tx)
        app.router.add_get("/tx/{txid}/status", self._status)

    async def __aenter__(self) -> EsploraSim:
        await super().__aenter__()
        return self

    def mine(self, blocks: int = 1) -> None:
        self.height += blocks

    def payment(self, sender: str | None, outputs: list[tuple[str, int]], fee: int = 1_000, *,
                pending: bool = False) -> str:
        """A transaction spending one of ``sender``'s outputs (a coinbase when None)."""
        txid = os.urandom(32).hex()
        total = sum(v for _, v in outputs) + (fee if sender else 0)
        vin = ([{"txid": os.urandom(32).hex(), "vout": 0, "is_coinbase": False, "sequence": 4294967293,
                 "prevout": {"scriptpubkey_type": "v0_p2wpkh", "scriptpubkey_address": sender, "value": total}}]
               if sender else [{"txid": "0" * 64, "vout": 4294967295, "is_coinbase": True, "prevout": None}])
        if not pending:
            self.height += 1
        status = ({"confirmed": False} if pending else
                  {"confirmed": True, "block_height": self.height, "block_hash": os.urandom(32).hex(),
                   "block_time": int(time.time())})
        self.txs[txid] = {"txid": txid, "version": 2, "locktime": 0, "vin": vin,
                          "vout": [{"scriptpubkey_type": "v0_p2wpkh", "scriptpubkey_address": a, "value": v}
                                   for a, v in outputs],
                          "size": 222, "weight": 561, "fee": fee if sender else 0, "status": status}
        return txid

    def confirm(self, txid: str) -> None:
        self.height += 1
        self.txs[txid]["status"] = {"confirmed": True, "block_height": self.height,
                                    "block_hash": os.urandom(32).hex(), "block_time": int(time.time())}

    async def _served(self, request: web.Request) -> web.Response | None:
        self.calls.append((request.path, None))
        return await self.fault()

    async def _tip(self, request: web.Request) -> web.Response:
        return await self._served(request) or web.Response(text=str(self.height))

    def _find(self, txid: str) -> dict[str, Any] | web.Response:
        if not _TXID_RE.match(txid):
            return web.Response(status=400, text="Invalid hex string")
        tx = self.txs.get(txid.lower())
        return tx if tx is not None else web.Response(status=404, text="Transaction not found")

    async def _tx(self, request: web.Request) -> web.Response:
        broken = await self._served(request)
        if broken is not None:
            return broken
        found = self._find(request.match_info["txid"])
        return found if isinstance(found, web.Response) else web.json_response(found)

    async def _status(self, request: web.Request) -> web.Response:
        broken = await self._served(request)
        if broken is not None:
            return broken
        found = self._find(request.match_info["txid"])
        return found if isinstance(found, web.Response) else web.json_response(found["status"])
