"""Bitcoin over an Esplora-compatible REST API (Blockstream's and mempool.space's):
``/tx/:txid`` (inputs with their previous outputs, outputs, fee, status) and
``/blocks/tip/height``. ``from`` is the first input's address; ``to`` and
``value`` are the largest output's."""

from __future__ import annotations

from typing import Any

import httpx

from core.chain.endpoint import ChainUnavailable, Endpoint, gather_or_cancel
from core.chain.models import TxFound, TxStatus, scaled

__all__ = ["BitcoinChain"]

_SATS = 8


class BitcoinChain:
    __slots__ = ("name", "endpoint", "asset")

    def __init__(self, endpoint: Endpoint, name: str = "bitcoin") -> None:
        self.name = name
        self.endpoint = endpoint
        self.asset = "BTC"

    async def tip(self, client: httpx.AsyncClient, deadline: float) -> int:
        response = await self.endpoint.send(client, "GET", "/blocks/tip/height", deadline)
        try:
            return int(response.text.strip())
        except ValueError:
            raise ChainUnavailable(f"{self.name}: tip height is not a number") from None

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str, deadline: float) -> TxFound | None:
        tx, tip = await gather_or_cancel(self.endpoint.json(client, "GET", f"/tx/{tx_hash}", deadline),
                                       self.tip(client, deadline))
        if not isinstance(tx, dict) or not tx.get("txid"):
            return None
        vin: list[dict[str, Any]] = tx.get("vin") or []
        prevout = (vin[0].get("prevout") or {}) if vin else {}
        outputs: list[dict[str, Any]] = tx.get("vout") or []
        largest = max(outputs, key=lambda out: int(out.get("value", 0)), default={})
        status = tx.get("status") or {}
        fee = scaled(int(tx.get("fee", 0) or 0), _SATS)
        value = scaled(int(largest.get("value", 0) or 0), _SATS) if largest else None
        if not status.get("confirmed"):
            return TxFound(tx["txid"], self.name, TxStatus.PENDING, None, 0, prevout.get("scriptpubkey_address"),
                           largest.get("scriptpubkey_address"), value, self.asset, fee)
        height = int(status["block_height"])
        return TxFound(tx["txid"], self.name, TxStatus.SUCCESS, height, max(tip - height + 1, 1),
                       prevout.get("scriptpubkey_address"), largest.get("scriptpubkey_address"), value, self.asset,
                       fee, (), None, int(status["block_time"]) if status.get("block_time") else None)
