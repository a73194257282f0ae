"""What a lookup found: plain frozen values, and the JSON the CLI contract names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from core.chain.hashes import TxHash, canonical

__all__ = ["Lookup", "TokenTransfer", "TxFound", "TxStatus", "scaled"]


class TxStatus(str, Enum):
    SUCCESS = "success"
    FAILED = "failed"
    PENDING = "pending"
    NOT_FOUND = "not_found"


def scaled(amount: int, decimals: int) -> str:
    """An integer amount of base units as an exact decimal string (``1500000, 6`` -> ``"1.5"``)."""
    sign, digits = ("-", str(-amount)) if amount < 0 else ("", str(amount))
    if decimals <= 0:
        return sign + digits + "0" * -decimals
    digits = digits.rjust(decimals + 1, "0")
    whole, frac = digits[:-decimals], digits[-decimals:].rstrip("0")
    return sign + whole + ("." + frac if frac else "")


@dataclass(frozen=True, slots=True)
class TokenTransfer:
    """One ERC-20/TRC-20 ``Transfer`` event; ``amount`` scaled by the token's decimals
    (raw base units when the token did not say)."""

    token: str
    symbol: str | None
    sender: str
    recipient: str
    amount: str

    def as_json(self) -> dict[str, Any]:
        return {"token": self.token, "symbol": self.symbol, "from": self.sender, "to": self.recipient,
                "amount": self.amount}


@dataclass(frozen=True, slots=True)
class TxFound:
    """A transaction one chain knows. ``value`` and ``fee`` are decimal strings in
    ``asset``; ``time`` is the block's (seconds since the epoch), None while pending."""

    hash: str
    chain: str
    status: TxStatus
    block: int | None
    confirmations: int
    sender: str | None
    recipient: str | None
    value: str | None
    asset: str
    fee: str | None
    token_transfers: tuple[TokenTransfer, ...] = ()
    reason: str | None = None
    time: int | None = None

    @property
    def settled(self) -> bool:
        """In a block: a result that no longer changes (but for its confirmations)."""
        return self.block is not None and self.status in (TxStatus.SUCCESS, TxStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Lookup:
    """One hash asked of the configured chains.

    ``named``: the network the user's text names (canonical), if any;
    ``unavailable``: the chains that could not be asked in time (down, 5xx, timeout).
    """

    hash: TxHash
    found: TxFound | None
    asked: tuple[str, ...]
    unavailable: tuple[str, ...] = ()
    named: str | None = None

    @property
    def wrong_network(self) -> bool:
        return self.found is not None and self.named is not None and canonical(self.found.chain) != self.named

    @property
    def could_not_check(self) -> bool:
        """Nothing found, and some chain could not be asked: "not found" would be a guess."""
        return self.found is None and bool(self.unavailable)

    def as_json(self) -> dict[str, Any]:
        """The ``walletdesk tx lookup --json`` object (the contract in DESIGN.md)."""
        f = self.found
        if f is None:
            reason = f"unavailable: {', '.join(self.unavailable)}" if self.unavailable else None
            return {"hash": self.hash.written, "found": False, "chain": None, "status": TxStatus.NOT_FOUND.value,
                    "block": None, "confirmations": None, "from": None, "to": None, "value": None, "asset": None,
                    "fee": None, "token_transfers": [], "reason": reason}
        return {"hash": f.hash, "found": True, "chain": f.chain, "status": f.status.value, "block": f.block,
                "confirmations": f.confirmations, "from": f.sender, "to": f.recipient, "value": f.value,
                "asset": f.asset, "fee": f.fee, "token_transfers": [t.as_json() for t in f.token_transfers],
                "reason": f.reason}
