"""Telegram users through the real ``walletdesk`` process and python-telegram-bot,
against the local Telegram simulator over sockets."""

from __future__ import annotations

from pathlib import Path

import pytest
from mnemonic import Mnemonic

from tests.e2e.harness import PLATFORM_TIME, Forwarder, WalletdeskProcess
from tests.simulators.telegram_sim import TelegramSim
from tests.waiting import wait_until

GROUP = -1001
USER = 501
ADMIN = 900


@pytest.fixture
async def tg() -> TelegramSim:
    async with TelegramSim(clock=PLATFORM_TIME) as sim:
        sim.add_chat(GROUP, "supergroup", title="Wallet Community", admins=[ADMIN])
        sim.add_user(USER, first_name="Alice", language_code="en")
        sim.add_user(ADMIN, first_name="Mod", language_code="en")
        yield sim


def telegram_env(sim: TelegramSim) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": sim.token, "TELEGRAM_API_BASE_URL": sim.base_url}


async def test_group_faq_offer_and_secret_removal(tg: TelegramSim, tmp_path: Path) -> None:
    proc = WalletdeskProcess(tmp_path, telegram_env(tg))
    await proc.start()
    try:
        await tg.user_message(GROUP, "@walletdesk_bot my transfer has not arrived after 3 hours", user_id=USER,
                              first_name="Alice")
        answer = await tg.wait_for_message(GROUP, lambda m: "block explorer" in m.plain_text)
        assert answer.reply_to_message_id is not None

        await tg.user_message(GROUP, "hello everyone, nice weather today", user_id=USER, first_name="Alice")
        await tg.user_message(GROUP, "@walletdesk_bot which pizza topping is the best", user_id=USER, first_name="Alice")
        await tg.wait_for_message(GROUP, lambda m: "moderator can pass" in m.plain_text)
        assert len(tg.messages_to(GROUP)) == 2  # nothing for the unaddressed chatter

        phrase = Mnemonic("english").generate(128)
        leaked = await tg.user_message(GROUP, f"is this safe? {phrase}", user_id=USER, first_name="Alice")
        await tg.wait_for(lambda: (GROUP, leaked["message_id"]) in tg.deleted)
        await tg.wait_for_message(GROUP, lambda m: "removed" in m.plain_text)
        await proc.drain()
    finally:
        await proc.stop()
    # stopped: everything it would write is written
    assert phrase not in proc.db_dump()
    assert phrase not in proc.output()


async def test_duplicate_update_and_restart_mid_conversation(tg: TelegramSim, tmp_path: Path) -> None:
    proc = WalletdeskProcess(tmp_path, telegram_env(tg))
    await proc.start()
    try:
        await tg.user_message(USER, "what are gas fees", user_id=USER, chat_type="private", first_name="Alice")
        await tg.wait_for_message(USER, lambda m: "fee" in m.plain_text.lower())
        await tg.duplicate_last_update()

        # updates are handled one after another and a chat's replies go out in order, so once
        # the next question's answer is there, an answer to the duplicate would be before it
        await tg.user_message(USER, "can you predict the price of bitcoin tomorrow", user_id=USER,
                              chat_type="private", first_name="Alice")
        await tg.wait_for_message(USER, lambda m: "human" in m.plain_text)
        texts = tg.texts_to(USER)
        assert len(texts) == 2 and "fee" in texts[0].lower(), texts
    finally:
        await proc.stop()
    # restarted between the offer and the answer: the conversation state survives
    proc2 = WalletdeskProcess(tmp_path, telegram_env(tg))
    await proc2.start()
    try:
        await tg.user_message(USER, "yes", user_id=USER, chat_type="private", first_name="Alice")
        try:
            await tg.wait_for_message(USER, lambda m: "Ticket #1" in m.plain_text)
        except TimeoutError:
            raise AssertionError(f"{tg.texts_to(USER)}\n{[c for c in tg.calls if c[0] != 'getUpdates'][-6:]}\n{proc2.output()[-1500:]}")
    finally:
        await proc2.stop()


async def test_platform_429_then_500_is_waited_out(tg: TelegramSim, tmp_path: Path) -> None:
    proc = WalletdeskProcess(tmp_path, telegram_env(tg))
    await proc.start()
    try:
        tg.fail("sendMessage", status=429, times=2, retry_after=1)
        outage = tg.fail_for(3600, status=500, method="sendMessage")  # over once a send ran into it
        for n, question in enumerate(["what are gas fees", "my transaction failed", "how do I back up my wallet"]):
            await tg.user_message(USER, question, user_id=USER, chat_type="private", first_name="Alice")
        await wait_until(lambda: outage.hits, what="a send into the outage")
        tg.clear_faults()  # the outage is over
        await tg.wait_for(lambda: len(tg.messages_to(USER)) == 3)
        texts = [m.plain_text.lower() for m in tg.messages_to(USER)]
        assert "fee" in texts[0] and "fail" in texts[1] and ("recovery phrase" in texts[2] or "back" in texts[2])
    finally:
        await proc.stop()


async def test_webhook_mode_rejects_forged_and_malformed_updates(tg: TelegramSim, tmp_path: Path) -> None:
    async with Forwarder() as public:  # the public URL must be known before the child picks its port
        proc = WalletdeskProcess(tmp_path, {**telegram_env(tg), "TELEGRAM_WEBHOOK_SECRET": "hook-s3cret",
                                            "WALLETDESK_PUBLIC_URL": public.url})
        await proc.start()
        public.target = proc.base_url
        await _webhook_checks(tg, proc)


async def _webhook_checks(tg: TelegramSim, proc: WalletdeskProcess) -> None:
    import httpx

    try:
        await tg.wait_for(lambda: tg.calls_to("setWebhook"))
        url = proc.base_url + "/telegram/webhook"
        good = {"X-Telegram-Bot-Api-Secret-Token": "hook-s3cret"}
        async with httpx.AsyncClient() as client:
            assert (await client.post(url, json={"update_id": 1})).status_code == 401
            assert (await client.post(url, content=b"{not json", headers=good)).status_code == 400
            bad = await client.post(url, json={"update_id": 2, "message": {"garbage": True}}, headers=good)
            assert bad.status_code == 400
        await tg.user_message(USER, "x" * 9000, user_id=USER, chat_type="private", first_name="Alice")
        await tg.wait_for_message(USER, lambda m: "too long" in m.plain_text)
        await tg.user_message(USER, "what are gas fees", user_id=USER, chat_type="private", first_name="Alice")
        await tg.wait_for_message(USER, lambda m: "fee" in m.plain_text.lower())
        assert proc.proc is not None and proc.proc.poll() is None
    finally:
        await proc.stop()


async def test_edits_channel_senders_and_anonymous_admins_pass_the_shield(tg: TelegramSim, tmp_path: Path) -> None:
    """Issue 15 items 1 and 10: an edit that puts a phrase in, a message sent as a
    channel and one by an anonymous admin are all deleted like a new leak."""
    proc = WalletdeskProcess(tmp_path, telegram_env(tg))
    await proc.start()
    try:
        phrases = [Mnemonic("english").generate(128) for _ in range(3)]
        first = await tg.user_message(GROUP, "hi everyone", user_id=USER, first_name="Alice")
        await tg.user_edits_message(GROUP, first["message_id"], f"hi everyone {phrases[0]}")
        await tg.wait_for(lambda: (GROUP, first["message_id"]) in tg.deleted)
        await tg.wait_for_message(GROUP, lambda m: "removed" in m.plain_text)
        as_channel = await tg.user_message(GROUP, f"backup: {phrases[1]}", user_id=USER, as_channel=-100777)
        anonymous = await tg.user_message(GROUP, f"mine is {phrases[2]}", user_id=USER, anonymous_admin=True)
        await tg.wait_for(lambda: {(GROUP, as_channel["message_id"]), (GROUP, anonymous["message_id"])} <= tg.deleted)
        await proc.drain()
    finally:
        await proc.stop()
    for phrase in phrases:
        assert phrase not in proc.db_dump() and phrase not in proc.output()
