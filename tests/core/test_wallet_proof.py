"""Wallet-signature proofs (issue 15 item 7): ``/wallet`` answers only a staff request,
and the proven address is kept and shown in full, EIP-55 checksummed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from core.config import Settings
from core.errors import InvalidInput
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, UserRef
from core.use_cases import UseCases
from tests.conftest import make_settings

ALICE = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
_n = iter(range(1, 10_000))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1")


def msg(text: str) -> InboundMessage:
    n = next(_n)
    return InboundMessage(event_key=f"tg:w{n}", user=ALICE, chat=DM, text=text, message_id=str(n),
                          display_name="Alice", addressed=True)


async def texts(core: UseCases, **kw: object) -> list[str]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries(**kw)  # type: ignore[arg-type]
    return [str(r.data.get("text")) for r in rows]


async def _ticket(core: UseCases) -> int:
    out = await core.dialogue.handle_message(msg("human"))
    assert out.ticket_id is not None
    return out.ticket_id


def _sign(acct: object, reply: str) -> str:
    message = reply.split("\n\n", 1)[1]
    signature = acct.sign_message(encode_defunct(text=message)).signature.hex()  # type: ignore[attr-defined]
    return "0x" + signature.removeprefix("0x")


def test_checksum_address_is_the_full_eip55_form() -> None:
    from core.identity.codes import checksum_address

    acct = Account.create()
    assert checksum_address(acct.address.lower()) == acct.address
    assert checksum_address(acct.address.upper().replace("0X", "0x")) == acct.address
    digits = acct.address[2:]
    flipped = next(i for i, c in enumerate(digits) if c.isalpha())
    typo = "0x" + digits[:flipped] + digits[flipped].swapcase() + digits[flipped + 1:]
    if typo[2:] not in (digits.lower(), digits.upper()):
        with pytest.raises(InvalidInput):
            checksum_address(typo)
    with pytest.raises(InvalidInput):
        checksum_address("0x123")


async def test_wallet_without_a_staff_request_issues_no_challenge(core: UseCases) -> None:
    acct = Account.create()
    await core.dialogue.handle_message(msg(f"/wallet {acct.address}"))  # no ticket at all
    tid = await _ticket(core)
    await core.dialogue.handle_message(msg(f"/wallet {acct.address}"))  # a ticket, but staff asked for nothing
    replies = await texts(core)
    assert not any("sign this exact message" in r for r in replies)
    assert sum("No wallet proof was requested" in r for r in replies) == 2
    async with core.store.transaction() as tx:
        assert await tx.live_secret(ALICE.key, "wallet", core.clock()) is None
        assert (await tx.get_ticket(tid)).verified_at is None  # type: ignore[union-attr]


async def test_requested_proof_keeps_and_shows_the_full_checksummed_address(core: UseCases) -> None:
    acct = Account.create()
    tid = await _ticket(core)
    await core.staff.act(Actor.at_desk("slack:U1"), tid, "request_wallet", event_key="w1")
    assert any("prove you control your wallet" in r for r in await texts(core))
    await core.dialogue.handle_message(msg(f"/wallet {acct.address.lower()}"))
    challenge = (await texts(core))[-1]
    assert acct.address in challenge  # checksummed, in full, in what the user signs
    await core.dialogue.handle_message(msg(f"/signature {_sign(acct, challenge)}"))
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(tid)
    assert ticket is not None and ticket.verified_method == f"wallet signature ({acct.address})"
    desk = "\n".join(await texts(core, ticket_id=tid)) + json.dumps(
        [r.data for r in await _desk_rows(core, tid)], ensure_ascii=False)
    assert acct.address in desk
    assert not re.search(r"0x[0-9a-fA-F]{2,8}…", desk)  # no shortened address anywhere on the desk
    # answered: the next /wallet needs a new request
    await core.dialogue.handle_message(msg(f"/wallet {acct.address}"))
    assert "No wallet proof was requested" in (await texts(core))[-1]


async def _desk_rows(core: UseCases, tid: int) -> list[dict]:
    async with core.store.transaction() as tx:
        return [r for r in await tx.deliveries(ticket_id=tid) if r.action.startswith("desk_")]
