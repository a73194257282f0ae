"""The little of the Solidity ABI a lookup reads, decoded by hand: a uint256, a
string (or an old token's bytes32), a revert's ``Error(string)`` or ``Panic(uint256)``,
and ERC-20/TRC-20 ``Transfer`` events."""

from __future__ import annotations

__all__ = ["DECIMALS", "SYMBOL", "TRANSFER_TOPIC", "address_from_topic", "revert_reason", "word_string", "word_uint"]

SYMBOL = "95d89b41"  # symbol()
DECIMALS = "313ce567"  # decimals()
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"  # Transfer(address,address,uint256)
_ERROR = "08c379a0"  # Error(string)
_PANIC = "4e487b71"  # Panic(uint256)
_PANICS = {0x01: "assertion failed", 0x11: "arithmetic overflow or underflow", 0x12: "division by zero",
           0x21: "invalid enum value", 0x22: "bad storage byte array", 0x31: "pop on an empty array",
           0x32: "array index out of bounds", 0x41: "out of memory", 0x51: "call to an invalid function"}
_MAX_TEXT = 200


def _hex(data: str) -> str:
    return data[2:] if data[:2] in ("0x", "0X") else data


def word_uint(data: str) -> int | None:
    """The first 32-byte word as an unsigned integer (None when there is none)."""
    body = _hex(data)
    try:
        return int(body[:64], 16) if len(body) >= 64 else None
    except ValueError:
        return None


def _clean(raw: bytes) -> str | None:
    text = raw.rstrip(b"\x00").decode("utf-8", "replace").strip()
    printable = "".join(ch for ch in text if ch.isprintable())
    return printable[:_MAX_TEXT] or None


def word_string(data: str) -> str | None:
    """An ABI-encoded ``string`` return value, or a ``bytes32`` one (some old tokens)."""
    try:
        raw = bytes.fromhex(_hex(data))
    except ValueError:
        return None
    if len(raw) == 32:
        return _clean(raw)
    if len(raw) < 64:
        return None
    offset = int.from_bytes(raw[:32], "big")
    if offset + 32 > len(raw):
        return None
    length = int.from_bytes(raw[offset:offset + 32], "big")
    body = raw[offset + 32:offset + 32 + length]
    return _clean(body) if len(body) == length else None


def revert_reason(data: str | None) -> str | None:
    """What a revert's return data says: its message, the panic's meaning, or the custom error's selector."""
    if not data:
        return None
    body = _hex(data).lower()
    if len(body) < 8:
        return None
    selector, rest = body[:8], body[8:]
    if selector == _ERROR:
        return word_string(rest)
    if selector == _PANIC:
        code = word_uint(rest)
        return f"panic: {_PANICS.get(code, hex(code))}" if code is not None else None
    return f"custom error 0x{selector}"


def address_from_topic(topic: str) -> str:
    """An indexed address (a 32-byte topic) as 40 hex digits, lower case, no prefix."""
    return _hex(topic).lower()[-40:]
