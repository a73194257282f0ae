"""Screenshots and files both ways between users and the Slack desk, through the
real ``walletdesk run`` process (issue 19 items 2-4): a Telegram, a Discord and
a Slack user's screenshot from their private chat reaches the ticket's thread
through Slack's external upload with the same bytes, a file staff share in the
thread reaches each user on their platform with the same bytes, a refused file
gets one line and nothing is kept, and a delivered file's bytes leave the
database."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from PIL import Image

from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.e2e.test_discord_slack_e2e import AGENT, MEMBER, STAFF, desk, slack_env  # noqa: F401 (fixture)
from tests.fixtures.images import wallet_screenshot
from tests.simulators.discord_sim import DiscordSim
from tests.simulators.slack_sim import SlackSim
from tests.simulators.telegram_sim import TelegramSim

TG_USER = 501


def staff_file() -> bytes:
    """A picture staff share (an annotated screenshot, say): a small PNG."""
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def kept_files(proc: WalletdeskProcess) -> int:
    con = sqlite3.connect(proc.db_path)
    try:
        return int(con.execute("SELECT COUNT(*) FROM files").fetchone()[0])
    finally:
        con.close()


async def ticket_root(slack: SlackSim) -> str:
    root = await slack.wait_for_post(STAFF, lambda m: bool(m.blocks) and m.thread_ts is None)
    await slack.wait_for_post(STAFF, lambda m: m.thread_ts == root.ts)  # the desk knows the root's ts
    return root.ts


async def staff_shares(slack: SlackSim, proc: WalletdeskProcess, root_ts: str, data: bytes) -> None:
    event = slack.user_message_event(STAFF, AGENT, "", thread_ts=root_ts, files=[("fix.png", "image/png", data)])
    await slack.send_event(proc.base_url + "/slack/events", event)


async def test_telegram_screenshot_to_the_desk_and_a_staff_file_back(desk, tmp_path: Path) -> None:
    slack, codes = desk
    async with TelegramSim(clock=PLATFORM_TIME) as tg:
        tg.add_user(TG_USER, first_name="Alice", language_code="en")
        proc = WalletdeskProcess(tmp_path, {**slack_env(slack, codes), "TELEGRAM_BOT_TOKEN": tg.token,
                                            "TELEGRAM_API_BASE_URL": tg.base_url})
        await proc.start()
        try:
            await tg.user_message(TG_USER, "human", user_id=TG_USER, first_name="Alice")
            root_ts = await ticket_root(slack)
            photo = await tg.user_photo(TG_USER, wallet_screenshot(), user_id=TG_USER, first_name="Alice")
            served = tg.files[photo["photo"][-1]["file_id"]][1]  # the JPEG Telegram serves for the photo
            await slack.wait_for(lambda: [u for u in slack.uploads if u.thread_ts == root_ts])
            (upload,) = [u for u in slack.uploads if u.thread_ts == root_ts]
            assert upload.channel == STAFF and upload.data == served
            assert "Alice" in (upload.initial_comment or "")
            await tg.wait_for_message(TG_USER, lambda m: "Sent to support" in m.plain_text)

            # a file too large for the desk: one line, nothing downloaded or kept
            downloads = len(tg.file_downloads)
            await tg.user_photo(TG_USER, b"x" * (11 * 1024 * 1024), user_id=TG_USER, first_name="Alice",
                                as_document=True, mime_type="image/png", file_name="huge.png")
            await tg.wait_for_message(TG_USER, lambda m: "too large to pass on" in m.plain_text)
            assert len(tg.file_downloads) == downloads

            picture = staff_file()
            await staff_shares(slack, proc, root_ts, picture)
            await tg.wait_for(lambda: tg.uploads)
            (sent,) = tg.uploads
            assert (sent.chat_id, sent.method, sent.data) == (TG_USER, "sendPhoto", picture)
            await proc.drain()
            assert kept_files(proc) == 0  # delivered: the bytes are gone from the database
        finally:
            await proc.stop()


async def test_discord_screenshot_to_the_desk_and_a_staff_file_back(desk, tmp_path: Path) -> None:
    slack, codes = desk
    async with DiscordSim() as dc:
        user_id = int(dc.add_user(username="dave")["id"])
        proc = WalletdeskProcess(tmp_path, {**slack_env(slack, codes), "DISCORD_BOT_TOKEN": dc.token,
                                            "DISCORD_API_BASE_URL": dc.api_base, "DISCORD_GATEWAY_URL": dc.gateway_url})
        await proc.start()
        try:
            dm = dc.open_dm(user_id)
            await dc.user_message(dm, "human", author_id=user_id)
            root_ts = await ticket_root(slack)
            shot = wallet_screenshot()
            await dc.user_message(dm, "", author_id=user_id, attachments=[("balance.png", "image/png", shot)])
            await slack.wait_for(lambda: [u for u in slack.uploads if u.thread_ts == root_ts])
            (upload,) = [u for u in slack.uploads if u.thread_ts == root_ts]
            assert (upload.channel, upload.name, upload.data) == (STAFF, "balance.png", shot)

            # a type the desk does not take: one line, nothing kept
            await dc.user_message(dm, "", author_id=user_id, attachments=[("tool.exe", "application/x-msdownload",
                                                                            b"MZ\x90\x00")])
            await dc.wait_for(lambda: any("only screenshots" in m["content"] for m in dc.messages_in(dm)))

            picture = staff_file()
            await staff_shares(slack, proc, root_ts, picture)
            await dc.wait_for(lambda: dc.uploads)
            (sent,) = dc.uploads
            assert (sent.channel_id, sent.filename, sent.data) == (dm, "fix.png", picture)
            await proc.drain()
            assert kept_files(proc) == 0
        finally:
            await proc.stop()


async def test_slack_user_screenshot_to_the_desk_and_a_staff_file_to_their_dm(desk, tmp_path: Path) -> None:
    slack, codes = desk
    proc = WalletdeskProcess(tmp_path, slack_env(slack, codes))
    await proc.start()
    events = proc.base_url + "/slack/events"
    dm = f"D{MEMBER}"
    try:
        await slack.send_event(events, slack.user_message_event(dm, MEMBER, "人工", channel_type="im"))
        root_ts = await ticket_root(slack)
        shot = wallet_screenshot()
        shared = slack.user_message_event(dm, MEMBER, "", channel_type="im", files=[("余额.png", "image/png", shot)])
        await slack.send_event(events, shared)
        await slack.wait_for(lambda: [u for u in slack.uploads if u.thread_ts == root_ts])
        (upload,) = [u for u in slack.uploads if u.thread_ts == root_ts]
        assert upload.data == shot and upload.channel == STAFF
        await slack.wait_for_post(dm, lambda m: "已随工单" in m.text)  # told in Chinese

        picture = staff_file()
        await staff_shares(slack, proc, root_ts, picture)
        await slack.wait_for(lambda: [u for u in slack.uploads if u.channel == dm])
        (sent,) = [u for u in slack.uploads if u.channel == dm]
        assert sent.data == picture and sent.thread_ts is None
        # the bot fetched both files from url_private with its token, and only so
        assert slack.file_downloads and all(status == 200 for _, status in slack.file_downloads)
    finally:
        await proc.stop()
