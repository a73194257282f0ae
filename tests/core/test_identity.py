"""One-time codes, the signed code webhook (a real HTTP receiver), wallet
signatures and the staff roster."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from aiohttp import web
from eth_account import Account
from eth_account.messages import encode_defunct

from core.errors import CodeRateLimited, DeliveryError, InvalidInput
from core.identity.codes import CODE_TTL, CodeCheck, Identity, WebhookCodeSender, looks_like_code
from core.identity.roster import StaffRoster, skeleton
from core.storage.sqlite import SQLiteStore
from tests.conftest import Clock


@pytest.fixture
def identity(clock: Clock) -> Identity:
    return Identity(b"server-secret", clock=clock)


async def issue(store: SQLiteStore, identity: Identity, user: str = "telegram:1") -> str:
    async with store.transaction() as tx:
        code, _ = await identity.issue_code(tx, user, 7)
    return code


async def check(store: SQLiteStore, identity: Identity, text: str, user: str = "telegram:1"):
    async with store.transaction() as tx:
        return await identity.check_code(tx, user, text)


async def test_code_is_six_digits_and_single_use(sqlite_store: SQLiteStore, identity: Identity) -> None:
    code = await issue(sqlite_store, identity)
    assert code.isdigit() and len(code) == 6
    result = await check(sqlite_store, identity, f" {code[:3]} {code[3:]} ")
    assert result.outcome is CodeCheck.OK and result.ticket_id == 7
    assert (await check(sqlite_store, identity, code)).outcome is CodeCheck.EXPIRED


async def test_code_expires_after_ten_minutes(sqlite_store: SQLiteStore, identity: Identity, clock: Clock) -> None:
    code = await issue(sqlite_store, identity)
    clock.advance(CODE_TTL + 1)
    assert (await check(sqlite_store, identity, code)).outcome is CodeCheck.EXPIRED


async def test_five_wrong_tries_lock_the_code(sqlite_store: SQLiteStore, identity: Identity) -> None:
    code = await issue(sqlite_store, identity)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    outcomes = [(await check(sqlite_store, identity, wrong)) for _ in range(5)]
    assert [o.tries_left for o in outcomes[:4]] == [4, 3, 2, 1]
    assert outcomes[-1].outcome is CodeCheck.LOCKED
    assert (await check(sqlite_store, identity, code)).outcome is CodeCheck.EXPIRED


async def test_code_is_bound_to_its_user(sqlite_store: SQLiteStore, identity: Identity) -> None:
    code = await issue(sqlite_store, identity, "telegram:1")
    assert (await check(sqlite_store, identity, code, "telegram:2")).outcome is CodeCheck.EXPIRED
    assert (await check(sqlite_store, identity, code, "telegram:1")).outcome is CodeCheck.OK


async def test_three_codes_per_hour(sqlite_store: SQLiteStore, identity: Identity, clock: Clock) -> None:
    first = await issue(sqlite_store, identity)
    await issue(sqlite_store, identity)
    third = await issue(sqlite_store, identity)
    with pytest.raises(CodeRateLimited):
        await issue(sqlite_store, identity)
    # a newer code revokes the older one: the old one is checked against the live code, a wrong try
    old = await check(sqlite_store, identity, first)
    assert (old.outcome, old.tries_left) == (CodeCheck.WRONG, 4)
    assert (await check(sqlite_store, identity, third)).outcome is CodeCheck.OK
    clock.advance(3601)
    await issue(sqlite_store, identity)


async def test_malformed_codes(sqlite_store: SQLiteStore, identity: Identity) -> None:
    await issue(sqlite_store, identity)
    assert (await check(sqlite_store, identity, "12345")).outcome is CodeCheck.MALFORMED
    assert (await check(sqlite_store, identity, "abc")).outcome is CodeCheck.MALFORMED
    assert looks_like_code("12 34 56") == "123456" and looks_like_code("hello 123456") is None


async def test_webhook_sender_posts_signed_json_to_a_real_receiver(unused_tcp_port: int) -> None:
    received: list[tuple[dict, dict]] = []
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=503)
        received.append((dict(request.headers), json.loads(body)))
        ts = request.headers["X-Walletdesk-Timestamp"]
        expected = "sha256=" + hmac.new(b"hook-secret", ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        return web.Response(status=204 if request.headers["X-Walletdesk-Signature"] == expected else 401)

    app = web.Application()
    app.router.add_post("/otp", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    try:
        sender = WebhookCodeSender(f"http://127.0.0.1:{unused_tcp_port}/otp", b"hook-secret", backoff=0.01)
        await sender.send_code(user_key="telegram:1", ticket_id=3, code="123456", expires_at=1.8e9, purpose="verify")
        assert received[0][1]["code"] == "123456" and received[0][1]["ticket_id"] == 3
        bad = WebhookCodeSender(f"http://127.0.0.1:{unused_tcp_port}/otp", b"wrong-secret", backoff=0.01)
        with pytest.raises(DeliveryError) as err:
            await bad.send_code(user_key="telegram:1", ticket_id=3, code="654321", expires_at=1.8e9, purpose="verify")
        assert "654321" not in str(err.value)
        await sender.aclose()
        await bad.aclose()
    finally:
        await runner.cleanup()


async def test_wallet_signature_proves_control(sqlite_store: SQLiteStore, identity: Identity) -> None:
    acct = Account.create()
    async with sqlite_store.transaction() as tx:
        message = await identity.issue_challenge(tx, "discord:9", 5, acct.address)
    assert "Ticket: #5" in message and "Expires:" in message and "walletdesk" in message
    other = Account.create()
    forged = other.sign_message(encode_defunct(text=message)).signature.hex()
    async with sqlite_store.transaction() as tx:
        with pytest.raises(InvalidInput):
            await identity.verify_signature(tx, "discord:9", "0x" + forged.removeprefix("0x"))
    good = acct.sign_message(encode_defunct(text=message)).signature.hex()
    async with sqlite_store.transaction() as tx:
        address, ticket_id = await identity.verify_signature(tx, "discord:9", "0x" + good.removeprefix("0x"))
    assert address == acct.address and ticket_id == 5
    async with sqlite_store.transaction() as tx:
        with pytest.raises(InvalidInput):  # single use
            await identity.verify_signature(tx, "discord:9", "0x" + good.removeprefix("0x"))
        with pytest.raises(InvalidInput):
            await identity.issue_challenge(tx, "discord:9", 5, "0x123")


async def test_link_codes_join_two_accounts_once_the_owner_confirms(sqlite_store: SQLiteStore,
                                                                   identity: Identity) -> None:
    from core.identity.codes import LinkOutcome
    from core.models import UserRef

    async with sqlite_store.transaction() as tx:
        await tx.upsert_user(UserRef("telegram", "1"), "a", "en", 1.0)
        await tx.upsert_user(UserRef("discord", "2"), "a", "en", 1.0)
        code = await identity.issue_link_code(tx, "telegram:1")
        assert (await identity.redeem_link_code(tx, "telegram:1", code)).outcome is LinkOutcome.WRONG  # same account
        redeemed = await identity.redeem_link_code(tx, "discord:2", code)
        assert (redeemed.outcome, redeemed.issuer) == (LinkOutcome.PENDING, "telegram:1")
        assert await tx.linked_user_keys("discord:2") == ["discord:2"]  # not before the owner says yes
        assert await identity.pending_link(tx, "telegram:1") == "discord:2"
        answer = await identity.answer_link(tx, "telegram:1", True)
        assert answer is not None and answer.other == "discord:2" and answer.accepted
        assert sorted(await tx.linked_user_keys("discord:2")) == ["discord:2", "telegram:1"]
        assert (await identity.redeem_link_code(tx, "discord:2", code)).outcome is LinkOutcome.WRONG  # single use


@pytest.mark.parametrize(
    ("name", "user_key", "verdict"),
    [
        ("Alice Support", "telegram:42", "real"),
        ("Alice Support", "telegram:43", "impostor"),
        ("AIice_Supp0rt", None, "impostor"),
        ("Аlice Support", None, "impostor"),  # Cyrillic A
        ("alice.support ✅", None, "impostor"),
        ("Alice Support", None, "name_only"),
        ("Bob", None, "real"),
        ("Carol", None, "unknown"),
    ],
)
def test_roster(name: str, user_key: str | None, verdict: str) -> None:
    roster = StaffRoster(["telegram:42=Alice Support", "Bob"])
    assert roster.check(name, user_key) == verdict


def test_skeleton_folds_lookalikes() -> None:
    assert skeleton("ＡＬＩＣＥ") == skeleton("alice") == skeleton("AL1CE") == skeleton("Аlice")
