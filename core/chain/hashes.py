"""Transaction hashes in a message, and the networks a message names.

A hash's shape decides where to ask: ``0x`` + 64 hex is an EVM hash; a bare 64
hex may be Tron's, Bitcoin's or an EVM hash written without ``0x``. The network
a user names ("on BSC", "TRC20", "以太坊", a bscscan link) is what a found hash
is compared with: found elsewhere is the wrong-network diagnosis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EVM", "TRON", "BITCOIN", "HASH_RE", "TxHash", "canonical", "display_name", "find_hash", "named_chain",
           "native_asset"]

EVM, TRON, BITCOIN = "evm", "tron", "bitcoin"

HASH_RE = re.compile(r"(?<![0-9A-Za-z])(0[xX])?([0-9a-fA-F]{64})(?![0-9A-Za-z])")


@dataclass(frozen=True, slots=True)
class TxHash:
    """``digits``: the 64 hex digits, lower case; ``prefixed``: written with ``0x``."""

    digits: str
    prefixed: bool

    @property
    def evm(self) -> str:
        return "0x" + self.digits

    @property
    def families(self) -> tuple[str, ...]:
        """Where a hash of this shape can live, in the order they are reported."""
        return (EVM,) if self.prefixed else (EVM, TRON, BITCOIN)

    @property
    def written(self) -> str:
        return self.evm if self.prefixed else self.digits


def find_hash(text: str) -> TxHash | None:
    """The first transaction-hash-shaped string in ``text`` (64 hex digits, with
    or without ``0x``, not part of a longer word)."""
    found = HASH_RE.search(text)
    return TxHash(found.group(2).lower(), found.group(1) is not None) if found else None


# canonical name -> (what it is called, its native asset, words and explorer hosts that name it)
_NETWORKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ethereum": ("Ethereum", "ETH", ("ethereum", "erc20", "erc-20", "erc 20", "eth network", "eth mainnet",
                                     "on eth", "以太坊", "以太网络", "etherscan.io")),
    "bsc": ("BSC", "BNB", ("bsc", "bep20", "bep-20", "bep 20", "bnb chain", "bnb smart chain", "binance smart chain",
                           "币安链", "币安智能链", "bscscan.com")),
    "polygon": ("Polygon", "POL", ("polygon", "matic", "polygonscan.com", "马蹄链")),
    "arbitrum": ("Arbitrum", "ETH", ("arbitrum", "arbiscan.io")),
    "optimism": ("Optimism", "ETH", ("optimism", "op mainnet", "optimistic.etherscan.io")),
    "base": ("Base", "ETH", ("base chain", "base network", "basescan.org")),
    "avalanche": ("Avalanche", "AVAX", ("avalanche", "avax", "snowtrace.io")),
    "tron": ("Tron", "TRX", ("tron", "trc20", "trc-20", "trc 20", "波场", "tronscan.org", "tronscan.io")),
    "bitcoin": ("Bitcoin", "BTC", ("bitcoin", "btc network", "比特币", "mempool.space", "blockstream.info")),
}
# configured endpoint names people use for the same networks
_CONFIG_NAMES = {"eth": "ethereum", "mainnet": "ethereum", "bnb": "bsc", "binance": "bsc", "matic": "polygon",
                 "arb": "arbitrum", "op": "optimism", "avax": "avalanche", "trx": "tron", "btc": "bitcoin"}
_WORDS = sorted(((word, name) for name, (_, _, words) in _NETWORKS.items() for word in words),
                key=lambda pair: -len(pair[0]))
_NAMED_RE = re.compile("|".join(
    (re.escape(word) if not word[0].isascii() else rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])")
    for word, _ in _WORDS), re.IGNORECASE)
_BY_WORD = {word: name for word, name in _WORDS}


def named_chain(text: str) -> str | None:
    """The canonical network the text names first ("ethereum", "bsc", "tron" ...), or None."""
    found = _NAMED_RE.search(text)
    return _BY_WORD[found.group(0).lower()] if found else None


def canonical(name: str) -> str:
    """A configured chain name as the network it is (``eth`` -> ``ethereum``)."""
    key = name.strip().lower()
    return _CONFIG_NAMES.get(key, key)


def display_name(name: str) -> str:
    """How a chain is called in an answer ("BSC", "Ethereum"); other names as configured."""
    known = _NETWORKS.get(canonical(name))
    return known[0] if known else name


def native_asset(name: str) -> str:
    """The native unit of a configured chain (ETH unless the name says otherwise)."""
    known = _NETWORKS.get(canonical(name))
    return known[1] if known else "ETH"
