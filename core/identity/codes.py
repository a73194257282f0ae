"""Identity checks: one-time codes, wallet-signature proof and account linking
(who is real staff lives in :mod:`core.identity.roster`).

Codes are 6 digits from :mod:`secrets`, stored only as an HMAC keyed by the
server secret and bound to the user and purpose; valid 10 minutes, single use,
5 wrong tries per code, 3 codes per user per hour, compared in constant time.
Link codes (8 hex digits, not bound to who types them) allow 5 wrong ones per
typing account per hour, and join two accounts only once the code's owner confirms.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx

from core.errors import CodeRateLimited, DeliveryError, InvalidInput
from core.models import ChatRef
from core.storage import SqlTx

__all__ = [
    "CODE_DIGITS",
    "CodeCheck",
    "CodeSender",
    "ConsoleCodeSender",
    "Identity",
    "LinkAnswer",
    "LinkOutcome",
    "LinkRedeem",
    "WebhookCodeSender",
    "checksum_address",
    "looks_like_code",
]

_LOGGER = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_TTL = 600.0
MAX_TRIES = 5
MAX_CODES_PER_HOUR = 3
CHALLENGE_TTL = 900.0

_CODE_RE = re.compile(r"^\s*(\d[\d\s-]{4,12}\d)\s*$")
_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SIG_RE = re.compile(r"^0x[0-9a-fA-F]{130}$")


def looks_like_code(text: str) -> str | None:
    """The digits of ``text`` when it is nothing but a code (spaces/dashes allowed)."""
    m = _CODE_RE.match(text)
    if not m:
        return None
    digits = re.sub(r"\D", "", m.group(1))
    return digits if 5 <= len(digits) <= 10 else None


def checksum_address(text: str) -> str:
    """The EIP-55 checksummed form of an EVM address: what is shown and stored, in full
    (a shortened ``0xa888…cDBA`` keeps 32 bits, which vanity generators match).
    A mixed-case address must carry a valid checksum: a wrong one is a typo.

    Raises:
        InvalidInput: not ``0x`` and 40 hex digits, or a mixed-case address with a bad checksum.
    """
    from eth_utils import is_checksum_address, to_checksum_address

    value = (text or "").strip()
    if not _ADDRESS_RE.match(value):
        raise InvalidInput(f"not an address: {value[:60]!r}", key="wallet.bad_address")
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise InvalidInput("address checksum does not match", key="wallet.bad_address")
    return str(to_checksum_address(value))


class CodeCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    EXPIRED = "expired"  # none live: expired, used, revoked, or never issued to this user
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class CodeResult:
    outcome: CodeCheck
    tries_left: int = 0
    ticket_id: int | None = None


class CodeSender(Protocol):
    async def send_code(self, *, user_key: str, ticket_id: int | None, code: str, expires_at: float, purpose: str) -> None: ...


class ConsoleCodeSender:
    """Development sender: prints the code on the operator's terminal (stderr)."""

    def __init__(self, stream: object = None) -> None:
        self.stream = stream

    async def send_code(self, *, user_key: str, ticket_id: int | None, code: str, expires_at: float, purpose: str) -> None:
        print(f"[dev code sender] one-time code for {user_key}: {code}", file=self.stream or sys.stderr, flush=True)


class WebhookCodeSender:
    """POSTs the code to the operator's HTTPS webhook (their SMS/e-mail bridge).

    The JSON body is signed: ``X-Walletdesk-Signature: sha256=<hex HMAC-SHA256
    of "<timestamp>.<body>">`` with ``X-Walletdesk-Timestamp``, so the receiver
    can reject forgeries and replays.
    """

    def __init__(self, url: str, secret: bytes, *, client: httpx.AsyncClient | None = None, timeout: float = 5.0,
                 retries: int = 3, backoff: float = 0.5) -> None:
        self.url = url
        self.secret = secret
        self.client = client or httpx.AsyncClient(timeout=timeout)
        self.retries = retries
        self.backoff = backoff

    def sign(self, timestamp: str, body: bytes) -> str:
        mac = hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return f"sha256={mac}"

    async def send_code(self, *, user_key: str, ticket_id: int | None, code: str, expires_at: float, purpose: str) -> None:
        body = json.dumps(
            {"user": user_key, "ticket_id": ticket_id, "code": code, "purpose": purpose,
             "expires_at": datetime.fromtimestamp(expires_at, timezone.utc).isoformat()},
            separators=(",", ":"),
        ).encode()
        last: str = ""
        for attempt in range(self.retries):
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Walletdesk-Timestamp": ts,
                       "X-Walletdesk-Signature": self.sign(ts, body)}
            try:
                resp = await self.client.post(self.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            else:
                if resp.status_code < 300:
                    return
                last = f"HTTP {resp.status_code}"
                if 400 <= resp.status_code < 500 and resp.status_code != 429:
                    break
            await asyncio.sleep(self.backoff * (2**attempt))
        # the code itself never goes into the error
        raise DeliveryError(f"code webhook failed: {last}")

    async def aclose(self) -> None:
        await self.client.aclose()


class Identity:
    """One-time secrets over the store. Every method runs inside the caller's transaction."""

    def __init__(self, server_secret: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._key = server_secret
        self.clock = clock

    def _hash(self, purpose: str, user_key: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}\x00{user_key}\x00{value}".encode(), hashlib.sha256).hexdigest()

    # one-time codes ----------------------------------------------------------

    async def issue_code(self, tx: SqlTx, user_key: str, ticket_id: int | None, purpose: str = "verify") -> tuple[str, float]:
        """A fresh code (returned once, for the sender; only its HMAC is kept).

        Raises:
            CodeRateLimited: the user had 3 codes in the last hour.
        """
        now = self.clock()
        if await tx.count_secrets_since(user_key, purpose, now - 3600) >= MAX_CODES_PER_HOUR:
            raise CodeRateLimited("too many codes in the last hour", key="verify.rate_limited")
        await tx.revoke_secrets(user_key, purpose)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        expires = now + CODE_TTL
        await tx.insert_secret(
            user_key=user_key, ticket_id=ticket_id, purpose=purpose, secret_hash=self._hash(purpose, user_key, code),
            data={}, now=now, expires_at=expires,
        )
        return code, expires

    async def withdraw_code(self, tx: SqlTx, user_key: str, code: str, purpose: str = "verify") -> bool:
        """Forget a code that never reached the user: it is no longer valid and does
        not count toward the user's codes for the hour."""
        return await tx.delete_unused_secret(user_key, purpose, self._hash(purpose, user_key, code))

    async def has_live_code(self, tx: SqlTx, user_key: str, purpose: str = "verify") -> bool:
        return await tx.live_secret(user_key, purpose, self.clock()) is not None

    async def revoke_codes(self, tx: SqlTx, user_key: str, purpose: str = "verify") -> int:
        return await tx.revoke_secrets(user_key, purpose)

    async def check_code(self, tx: SqlTx, user_key: str, text: str, purpose: str = "verify") -> CodeResult:
        digits = looks_like_code(text)
        row = await tx.live_secret(user_key, purpose, self.clock())
        if row is None:
            return CodeResult(CodeCheck.EXPIRED)
        if digits is None or len(digits) != CODE_DIGITS:
            return CodeResult(CodeCheck.MALFORMED, MAX_TRIES - row.attempts, row.ticket_id)
        if hmac.compare_digest(self._hash(purpose, user_key, digits), row.secret_hash):
            if await tx.use_secret(row.id, self.clock()):
                return CodeResult(CodeCheck.OK, ticket_id=row.ticket_id)
            return CodeResult(CodeCheck.EXPIRED)
        attempts = await tx.bump_secret_attempts(row.id, MAX_TRIES)
        if attempts >= MAX_TRIES:
            return CodeResult(CodeCheck.LOCKED, 0, row.ticket_id)
        return CodeResult(CodeCheck.WRONG, MAX_TRIES - attempts, row.ticket_id)

    # wallet signatures (EIP-191 personal_sign) -------------------------------

    async def issue_challenge(self, tx: SqlTx, user_key: str, ticket_id: int | None, address: str,
                              service: str = "walletdesk") -> str:
        address = checksum_address(address)
        now = self.clock()
        nonce = secrets.token_hex(16)
        expires = now + CHALLENGE_TTL
        message = (
            f"{service} identity check\nTicket: #{ticket_id if ticket_id is not None else '-'}\n"
            f"Address: {address}\nNonce: {nonce}\n"
            f"Expires: {datetime.fromtimestamp(expires, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
            "Signing this proves you control the address. It costs nothing and moves no funds."
        )
        await tx.revoke_secrets(user_key, "wallet")
        await tx.insert_secret(
            user_key=user_key, ticket_id=ticket_id, purpose="wallet", secret_hash=self._hash("wallet", user_key, nonce),
            data={"address": address, "message": message}, now=now, expires_at=expires,
        )
        return message

    async def verify_signature(self, tx: SqlTx, user_key: str, signature: str) -> tuple[str, int | None]:
        """The proven address and ticket; raises InvalidInput when it does not verify."""
        from eth_account import Account
        from eth_account.messages import encode_defunct

        row = await tx.live_secret(user_key, "wallet", self.clock())
        if row is None:
            raise InvalidInput("no open wallet challenge", key="wallet.no_challenge")
        sig = signature.strip()
        if not _SIG_RE.match(sig):
            raise InvalidInput("malformed signature", key="wallet.bad_signature")
        try:
            recovered = Account.recover_message(encode_defunct(text=row.data["message"]), signature=sig)
        except Exception:  # eth-account raises several types for garbage input
            recovered = ""
        if recovered.lower() != str(row.data["address"]).lower():
            await tx.bump_secret_attempts(row.id, MAX_TRIES)
            raise InvalidInput("signature does not match", key="wallet.bad_signature")
        await tx.use_secret(row.id, self.clock())
        return checksum_address(str(row.data["address"])), row.ticket_id

    # linking accounts across platforms --------------------------------------
    # Account A asks for a code (/link), account B redeems it (/link CODE), and only A's
    # "/link confirm" joins them: someone who got hold of A's code cannot link themselves
    # in without A saying yes to a request that names them.

    async def issue_link_code(self, tx: SqlTx, user_key: str, *, chat: ChatRef | None = None,
                              lang: str = "en") -> str:
        """A fresh link code for ``user_key``; ``chat`` is where to ask it to confirm later."""
        now = self.clock()
        if await tx.count_secrets_since(user_key, "link", now - 3600) >= MAX_CODES_PER_HOUR:
            raise CodeRateLimited("too many link codes", key="verify.rate_limited")
        await tx.revoke_secrets(user_key, "link")
        code = secrets.token_hex(4).upper()
        await tx.insert_secret(
            user_key=user_key, ticket_id=None, purpose="link", secret_hash=self._hash("link", "", code),
            data={"from": user_key, "lang": lang, **_chat_data(chat)}, now=now, expires_at=now + CODE_TTL,
        )
        return code

    async def redeem_link_code(self, tx: SqlTx, redeemer_key: str, code: str, *, chat: ChatRef | None = None,
                               lang: str = "en") -> LinkRedeem:
        """``redeemer_key`` offers ``code``: a right one becomes a request the code's owner must
        confirm (:meth:`answer_link`); nothing is linked yet.

        A code is not bound to the account that types it, so the limit is on the typist:
        ``MAX_TRIES`` wrong codes an hour. Its misses are rows of their own, counted under a
        lock on the typist (PostgreSQL advisory lock; SQLite's write lock), so parallel
        guesses cannot all read "no misses yet"."""
        now = self.clock()
        await tx.lock_name(_LINK_TRIES_LOCK, redeemer_key)
        misses = await tx.count_secrets_since(redeemer_key, "link_miss", now - 3600)
        if misses >= MAX_TRIES:
            return LinkRedeem(LinkOutcome.LOCKED)
        row = await tx.live_secret_by_hash("link", self._hash("link", "", code.strip().upper()), now)
        if row is None or row.data["from"] == redeemer_key or not await tx.use_secret(row.id, now):
            # a row that is never live (expires as it is written), only counted
            await tx.insert_secret(user_key=redeemer_key, ticket_id=None, purpose="link_miss",
                                   secret_hash=secrets.token_hex(16), data={}, now=now, expires_at=now)
            left = MAX_TRIES - misses - 1
            return LinkRedeem(LinkOutcome.WRONG if left > 0 else LinkOutcome.LOCKED, tries_left=left)
        issuer = str(row.data["from"])
        await tx.revoke_secrets(issuer, "link_confirm")
        await tx.insert_secret(
            user_key=issuer, ticket_id=None, purpose="link_confirm",
            secret_hash=self._hash("link_confirm", issuer, redeemer_key),
            data={"from": issuer, "to": redeemer_key, "lang": lang, **_chat_data(chat)}, now=now,
            expires_at=now + CODE_TTL,
        )
        return LinkRedeem(LinkOutcome.PENDING, issuer=issuer, issuer_chat=_chat_of(row.data),
                          issuer_lang=str(row.data.get("lang") or "en"))

    async def answer_link(self, tx: SqlTx, user_key: str, accept: bool) -> LinkAnswer | None:
        """``user_key`` confirms (or refuses) the link request waiting for it; None when none is."""
        now = self.clock()
        row = await tx.live_secret(user_key, "link_confirm", now)
        if row is None or not await tx.use_secret(row.id, now):
            return None
        other = str(row.data["to"])
        if accept:
            await tx.link_users(user_key, other, confirmed_at=now)
        return LinkAnswer(other, _chat_of(row.data), str(row.data.get("lang") or "en"), accept)

    async def pending_link(self, tx: SqlTx, user_key: str) -> str | None:
        """The account waiting for ``user_key`` to confirm a link, if any."""
        row = await tx.live_secret(user_key, "link_confirm", self.clock())
        return str(row.data["to"]) if row else None


_LINK_TRIES_LOCK = 0x6C6B  # advisory lock namespace: one account's link-code tries, one at a time


class LinkOutcome(enum.Enum):
    PENDING = "pending"  # right code: waiting for its owner to confirm
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong codes from this account in the last hour


@dataclass(frozen=True, slots=True)
class LinkRedeem:
    outcome: LinkOutcome
    tries_left: int = 0
    issuer: str | None = None
    issuer_chat: ChatRef | None = None  # where the owner asked for the code: where to ask it to confirm
    issuer_lang: str = "en"


@dataclass(frozen=True, slots=True)
class LinkAnswer:
    other: str  # the account that redeemed the code
    other_chat: ChatRef | None
    other_lang: str
    accepted: bool


def _chat_data(chat: ChatRef | None) -> dict[str, object]:
    if chat is None:
        return {}
    return {"chat": {"platform": chat.platform, "chat_id": chat.chat_id, "thread_id": chat.thread_id}}


def _chat_of(data: dict[str, Any]) -> ChatRef | None:
    """The private chat a link secret was asked for in (None on older rows: use the account's DM)."""
    chat = data.get("chat")
    if isinstance(chat, dict):
        return ChatRef(str(chat["platform"]), str(chat["chat_id"]), chat.get("thread_id"), is_private=True)
    return None


# staff impersonation ---------------------------------------------------------
