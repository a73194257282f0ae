"""On-chain lookups for diagnosis: a transaction hash asked of the configured
EVM JSON-RPC, TronGrid-compatible and Esplora endpoints, in parallel, within
one deadline. Only the hash (or a contract address) leaves the process."""

from core.chain.endpoint import ChainUnavailable
from core.chain.hashes import TxHash, display_name, find_hash, named_chain
from core.chain.lookup import ChainLookup
from core.chain.models import Lookup, TokenTransfer, TxFound, TxStatus

__all__ = ["ChainLookup", "ChainUnavailable", "Lookup", "TokenTransfer", "TxFound", "TxHash", "TxStatus",
           "display_name", "find_hash", "named_chain"]
