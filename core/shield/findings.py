"""What the shield reports: the kinds of secret, their redaction markers, findings and results."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "KIND_PRIVATE_KEY_HEX",
    "KIND_SEED_PHRASE",
    "KIND_WIF",
    "KIND_XPRV",
    "KINDS",
    "MARKERS",
    "REDACTION",
    "ShieldFinding",
    "ShieldResult",
    "holds_marker",
]

KIND_SEED_PHRASE = "seed_phrase"
KIND_PRIVATE_KEY_HEX = "private_key_hex"
KIND_WIF = "wif"
KIND_XPRV = "xprv"
KINDS: tuple[str, ...] = (KIND_SEED_PHRASE, KIND_PRIVATE_KEY_HEX, KIND_WIF, KIND_XPRV)

#: Generic marker; every finding is replaced by the kind-specific one in MARKERS.
REDACTION = "[redacted secret]"
MARKERS: dict[str, str] = {
    KIND_SEED_PHRASE: "[redacted: recovery phrase]",
    KIND_PRIVATE_KEY_HEX: "[redacted: private key]",
    KIND_WIF: "[redacted: WIF private key]",
    KIND_XPRV: "[redacted: extended private key]",
}


def holds_marker(text: str) -> bool:
    """``text`` holds a redaction marker: it was redacted (a stored ticket
    subject, say), so it is no one's own words any more."""
    return REDACTION in text or any(marker in text for marker in MARKERS.values())


@dataclass(frozen=True, slots=True)
class ShieldFinding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ShieldResult:
    leak: bool
    kinds: tuple[str, ...]
    redacted: str
    findings: tuple[ShieldFinding, ...]

    def as_json(self) -> dict:
        return {"leak": self.leak, "kinds": list(self.kinds), "redacted": self.redacted}
