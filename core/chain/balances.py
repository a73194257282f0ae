"""A token balance at an address, for "my token is not showing": ERC-20
``balanceOf`` by ``eth_call`` on the EVM chains, TRC-20 by
``/wallet/triggerconstantcontract`` on Tron. Only the address and the token
contract leave the process."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from core.chain.abi import word_uint
from core.chain.evm import EvmChain
from core.chain.hashes import canonical
from core.chain.models import scaled
from core.chain.tron import TronChain, tron_hex

__all__ = ["KNOWN_TOKENS", "BalanceLookup", "TokenBalance", "find_address", "find_token", "evm_balance", "tron_balance"]

_EVM_ADDRESS_RE = re.compile(r"(?<![0-9A-Za-z])0[xX][0-9a-fA-F]{40}(?![0-9A-Za-z])")
_TRON_ADDRESS_RE = re.compile(r"(?<![0-9A-Za-z])T[1-9A-HJ-NP-Za-km-z]{33}(?![0-9A-Za-z])")
_CONTRACT_WORDS_RE = re.compile(r"(?:contract|token address|合约|代币地址)\W{0,12}$", re.IGNORECASE)
_BALANCE_OF = "70a08231"  # balanceOf(address)

# the contracts of the tokens users ask about most, per network (checked against the issuers' pages)
KNOWN_TOKENS: dict[str, dict[str, str]] = {
    "ethereum": {"USDT": "0xdac17f958d2ee523a2206206994597c13d831ec7",
                 "USDC": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
                 "DAI": "0x6b175474e89094c44da98b954eedeac495271d0f"},
    "bsc": {"USDT": "0x55d398326f99059ff775485246999027b3197955",
            "USDC": "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d"},
    "polygon": {"USDT": "0xc2132d05d31c914a87c6611c10748aeb04b58e8f"},
    "tron": {"USDT": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
}


@dataclass(frozen=True, slots=True)
class TokenBalance:
    chain: str
    address: str
    token: str
    symbol: str | None
    amount: str
    raw: int


@dataclass(frozen=True, slots=True)
class BalanceLookup:
    """The balances found for ``address`` (``asked``: the chains a token contract was known for)."""

    address: str
    balances: tuple[TokenBalance, ...]
    asked: tuple[str, ...]
    unavailable: tuple[str, ...]


def find_address(text: str) -> tuple[str, str] | None:
    """The first account address in ``text`` that is not named as a token contract:
    (``evm`` or ``tron``, address)."""
    for regex, family in ((_EVM_ADDRESS_RE, "evm"), (_TRON_ADDRESS_RE, "tron")):
        for found in regex.finditer(text):
            if not _CONTRACT_WORDS_RE.search(text[max(0, found.start() - 30):found.start()]):
                return family, found.group(0)
    return None


def find_token(text: str, chain: str, tokens: dict[str, dict[str, str]] = KNOWN_TOKENS) -> str | None:
    """The token contract ``text`` names for ``chain``: one written after "contract", or a known symbol's."""
    regex = _TRON_ADDRESS_RE if canonical(chain) == "tron" else _EVM_ADDRESS_RE
    for found in regex.finditer(text):
        if _CONTRACT_WORDS_RE.search(text[max(0, found.start() - 30):found.start()]):
            return found.group(0) if regex is _TRON_ADDRESS_RE else found.group(0).lower()
    known = tokens.get(canonical(chain), {})
    for symbol, contract in known.items():
        if re.search(rf"(?<![A-Za-z]){symbol}(?![A-Za-z])", text, re.IGNORECASE):
            return contract
    return None


async def evm_balance(chain: EvmChain, client: httpx.AsyncClient, address: str, token: str,
                      deadline: float) -> TokenBalance | None:
    data = "0x" + _BALANCE_OF + address.lower().removeprefix("0x").rjust(64, "0")
    result = await chain.call(client, {"to": token, "data": data}, "latest", deadline)
    raw = word_uint(result) if result else None
    if raw is None:
        return None
    symbol, decimals = await chain.token(client, token.lower(), deadline)
    return TokenBalance(chain.name, address, token, symbol, scaled(raw, decimals) if decimals is not None else str(raw), raw)


async def tron_balance(chain: TronChain, client: httpx.AsyncClient, address: str, token: str,
                       deadline: float) -> TokenBalance | None:
    param = tron_hex(address)[2:].rjust(64, "0")
    answer = await chain.post(client, "/wallet/triggerconstantcontract",
                               {"owner_address": address, "contract_address": token,
                                "function_selector": "balanceOf(address)", "parameter": param, "visible": True},
                               deadline)
    results = answer.get("constant_result") or []
    raw = word_uint(results[0]) if results and isinstance(results[0], str) else None
    if raw is None:
        return None
    symbol, decimals = await chain.token(client, token, deadline)
    return TokenBalance(chain.name, address, token, symbol, scaled(raw, decimals) if decimals is not None else str(raw),
                        raw)
