"""Delivery marks tell staff whether the user got their reply (issue 16 item 4)."""

from __future__ import annotations

from pathlib import Path

from core.identity.policy import Actor
from core.storage.sqlite import SQLiteStore
from tests.adapters.telegram.conftest import GROUP, USER, running_rig
from tests.conftest import RecordingCodeSender
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import wait_until


async def _group_ticket(rig) -> int:  # type: ignore[no-untyped-def]
    await rig.sim.user_message(GROUP, "@walletdesk_bot my account is frozen, I need a human", user_id=USER,
                               first_name="Alice")

    async def ticket() -> int | None:
        async with rig.store.transaction() as tx:
            found = await tx.active_ticket_for([f"telegram:{USER}"])
        return found.id if found else None
    return await wait_until(ticket, what="a ticket for the group user")


async def test_reply_to_a_user_who_never_started_the_bot_is_marked_not_delivered(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        tid = await _group_ticket(rig)
        await rig.settle()
        assert USER not in tg.started_private
        await rig.core.staff.act(Actor.at_desk("console:operator"), tid, "reply", event_key="r1",
                                 text="please send the tx hash", source_ref="desk-msg-1")
        await rig.settle()
        # the user was told in the group to open a private chat, and never got the reply
        assert any("t.me/walletdesk_bot?start=help" in m.plain_text for m in tg.messages_to(GROUP))
        assert not tg.messages_to(USER)
        (reply,) = [(ok, err) for d, ok, err in rig.results if d.action == "dm"]
        assert reply[0] is False and "private chat" in (reply[1] or "")
        out = rig.desk.getvalue()
        assert f"[desk #{tid}] (NOT delivered" in out and f"[desk #{tid}] (delivered)" not in out


async def test_reply_to_a_user_with_a_private_chat_is_marked_delivered(
    tg: TelegramSim, tmp_path: Path, sqlite_store: SQLiteStore, faq_engine, code_sender: RecordingCodeSender,
) -> None:
    async with running_rig(tg, tmp_path, sqlite_store, faq_engine, code_sender) as rig:
        # the user has opened a private chat with the bot
        await tg.user_message(USER, "/start", user_id=USER, chat_type="private", first_name="Alice")
        await rig.settle()
        tid = await _group_ticket(rig)
        await rig.settle()
        await rig.core.staff.act(Actor.at_desk("console:operator"), tid, "reply", event_key="r1",
                                 text="please send the tx hash", source_ref="desk-msg-1")
        await rig.settle()
        assert any("please send the tx hash" in m.plain_text for m in tg.messages_to(USER))
        assert f"[desk #{tid}] (delivered)" in rig.desk.getvalue()
