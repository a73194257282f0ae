"""Ask every configured chain a hash could live on, in parallel, within one
overall deadline; keep what was found on a chain that confirmed it.

Found on the chain the user named (or nothing named): that answer returns at
once. Found elsewhere: the named chain is still waited for (until the deadline),
and what remains found elsewhere is the wrong-network diagnosis.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol

import httpx

from core.chain.balances import BalanceLookup, TokenBalance, evm_balance, find_address, find_token, tron_balance
from core.chain.bitcoin import BitcoinChain
from core.chain.endpoint import ChainUnavailable, Endpoint
from core.chain.evm import EvmChain, RpcError
from core.chain.hashes import BITCOIN, EVM, HASH_RE, TRON, TxHash, canonical, find_hash, named_chain
from core.chain.models import Lookup, TxFound
from core.chain.tron import TronChain
from core.config import Settings

__all__ = ["Chain", "ChainLookup"]

_LOGGER = logging.getLogger(__name__)
DEADLINE = 3.0
_MARGIN = 0.05  # what is left of the deadline to cancel the stragglers and build the answer
_FAILURES = (ChainUnavailable, RpcError, httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError)


class Chain(Protocol):
    name: str

    async def tip(self, client: httpx.AsyncClient, deadline: float) -> int: ...
    async def lookup(self, client: httpx.AsyncClient, tx_hash: str, deadline: float) -> TxFound | None: ...


class ChainLookup:
    """Args:
        evm: configured name -> JSON-RPC URL.
        tron: a TronGrid-compatible base URL.
        bitcoin: an Esplora-compatible base URL.
        deadline: seconds for one lookup, every chain included.
        transport: an httpx transport (tests); default: real sockets.
        cache_size: how many settled results are kept.
        rate, burst: each endpoint's limit (requests per second, at once); a lookup makes 3 to 7 requests.
    """

    def __init__(self, evm: Mapping[str, str] | None = None, tron: str | None = None, bitcoin: str | None = None, *,
                 deadline: float = DEADLINE, transport: httpx.AsyncBaseTransport | None = None,
                 cache_size: int = 512, rate: float = 20.0, burst: int = 40) -> None:
        self.chains: dict[str, list[Chain]] = {EVM: [], TRON: [], BITCOIN: []}
        for name, url in (evm or {}).items():
            self.chains[EVM].append(EvmChain(name, Endpoint(name, url, rate=rate, burst=burst)))
        if tron:
            self.chains[TRON].append(TronChain(Endpoint("tron", tron, rate=rate, burst=burst)))
        if bitcoin:
            self.chains[BITCOIN].append(BitcoinChain(Endpoint("bitcoin", bitcoin, rate=rate, burst=burst)))
        self.deadline = deadline
        self.transport = transport
        self.cache_size = cache_size
        self._cache: OrderedDict[str, TxFound] = OrderedDict()
        self._found: OrderedDict[str, None] = OrderedDict()  # hashes some chain knows (pending ones too)
        self._http: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> ChainLookup:
        """From ``WALLETDESK_EVM_RPC``, ``WALLETDESK_TRON_API`` and ``WALLETDESK_BITCOIN_API``."""
        return cls(settings.evm_rpc_urls, settings.tron_api, settings.bitcoin_api, transport=transport)

    def _client(self) -> httpx.AsyncClient:
        """One client (and its connection pool) per event loop: building one costs milliseconds (TLS setup)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop or self._http.is_closed:
            self._http = httpx.AsyncClient(transport=self.transport, follow_redirects=False)
            self._http_loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and self._http_loop is asyncio.get_running_loop():
            await self._http.aclose()
        self._http = None

    @property
    def configured(self) -> bool:
        return any(self.chains.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(chain.name for family in (EVM, TRON, BITCOIN) for chain in self.chains[family])

    def chains_for(self, tx_hash: TxHash) -> list[Chain]:
        return [chain for family in tx_hash.families for chain in self.chains[family]]

    async def lookup_text(self, text: str) -> Lookup | None:
        """The first hash in ``text`` looked up, the network ``text`` names as the
        expected one; None when ``text`` holds no hash."""
        tx_hash = find_hash(text)
        return None if tx_hash is None else await self.lookup(tx_hash, named_chain(text))

    async def lookup(self, tx_hash: TxHash, named: str | None = None) -> Lookup:
        chains = self.chains_for(tx_hash)
        asked = tuple(chain.name for chain in chains)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline - _MARGIN
        client = self._client()
        cached = await self._from_cache(client, tx_hash, chains, deadline)
        if cached is not None:
            return Lookup(tx_hash, cached, asked, (), named)
        found, unavailable = await self._ask_all(client, tx_hash, chains, named, deadline)
        for result in found:
            if result.settled:
                self._remember(tx_hash, result)
        if found:
            self._found[tx_hash.digits] = None
            self._found.move_to_end(tx_hash.digits)
            while len(self._found) > self.cache_size * 8:
                self._found.popitem(last=False)
        on_named = [r for r in found if named is not None and canonical(r.chain) == named]
        best = (on_named or found or [None])[0]
        return Lookup(tx_hash, best, asked, tuple(unavailable) if best is None else (), named)

    def knows_hash_in(self, text: str) -> bool:
        """True when ``text`` holds a hash this process has found on a chain: a
        transaction hash, never a key (key words beside it still win in the shield).
        Per process: with several web processes, each knows what it looked up."""
        return any(digits.lower() in self._found for _, digits in HASH_RE.findall(text))

    async def balances(self, text: str) -> BalanceLookup | None:
        """The token balance at the address in ``text`` (a known symbol's contract, or one written
        after "contract") on the chains it may be on; None without an address or a token."""
        found = find_address(text)
        if found is None:
            return None
        family, address = found
        named = named_chain(text)
        chains: list[Chain] = list(self.chains[TRON] if family == "tron" else self.chains[EVM])
        chains = [c for c in chains if named is None or canonical(c.name) == named] or chains
        jobs = [(chain, token) for chain in chains if (token := find_token(text, chain.name))]
        if not jobs:
            return None
        client = self._client()
        deadline = asyncio.get_running_loop().time() + self.deadline - _MARGIN

        async def one(chain: Chain, token: str) -> TokenBalance | str | None:
            try:
                if isinstance(chain, TronChain):
                    return await tron_balance(chain, client, address, token, deadline)
                return await evm_balance(chain, client, address, token, deadline)  # type: ignore[arg-type]
            except _FAILURES:
                return chain.name

        tasks = [asyncio.ensure_future(one(chain, token)) for chain, token in jobs]
        done, pending = await asyncio.wait(tasks, timeout=max(deadline - asyncio.get_running_loop().time(), 0))
        for task in pending:
            task.cancel()
        results = [task.result() if task in done else chain.name for task, (chain, _) in zip(tasks, jobs)]
        return BalanceLookup(address, tuple(r for r in results if isinstance(r, TokenBalance)),
                             tuple(chain.name for chain, _ in jobs), tuple(r for r in results if isinstance(r, str)))

    async def _ask_all(self, client: httpx.AsyncClient, tx_hash: TxHash, chains: list[Chain], named: str | None,
                       deadline: float) -> tuple[list[TxFound], list[str]]:
        loop = asyncio.get_running_loop()
        tasks = {asyncio.ensure_future(self._ask(client, chain, tx_hash, deadline)): chain for chain in chains}
        found: list[TxFound] = []
        unavailable: list[str] = []
        pending = set(tasks)
        try:
            while pending:
                done, pending = await asyncio.wait(pending, timeout=max(deadline - loop.time(), 0),
                                                   return_when=asyncio.FIRST_COMPLETED)
                if not done:
                    break
                for task in done:
                    ok, result = task.result()
                    if not ok:
                        unavailable.append(tasks[task].name)
                    elif result is not None:
                        found.append(result)
                if any(named is None or canonical(r.chain) == named for r in found):
                    return _in_order(found, chains), []
            unavailable.extend(tasks[task].name for task in pending)
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        return _in_order(found, chains), [c.name for c in chains if c.name in unavailable]

    @staticmethod
    async def _ask(client: httpx.AsyncClient, chain: Chain, tx_hash: TxHash,
                   deadline: float) -> tuple[bool, TxFound | None]:
        try:
            return True, await chain.lookup(client, tx_hash.evm if isinstance(chain, EvmChain) else tx_hash.digits,
                                            deadline)
        except _FAILURES as exc:
            _LOGGER.info("chain: %s could not be asked: %s", chain.name, exc)
            return False, None

    async def _from_cache(self, client: httpx.AsyncClient, tx_hash: TxHash, chains: list[Chain],
                          deadline: float) -> TxFound | None:
        """A settled result does not change: only its confirmations are brought up to date
        (kept as they were when the tip cannot be read)."""
        hit = self._cache.get(tx_hash.digits)
        if hit is None:
            return None
        self._cache.move_to_end(tx_hash.digits)
        chain = next((c for c in chains if c.name == hit.chain), None)
        if chain is None or hit.block is None:
            return hit
        try:
            tip = await asyncio.wait_for(chain.tip(client, deadline), timeout=max(deadline - asyncio.get_running_loop().time(), 0))
        except (*_FAILURES, asyncio.TimeoutError):
            return hit
        return replace(hit, confirmations=max(tip - hit.block + 1, hit.confirmations))

    def _remember(self, tx_hash: TxHash, result: TxFound) -> None:
        self._cache[tx_hash.digits] = result
        self._cache.move_to_end(tx_hash.digits)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def _in_order(found: list[TxFound], chains: list[Chain]) -> list[TxFound]:
    order = {chain.name: i for i, chain in enumerate(chains)}
    return sorted(found, key=lambda r: order.get(r.chain, len(order)))
