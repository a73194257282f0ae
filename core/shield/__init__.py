"""Secret shield: detect and redact wallet secrets in inbound chat text.

Every inbound message passes through :func:`scan` before anything is stored,
logged or relayed (``from core.shield import scan``).  The modules, one job each:

* :mod:`core.shield.findings`: the kinds of secret (``KINDS``, ``KIND_*``), their
  redaction markers, ``ShieldFinding`` and the scan result ``ShieldResult``;
* :mod:`core.shield.words`: the BIP-39 word lists, checksum, typo test and tokeniser;
* :mod:`core.shield.keys`: 64-hex private keys, WIF and xprv;
* :mod:`core.shield.chinese`: the dense-Chinese prose model (jieba's dictionary);
* :mod:`core.shield.normalize`: Unicode folding before scanning (NFKC, format
  characters, UTS #39 confusables), also used by the staff roster's skeleton;
* :mod:`core.shield.phrases`: recovery phrases (whole, near, plate prefixes) and
  the entry point :func:`scan`, :func:`warm_up` (it also re-exports the names
  above that callers import from it);
* :mod:`core.shield.window`: :class:`PhraseWindow`, phrases split over messages;
* :mod:`core.shield.gate`: :func:`guard`, the one gate every text passes.
"""

from core.shield.findings import (
    KIND_PRIVATE_KEY_HEX,
    KIND_SEED_PHRASE,
    KIND_WIF,
    KIND_XPRV,
    KINDS,
    MARKERS,
    REDACTION,
    ShieldFinding,
    ShieldResult,
    holds_marker,
)
from core.shield.normalize import normalise, safe_text
from core.shield.phrases import decode_cli_line, scan, warm_up
from core.shield.window import PhraseWindow, RecentParts, SplitVerdict

__all__ = [
    "KIND_PRIVATE_KEY_HEX",
    "KIND_SEED_PHRASE",
    "KIND_WIF",
    "KIND_XPRV",
    "KINDS",
    "MARKERS",
    "REDACTION",
    "ShieldFinding",
    "PhraseWindow",
    "RecentParts",
    "ShieldResult",
    "SplitVerdict",
    "decode_cli_line",
    "holds_marker",
    "normalise",
    "safe_text",
    "scan",
    "warm_up",
]
