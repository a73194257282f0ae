"""Private keys: 64-hex keys, WIF and extended private keys (xprv and kin).

``private_key_hex``
    64 hex digits, with or without ``0x``, not part of a longer alphanumeric
    token; also split into 2-8 pieces of 8+ digits by spaces or a newline
    (``0x1f2e… 9a8b…``).  A transaction hash has the same shape, so the
    message decides, in this order (the first rule that applies wins):

    1. a word naming a key anywhere in the message (private key, privkey,
       priv key, secret, 私钥, 私鑰, 密钥, 密鑰, 秘钥), or ``key`` within 40
       characters before / 30 after it, or the hex is a URL query value
       (``?pk=…``, ``&key=…``): a **key**;
    2. it sits in the transaction (or block) path of a real block-explorer
       URL (etherscan and its family, bscscan, polygonscan, tronscan,
       blockchair, mempool.space, blockstream, solscan, oklink, ...): a
       **tx hash**; any other URL proves nothing;
    3. ``0x``-prefixed, and the caller says a tx hash is expected
       (``expect_tx_hash``: staff or the bot just asked for one) or the
       message gives tx context outside URLs (tx, txid, hash, transaction,
       pending, stuck, confirmations, block, explorer, 交易, 哈希, 转账,
       区块 ...): a **tx hash**;
    4. without ``0x``: a transaction word within 40 characters before / 30
       after it (txid, tx hash, hash, block, 交易哈希, 哈希 ...), or 16-24
       leading zeros (a Bitcoin block hash; no random key looks like that): a **tx hash**;
    5. otherwise a **key**: a false alarm costs one redacted hash, a miss a wallet.

    A bare non-0x hex stays a key even when a tx hash is expected: wallets
    export private keys without ``0x`` (MetaMask does), transaction hashes
    on EVM chains are shown with it.

``wif``
    Base58Check WIF keys: 51 chars starting 5 (mainnet) or 9 (testnet)
    uncompressed, 52 chars starting K/L or c compressed.  Flagged when the
    checksum is valid, and also when it fails but the string still decodes
    to a 0x80/0xef version byte with the WIF length (a one-character typo is
    trivially brute-forced, so it is still a leak).

``xprv``
    Extended private keys with prefix xprv/yprv/zprv/tprv/uprv/vprv (and
    SLIP-132 Yprv/Zprv/Uprv/Vprv).  Flagged when Base58Check-valid (111
    chars), and also when the prefix is followed by base58 text making at
    least 100 characters even if the checksum fails: the prefix states the
    intent and nothing public starts with it.
"""

from __future__ import annotations

import hashlib
import re

from core.shield.findings import KIND_PRIVATE_KEY_HEX, KIND_WIF, KIND_XPRV, ShieldFinding

_HEX_RE = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
# 2-8 pieces of 8+ hex digits separated by blanks or one newline (checked to total 64)
_SPLIT_HEX_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{8,56}(?:(?:[ \t]{1,3}|[ \t]{0,3}\r?\n[ \t]{0,3})[0-9a-fA-F]{8,56}){1,7}"
    r"(?![0-9A-Za-z])"
)
_HEX_PIECE_RE = re.compile(r"[0-9a-fA-F]{8}")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_IDX = {c: i for i, c in enumerate(_B58)}
_B58C = "1-9A-HJ-NP-Za-km-z"
_WIF_RE = re.compile(rf"(?<![0-9A-Za-z])[5KL9c][{_B58C}]{{50,51}}(?![0-9A-Za-z])")
_XPRV_RE = re.compile(rf"(?<![0-9A-Za-z])[xyztuvYZUV]prv[{_B58C}]{{96,}}(?![0-9A-Za-z])")

# rule 1: these name a key wherever they are in the message
_KEY_NAME_RE = re.compile(
    r"(?<![a-z])(?:private[ _-]?keys?|priv[ _-]?keys?|privkey|secret(?:[ _-]?keys?)?)(?![a-z])"
    r"|私钥|私鑰|密钥|密鑰|秘钥|秘鑰",
    re.IGNORECASE,
)
_KEY_NEAR_RE = re.compile(r"(?<![a-z])keys?(?![a-z])", re.IGNORECASE)
_QUERY_VALUE_RE = re.compile(r"[?&#;][A-Za-z0-9_.\[\]-]*=(?:0[xX])?$")
# rule 2: the transaction (or block) path of a real explorer
_EXPLORERS = (
    "etherscan.io", "bscscan.com", "polygonscan.com", "arbiscan.io", "basescan.org", "ftmscan.com",
    "snowtrace.io", "snowscan.xyz", "celoscan.io", "gnosisscan.io", "moonscan.io", "cronoscan.com",
    "lineascan.build", "scrollscan.com", "blastscan.io", "optimistic.etherscan.io", "era.zksync.network",
    "tronscan.org", "tronscan.io", "blockchair.com", "mempool.space", "blockstream.info", "blockchain.com",
    "btc.com", "solscan.io", "oklink.com", "blockscout.com", "tokenview.io", "bitaps.com", "blockcypher.com",
)
_URL_RE = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"'()\[\]]*|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/[^\s<>\"'()\[\]]*",
    re.IGNORECASE,
)
_HOST_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^/@\s]*@)?([A-Za-z0-9.-]+)", re.IGNORECASE)
_TX_PATH_RE = re.compile(r"/(?:#/)?(?:tx|txs|transaction|transactions|block|blocks|btc/tx)/(?:0[xX])?$", re.IGNORECASE)
# rule 3: tx context anywhere in the message (outside URLs)
_TX_CONTEXT_RE = re.compile(
    r"(?<![a-z])(?:tx(?:n|id|s|hash|ids)?|hash(?:es)?|transactions?|txns?|pending|stuck|confirm(?:ation|ations|ed)?"
    r"|blocks?|explorer|etherscan|bscscan|tronscan|unconfirmed)(?![a-z])"
    r"|交易|哈希|转账|轉賬|區塊|区块|确认|確認|未到账",
    re.IGNORECASE,
)
# rule 4: a transaction word near a bare hex
_TX_WORDS_RE = re.compile(
    r"(?<![a-z])(?:tx(?:n|id|s|hash)?|tx[ _-]?(?:hash|id)|txn[ _-]?(?:hash|id)"
    r"|transaction[ _-]?(?:hash|id)|hash(?:es)?|blocks?(?:[ _-]?hash)?)(?![a-z])"
    r"|交易哈希|哈希|交易id|交易号|交易编号|交易单号|区块哈希|区块|转账哈希|交易記錄|交易记录",
    re.IGNORECASE,
)

_CONTEXT_BEFORE = 40
_CONTEXT_AFTER = 30


def _b58decode(s: str) -> bytes:
    n = 0
    for ch in s:
        n = n * 58 + _B58_IDX[ch]
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\x00" * (len(s) - len(s.lstrip("1"))) + body


def _b58check_ok(raw: bytes) -> bool:
    return len(raw) > 4 and hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4] == raw[-4:]


def _is_wif(s: str) -> bool:
    raw = _b58decode(s)
    if len(raw) not in (37, 38) or raw[0] not in (0x80, 0xEF):
        return False
    if (len(raw) == 37) != (len(s) == 51):
        return False
    if _b58check_ok(raw):
        return len(raw) == 37 or raw[33] == 0x01
    # Checksum failed but the structure is WIF: a typo'd key is still a leak.
    return True


def _explorer_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in _EXPLORERS)


class _Context:
    """What the whole message says, computed once per scan."""

    __slots__ = ("text", "urls", "plain", "names_key", "tx_context")

    def __init__(self, text: str, expect_tx_hash: bool) -> None:
        self.text = text
        self.urls = [(m.start(), m.end()) for m in _URL_RE.finditer(text)]
        chars = list(text)
        for a, b in self.urls:
            chars[a:b] = " " * (b - a)
        self.plain = "".join(chars)  # the message with every URL blanked out
        self.names_key = _KEY_NAME_RE.search(self.plain) is not None
        self.tx_context = expect_tx_hash or _TX_CONTEXT_RE.search(self.plain) is not None

    def url_at(self, pos: int) -> tuple[int, int] | None:
        return next(((a, b) for a, b in self.urls if a <= pos < b), None)

    def is_tx_hash(self, start: int, end: int, hexdigits: str, prefixed: bool) -> bool:
        text, plain = self.text, self.plain
        if self.names_key:
            return False  # rule 1
        before = plain[max(0, start - _CONTEXT_BEFORE) : start]
        after = plain[end : end + _CONTEXT_AFTER]
        if _KEY_NEAR_RE.search(before) or _KEY_NEAR_RE.search(after):
            return False
        url = self.url_at(start)
        if url is not None:
            head = text[url[0] : start]
            if _QUERY_VALUE_RE.search(head):
                return False  # ?pk=<hex>
            host = _HOST_RE.match(head)
            if host and _explorer_host(host.group(1)) and _TX_PATH_RE.search(head):
                return True  # rule 2
        if prefixed and self.tx_context:
            return True  # rule 3
        if not prefixed:
            if 16 <= len(hexdigits) - len(hexdigits.lstrip("0")) <= 24:
                return True  # a Bitcoin block hash (16-24 leading zeros; no random key has them)
            if _TX_WORDS_RE.search(before) or _TX_WORDS_RE.search(after):
                return True  # rule 4
        return False


def _scan_keys(text: str, *, expect_tx_hash: bool = False) -> list[ShieldFinding]:
    found: list[ShieldFinding] = []
    for m in _XPRV_RE.finditer(text):
        # Valid checksum or not, an xprv-prefixed 100+ char string is flagged.
        found.append(ShieldFinding(KIND_XPRV, m.start(), m.end()))
    for m in _WIF_RE.finditer(text):
        if _is_wif(m.group()):
            found.append(ShieldFinding(KIND_WIF, m.start(), m.end()))
    candidates = [(m.start(), m.end(), m.group()) for m in _HEX_RE.finditer(text)]
    if _HEX_PIECE_RE.search(text):
        for m in _SPLIT_HEX_RE.finditer(text):
            digits = "".join(m.group().split())
            digits = digits[2:] if digits[:2] in ("0x", "0X") else digits
            if len(digits) == 64 and not any(a <= m.start() < b for a, b, _ in candidates):
                candidates.append((m.start(), m.end(), m.group()))
    if candidates:
        context = _Context(text, expect_tx_hash)
        for start, end, raw in candidates:
            prefixed = raw[:2] in ("0x", "0X")
            digits = "".join(raw.split())[2 if prefixed else 0 :]
            if not context.is_tx_hash(start, end, digits, prefixed):
                found.append(ShieldFinding(KIND_PRIVATE_KEY_HEX, start, end))
    return found
