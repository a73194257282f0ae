"""Account links across platforms (issue 15 item 6): wrong link codes are limited per
account even under parallel guessing (SQLite and PostgreSQL), a redeemed code links
nothing until the code's owner confirms, the desk lists every linked account, and
privacy requests act on one account unless its link was confirmed."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.identity.codes import Identity
from core.models import ChatRef, InboundMessage, Priority, UserRef
from core.ops.privacy import export_user, forget_user
from core.storage import Store
from core.use_cases import UseCases
from tests.conftest import Clock, OpsCli, make_settings

ALICE = UserRef("telegram", "100")  # asks for the code
ALICE_DC = UserRef("discord", "200")  # redeems it
MALLORY = UserRef("discord", "666")
_n = iter(range(1, 100_000))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1")


def dm(user: UserRef, text: str, name: str) -> InboundMessage:
    n = next(_n)
    return InboundMessage(event_key=f"{user.platform}:l{n}", user=user,
                          chat=ChatRef(user.platform, f"c{user.user_id}", is_private=True), text=text,
                          message_id=str(n), display_name=name, addressed=True)


async def sent_to(core: UseCases, user: UserRef) -> list[str]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    return [str(r.data.get("text")) for r in rows if r.platform == user.platform and r.chat_id == f"c{user.user_id}"]


async def ask_code(core: UseCases) -> str:
    await core.dialogue.handle_message(dm(ALICE, "/link", "Alice"))
    found = re.search(r"/link ([0-9A-F]{8})", (await sent_to(core, ALICE))[-1])
    assert found
    return found.group(1)


async def linked(core: UseCases, user: UserRef) -> list[str]:
    async with core.store.transaction() as tx:
        return await tx.linked_user_keys(user.key)


# attempt limits ------------------------------------------------------------------


async def test_wrong_link_codes_are_limited_even_when_guessed_in_parallel(store: Store, clock: Clock) -> None:
    identity = Identity(b"server-secret", clock=clock)
    async with store.transaction() as tx:
        for user in (ALICE, MALLORY):
            await tx.upsert_user(user, user.user_id, "en", clock())
        code = await identity.issue_link_code(tx, ALICE.key)

    async def guess(i: int) -> None:
        async with store.transaction() as tx:
            await identity.redeem_link_code(tx, MALLORY.key, f"{i:08X}" if f"{i:08X}" != code else "FFFFFFFF")

    await asyncio.gather(*(guess(i) for i in range(40)))
    async with store.transaction() as tx:
        # the right code now: too late, this account has had its tries for the hour
        await identity.redeem_link_code(tx, MALLORY.key, code)
        assert await tx.linked_user_keys(MALLORY.key) == [MALLORY.key]
        assert await identity.answer_link(tx, ALICE.key, True) is None  # nothing for the owner to confirm
        assert await tx.linked_user_keys(MALLORY.key) == [MALLORY.key]
        misses = await tx.count_secrets_since(MALLORY.key, "link_miss", clock() - 3600)
    assert misses == 5  # every try after the fifth was refused before it was looked at
    clock.advance(3601)
    async with store.transaction() as tx:  # an hour later the account may try again
        fresh = await identity.issue_link_code(tx, ALICE.key)
        assert (await identity.redeem_link_code(tx, MALLORY.key, fresh)).issuer == ALICE.key


async def test_user_is_told_how_many_tries_are_left_then_locked(core: UseCases) -> None:
    code = await ask_code(core)
    for _ in range(5):
        await core.dialogue.handle_message(dm(MALLORY, "/link 00000000", "mallory"))
    replies = await sent_to(core, MALLORY)
    assert "4 more tries" in replies[0] and "Too many wrong link codes" in replies[-1]
    await core.dialogue.handle_message(dm(MALLORY, f"/link {code}", "mallory"))
    assert "Too many wrong link codes" in (await sent_to(core, MALLORY))[-1]
    assert not any("wants to link" in x for x in await sent_to(core, ALICE))


# confirmation from the other account ----------------------------------------------


async def test_a_redeemed_code_links_nothing_until_its_owner_confirms(core: UseCases) -> None:
    opened = await core.dialogue.handle_message(dm(ALICE, "/human my funds are stuck", "Alice"))
    assert opened.ticket_id is not None
    code = await ask_code(core)
    await core.dialogue.handle_message(dm(MALLORY, f"/link {code}", "Mallory the Helper"))
    assert "Almost done" in (await sent_to(core, MALLORY))[-1]
    ask = (await sent_to(core, ALICE))[-1]
    assert "Mallory the Helper (Discord id 666) wants to link" in ask and "/link confirm" in ask
    # not linked yet: the redeemer sees no ticket and cannot write into it
    assert await linked(core, MALLORY) == [MALLORY.key]
    await core.dialogue.handle_message(dm(MALLORY, "/ticket", "Mallory the Helper"))
    assert "#%d" % opened.ticket_id not in (await sent_to(core, MALLORY))[-1]
    # the owner says no: still not linked, and the code cannot be used again
    await core.dialogue.handle_message(dm(ALICE, "/link deny", "Alice"))
    assert "not linked" in (await sent_to(core, ALICE))[-1]
    assert "did not confirm" in (await sent_to(core, MALLORY))[-1]
    await core.dialogue.handle_message(dm(ALICE, "/link confirm", "Alice"))
    assert "no link request" in (await sent_to(core, ALICE))[-1]
    assert await linked(core, MALLORY) == [MALLORY.key]

    # the real second account: redeem, then confirm from the first
    code = await ask_code(core)
    await core.dialogue.handle_message(dm(ALICE_DC, f"/link {code}", "alice_dc"))
    assert await linked(core, ALICE_DC) == [ALICE_DC.key]
    await core.dialogue.handle_message(dm(ALICE, "/link confirm", "Alice"))
    assert "linked" in (await sent_to(core, ALICE))[-1] and "linked" in (await sent_to(core, ALICE_DC))[-1]
    assert sorted(await linked(core, ALICE_DC)) == sorted([ALICE.key, ALICE_DC.key])
    async with core.store.transaction() as tx:
        assert sorted(await tx.confirmed_user_keys(ALICE_DC.key)) == sorted([ALICE.key, ALICE_DC.key])


async def test_the_confirmation_request_is_in_the_owners_language(core: UseCases) -> None:
    await core.dialogue.handle_message(dm(ALICE, "/link", "Alice"))
    await core.dialogue.handle_message(dm(ALICE, "你好，我想关联账号", "Alice"))  # Alice writes Chinese
    await core.dialogue.handle_message(dm(ALICE, "/link", "Alice"))
    found = re.search(r"/link ([0-9A-F]{8})", (await sent_to(core, ALICE))[-1])
    assert found
    await core.dialogue.handle_message(dm(ALICE_DC, f"/link {found.group(1)}", "alice_dc"))
    ask = (await sent_to(core, ALICE))[-1]
    assert "请求关联你的账号" in ask and "/link confirm" in ask and "Discord" in ask


# the desk ---------------------------------------------------------------------


async def _desk_payload(core: UseCases, ticket_id: int) -> dict[str, Any]:
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(ticket_id)
        assert ticket is not None
        return await core.desk.summary(tx, ticket)


async def test_the_desk_summary_lists_every_linked_account(core: UseCases, clock: Clock) -> None:
    opened = await core.dialogue.handle_message(dm(ALICE, "/human my funds are stuck", "Alice"))
    assert opened.ticket_id is not None
    assert not (await _desk_payload(core, opened.ticket_id)).get("linked")
    code = await ask_code(core)
    await core.dialogue.handle_message(dm(ALICE_DC, f"/link {code}", "alice_dc"))
    await core.dialogue.handle_message(dm(ALICE, "/link confirm", "Alice"))
    async with core.store.transaction() as tx:  # and one linked before confirmation was required
        await tx.upsert_user(MALLORY, "mallory", "en", clock())
        await tx.link_users(ALICE.key, MALLORY.key)
    async with core.store.transaction() as tx:  # the confirmation refreshed the desk and said so
        desk = [r.data for r in await tx.deliveries(ticket_id=opened.ticket_id)]
    assert "Discord alice_dc (200)" in str([p.get("linked") for p in desk if "linked" in p][-1])
    assert any("linked Discord account 200, confirmed" in str(p.get("text")) for p in desk)
    line = str((await _desk_payload(core, opened.ticket_id)).get("linked"))
    assert "Discord alice_dc (200)" in line
    assert re.search(r"Discord mallory \(666\)[^,]*never confirmed", line)
    assert "alice_dc (200) ⚠" not in line


# privacy ----------------------------------------------------------------------


async def _two_tickets_one_unconfirmed_link(core: UseCases, clock: Clock) -> int:
    opened = await core.dialogue.handle_message(dm(ALICE, "/human alice-private-words", "Alice"))
    assert opened.ticket_id is not None
    async with core.store.transaction() as tx:
        await tx.upsert_user(MALLORY, "mallory", "en", clock())
        await tx.link_users(ALICE.key, MALLORY.key)  # linked the old way: never confirmed
    return opened.ticket_id


async def test_privacy_requests_act_on_one_account_unless_the_link_was_confirmed(core: UseCases,
                                                                                 clock: Clock) -> None:
    tid = await _two_tickets_one_unconfirmed_link(core, clock)
    data = await export_user(core.store, MALLORY.key)
    assert [a["account"] for a in data["accounts"]] == [MALLORY.key]
    assert "alice-private-words" not in json.dumps(data, ensure_ascii=False) and data["tickets"] == []
    result = await forget_user(core.store, MALLORY.key)
    assert result.accounts == [MALLORY.key] and result.tickets == 0
    async with core.store.transaction() as tx:
        ticket = await tx.get_ticket(tid)
        assert ticket is not None and "alice-private-words" in ticket.subject and ticket.user == ALICE
        assert await tx.get_user(ALICE.key) is not None
    # confirmed from both sides: one request covers both accounts
    code = await ask_code(core)
    await core.dialogue.handle_message(dm(ALICE_DC, f"/link {code}", "alice_dc"))
    await core.dialogue.handle_message(dm(ALICE, "/link confirm", "Alice"))
    data = await export_user(core.store, ALICE_DC.key)
    assert sorted(a["account"] for a in data["accounts"]) == sorted([ALICE.key, ALICE_DC.key])
    assert [t["id"] for t in data["tickets"]] == [tid]


async def test_forgetting_an_account_removes_the_link_request_naming_it(core: UseCases) -> None:
    code = await ask_code(core)
    await core.dialogue.handle_message(dm(ALICE_DC, f"/link {code}", "alice_dc"))
    await forget_user(core.store, ALICE_DC.key)
    async with core.store.transaction() as tx:
        rows = await tx._c.fetchall("SELECT data FROM otp_codes")  # noqa: SLF001 (looking under the store API)
    assert rows and not any(ALICE_DC.key in r["data"] for r in rows)
    await core.dialogue.handle_message(dm(ALICE, "/link confirm", "Alice"))
    assert "no link request" in (await sent_to(core, ALICE))[-1]


def test_cli_export_and_forget_act_on_one_account_of_an_unconfirmed_link(ops_cli: OpsCli) -> None:
    async def fill(store: Store) -> None:
        async with store.transaction() as tx:
            await tx.upsert_user(ALICE, "Alice", "en", 1.0)
            await tx.upsert_user(MALLORY, "mallory", "en", 1.0)
            await tx.link_users(ALICE.key, MALLORY.key)
            await tx.create_ticket(user=ALICE, origin=ChatRef("telegram", "100", is_private=True),
                                   origin_message_id="1", priority=Priority.NORMAL,
                                   category=None, lang="en", subject="alice-cli-words", now=1.0)

    ops_cli.seed(fill)
    out = ops_cli.invoke(["user", "export", MALLORY.key])
    assert out.exit_code == 0, out.output
    assert "alice-cli-words" not in out.stdout and ALICE.key not in out.stdout
    out = ops_cli.invoke(["user", "forget", MALLORY.key, "--yes"])
    assert out.exit_code == 0, out.output
    out = ops_cli.invoke(["user", "export", ALICE.key])
    assert out.exit_code == 0 and "alice-cli-words" in out.stdout


async def test_a_link_never_confirmed_shares_no_ticket(core: UseCases, clock: Clock) -> None:
    """A link made before confirmation was required (perhaps with a guessed code) lets the
    other account neither see the ticket nor write into it."""
    tid = await _two_tickets_one_unconfirmed_link(core, clock)
    assert await linked(core, MALLORY) == [MALLORY.key]
    await core.dialogue.handle_message(dm(MALLORY, "/ticket", "mallory"))
    assert f"#{tid}" not in (await sent_to(core, MALLORY))[-1]
    await core.dialogue.handle_message(dm(MALLORY, "send the funds to my new address please", "mallory"))
    async with core.store.transaction() as tx:
        bodies = [e.body or "" for e in await tx.events(tid)]
    assert not any("new address" in b for b in bodies)
