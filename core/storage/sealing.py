"""Encryption at rest: a :class:`Sealer` turns personal text into AES-GCM tokens and back.

A sealed value is ``wd1:<key id>:<base64(nonce + ciphertext + tag)>``. The key id is
8 hex digits derived from the key (it says which key of the keyring opens the value
and reveals nothing about it). The associated data is the column name, so a token
copied into another column does not open there. Text without the prefix is a row
written before encryption was turned on: :meth:`Sealer.open` passes it through, so
an existing database keeps working until ``walletdesk keys rotate`` seals it.

Each data key yields two sub-keys (HMAC-SHA256 of a label): one for AES-256-GCM, one
for the keyed blind index of display names (:meth:`Sealer.name_index`), which lets
the store find a user by name without storing the name in the clear.

Keys never appear in ``repr``, messages or logs; errors name key ids only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import ConfigError

__all__ = ["PREFIX", "SealError", "Sealer", "key_id"]

_LOGGER = logging.getLogger(__name__)

PREFIX = "wd1:"
_NONCE = 12
_KID_LEN = 8


class SealError(ConfigError):
    """A stored value cannot be opened: its key is not configured, or it was altered."""


def _derive(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, label, hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """The public name of ``key`` (8 hex digits of an HMAC of a fixed label)."""
    return _derive(key, b"walletdesk data key id")[: _KID_LEN // 2].hex()


class Sealer:
    """Seal and open column values under a keyring.

    Args:
        keys: the data keys (32 bytes each), the current one first; the others are
            old keys that still open what they sealed.
        source: where the keys came from (``WALLETDESK_DATA_KEY`` or a file path), for messages.
    """

    __slots__ = ("_aead", "_index", "_order", "source")

    def __init__(self, keys: Sequence[bytes], *, source: str = "WALLETDESK_DATA_KEY") -> None:
        if not keys:
            raise ConfigError(f"{source}: no data key")
        self._aead: dict[str, AESGCM] = {}
        self._index: dict[str, bytes] = {}
        self._order: list[str] = []
        for key in keys:
            if len(key) != 32:
                raise ConfigError(f"{source}: a data key must be 32 bytes")
            kid = key_id(key)
            if kid in self._aead:
                continue
            self._aead[kid] = AESGCM(_derive(key, b"walletdesk seal v1"))
            self._index[kid] = _derive(key, b"walletdesk name index v1")
            self._order.append(kid)
        self.source = source

    def __repr__(self) -> str:
        return f"Sealer(current={self.current_kid!r}, keys={len(self._order)})"

    @property
    def current_kid(self) -> str:
        return self._order[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._order)

    # sealing ------------------------------------------------------------------

    def seal(self, column: str, text: str) -> str:
        """``text`` as a token under the current key; the empty string stays empty."""
        if not text:
            return text
        nonce = os.urandom(_NONCE)
        ct = self._aead[self.current_kid].encrypt(nonce, text.encode("utf-8", "surrogatepass"), _aad(column))
        return f"{PREFIX}{self.current_kid}:{base64.b64encode(nonce + ct).decode('ascii')}"

    def open(self, column: str, value: str) -> str:
        """The text ``value`` holds: opened when it is a token, as it is otherwise (a legacy
        plaintext row).

        Raises:
            SealError: the token's key is not in the keyring, or the token was altered.
        """
        parsed = _parse(value)
        if parsed is None:
            return value
        kid, blob = parsed
        aead = self._aead.get(kid)
        if aead is None:
            raise SealError(
                f"{self.source}: stored text in column {column!r} is sealed with data key {kid}, which is not"
                f" among the keys given ({', '.join(self._order)}): configure the key it was written with")
        try:
            plain = aead.decrypt(blob[:_NONCE], blob[_NONCE:], _aad(column))
        except InvalidTag:
            raise SealError(f"{self.source}: stored text in column {column!r} under data key {kid} does not open:"
                            " it was altered or copied from another column") from None
        return plain.decode("utf-8", "surrogatepass")

    def kid_of(self, value: str | None) -> str | None:
        """The key id a stored value is sealed with; None for plaintext (or no value)."""
        parsed = _parse(value) if isinstance(value, str) else None
        return parsed[0] if parsed else None

    # blind index --------------------------------------------------------------

    def name_index(self, name: str) -> str | None:
        """The keyed blind index of a display name under the current key (case-insensitive,
        like the plain ``lower(display_name) = lower(?)`` it replaces); None for no name."""
        return _index(self._index[self.current_kid], name) if name else None

    def name_indexes(self, name: str) -> list[str]:
        """The index of ``name`` under every key of the keyring (rows indexed by a process
        that still ran on an old key are found too)."""
        return [_index(self._index[kid], name) for kid in self._order] if name else []


def _aad(column: str) -> bytes:
    return b"walletdesk:" + column.encode()


def _index(key: bytes, name: str) -> str:
    return hmac.new(key, name.lower().encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _parse(value: str | None) -> tuple[str, bytes] | None:
    """``(key id, nonce + ciphertext)`` of a well-formed token, None for anything else."""
    if not value or not value.startswith(PREFIX):
        return None
    kid, sep, body = value[len(PREFIX):].partition(":")
    if not sep or len(kid) != _KID_LEN or any(c not in "0123456789abcdef" for c in kid):
        return None
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
    return (kid, blob) if len(blob) > _NONCE + 16 else None

