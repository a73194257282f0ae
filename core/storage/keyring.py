"""Where the data keys live: ``WALLETDESK_DATA_KEY``, or a keyring file in the data directory.

* ``WALLETDESK_DATA_KEY`` set: one key, or several separated by commas, the current
  one first (64 hex digits or base64 of 32 bytes each). The keys after the first only
  open what they sealed; rotation re-seals everything under the first.
* unset: ``<data dir>/data.keys`` (mode 0600), generated on first use like
  ``secret.key``: one key per line in hex, the current one first. ``walletdesk keys
  rotate`` puts a new key at the top and keeps the old ones until it is told to drop
  them (processes still running on the old keyring keep writing with the old key).

Nothing here logs or prints a key; errors name the variable or the file.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
from pathlib import Path

from core.errors import ConfigError
from core.storage.sealing import Sealer, key_id

__all__ = ["KEYRING_FILE", "add_key", "drop_keys", "load_sealer", "parse_key"]

_LOGGER = logging.getLogger(__name__)

KEYRING_FILE = "data.keys"
_VARIABLE = "WALLETDESK_DATA_KEY"


def parse_key(text: str, *, source: str = _VARIABLE) -> bytes:
    """One key from its text form (never echoed in the error)."""
    text = text.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None,
                               validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(f"{source}: a data key must be 32 bytes written as 64 hex digits or base64"
                          " (make one with: python -c 'import secrets; print(secrets.token_hex(32))')")
    return raw


def _read_file(path: Path) -> list[bytes]:
    try:
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the data keyring ({exc.strerror})") from None
    if not lines:
        raise ConfigError(f"{path}: the data keyring is empty (restore it from a backup)")
    return [parse_key(line, source=str(path)) for line in lines]


def _write_file(path: Path, keys: list[bytes]) -> None:
    """Replace the keyring atomically, mode 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write("".join(key.hex() + "\n" for key in keys))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_sealer(data_key: str | None, data_dir: Path) -> Sealer:
    """The sealer for these settings; creates the keyring file when neither exists."""
    if data_key is not None and data_key.strip():
        return Sealer([parse_key(part) for part in data_key.split(",") if part.strip()], source=_VARIABLE)
    path = data_dir / KEYRING_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return Sealer(_read_file(path), source=str(path))
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        _LOGGER.info("generated a data key into %s", path)
    return Sealer(_read_file(path), source=str(path))


def add_key(data_dir: Path) -> str:
    """Put a new current key at the top of the keyring file; its key id."""
    path = data_dir / KEYRING_FILE
    keys = _read_file(path) if path.exists() else []
    new = secrets.token_bytes(32)
    _write_file(path, [new, *keys])
    return key_id(new)


def drop_keys(data_dir: Path, keep: set[str]) -> list[str]:
    """Remove from the keyring file every key whose id is not in ``keep`` (the current
    key always stays); the ids removed."""
    path = data_dir / KEYRING_FILE
    keys = _read_file(path)
    kept = [k for i, k in enumerate(keys) if i == 0 or key_id(k) in keep]
    if len(kept) != len(keys):
        _write_file(path, kept)
    return [key_id(k) for k in keys if k not in kept]
