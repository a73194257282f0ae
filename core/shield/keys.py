"""Private keys: 64-hex keys, WIF and extended private keys (xprv and kin).

``private_key_hex``
    64 hex digits, with or without ``0x``, not part of a longer alphanumeric
    token.  A transaction hash has the same shape, so the context decides:
    it is *not* a key when it sits inside a URL (any ``scheme://``, ``www.``
    or ``domain.tld/`` token: etherscan, bscscan, tronscan, blockchair,
    mempool.space, ...) or when the nearest keyword before it (40 chars, then
    30 chars after it) is a transaction word (tx, txid, txn, tx hash,
    transaction hash/id, hash, block hash, 交易哈希, 哈希, 交易ID, 交易号 ...)
    rather than a key word (private key, privkey, secret, key, 私钥, 密钥,
    助记词 ...).  A bare 64-hex with no context is flagged: a false alarm
    costs one redacted hash, a miss costs a wallet.

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
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_IDX = {c: i for i, c in enumerate(_B58)}
_B58C = "1-9A-HJ-NP-Za-km-z"
_WIF_RE = re.compile(rf"(?<![0-9A-Za-z])[5KL9c][{_B58C}]{{50,51}}(?![0-9A-Za-z])")
_XPRV_RE = re.compile(rf"(?<![0-9A-Za-z])[xyztuvYZUV]prv[{_B58C}]{{96,}}(?![0-9A-Za-z])")

_TX_WORDS_RE = re.compile(
    r"(?<![a-z])(?:tx(?:n|id|s|hash)?|tx[ _-]?(?:hash|id)|txn[ _-]?(?:hash|id)"
    r"|transaction[ _-]?(?:hash|id)|hash(?:es)?|block[ _-]?hash)(?![a-z])"
    r"|交易哈希|哈希|交易id|交易号|交易编号|交易单号|区块哈希|转账哈希|交易記錄|交易记录",
    re.IGNORECASE,
)
_KEY_WORDS_RE = re.compile(
    r"(?<![a-z])(?:private[ _-]?keys?|priv[ _-]?key|privkey|secret(?:[ _-]?key)?|keys?"
    r"|seed|mnemonic)(?![a-z])|私钥|私鑰|密钥|密鑰|秘钥|助记词|助記詞",
    re.IGNORECASE,
)
_URLISH_RE = re.compile(r"://|www\.|[A-Za-z0-9-]+\.[A-Za-z]{2,}/", re.IGNORECASE)

_HEX_CONTEXT_BEFORE = 40
_HEX_CONTEXT_AFTER = 30


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


def _last_match_end(regex: re.Pattern[str], text: str) -> int:
    end = -1
    for m in regex.finditer(text):
        end = m.end()
    return end


def _hex_is_tx_hash(text: str, start: int, end: int) -> bool:
    """True when the context says this 64-hex is a transaction/block hash."""
    # The whitespace-delimited token that holds the hex: a URL means explorer link.
    tok_start = start
    while tok_start > 0 and not text[tok_start - 1].isspace():
        tok_start -= 1
    if _URLISH_RE.search(text, tok_start, start):
        return True
    before = text[max(0, start - _HEX_CONTEXT_BEFORE) : start]
    tx_at = _last_match_end(_TX_WORDS_RE, before)
    key_at = _last_match_end(_KEY_WORDS_RE, before)
    if tx_at >= 0 or key_at >= 0:
        return tx_at > key_at  # the nearest keyword wins
    after = text[end : end + _HEX_CONTEXT_AFTER]
    tx_m = _TX_WORDS_RE.search(after)
    key_m = _KEY_WORDS_RE.search(after)
    if tx_m and (not key_m or tx_m.start() < key_m.start()):
        return True
    return False  # no context at all: treat as a key (safer)


def _scan_keys(text: str) -> list[ShieldFinding]:
    found: list[ShieldFinding] = []
    for m in _XPRV_RE.finditer(text):
        # Valid checksum or not, an xprv-prefixed 100+ char string is flagged.
        found.append(ShieldFinding(KIND_XPRV, m.start(), m.end()))
    for m in _WIF_RE.finditer(text):
        if _is_wif(m.group()):
            found.append(ShieldFinding(KIND_WIF, m.start(), m.end()))
    for m in _HEX_RE.finditer(text):
        if not _hex_is_tx_hash(text, m.start(), m.end()):
            found.append(ShieldFinding(KIND_PRIVATE_KEY_HEX, m.start(), m.end()))
    return found
