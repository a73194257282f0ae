"""Snippets on every store: the built-in replies seeded, staff edit them (permission,
shield, placeholders), and a snippet sent to a ticket is in the user's language with
its placeholders filled; ``canned`` still works as the old name."""

from __future__ import annotations

from pathlib import Path

import pytest
from mnemonic import Mnemonic

from core.errors import InvalidInput
from core.faq_engine import FaqEngine
from core.i18n import t
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, UserRef
from core.storage import Store
from core.support.snippets import check_template, fill, usage
from core.use_cases import UseCases
from tests.conftest import Clock, RecordingCodeSender, make_settings

BOB = Actor.at_desk("slack:U0BOB")  # staff and an FAQ admin
DAN = Actor.at_desk("slack:U0DAN")  # staff, not an FAQ admin
CAROL = Actor.at_desk("slack:U0CAROL")  # not staff
PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16)))


@pytest.fixture
def core(store: Store, tmp_path: Path, faq_engine: FaqEngine) -> UseCases:
    settings = make_settings(tmp_path, SLACK_STAFF_USERS="U0BOB,U0DAN", SLACK_FAQ_ADMINS="U0BOB")
    return UseCases(settings, store, faq_engine, code_sender=RecordingCodeSender(), clock=Clock())


async def _open_ticket(core: UseCases, user_id: str, name: str, text: str) -> int:
    user = UserRef("telegram", user_id)
    msg = InboundMessage(f"tg:{user_id}:1", user, ChatRef("telegram", user_id, is_private=True), text, "1",
                         display_name=name, addressed=True)
    out = await core.dialogue.handle_message(msg)
    assert out.ticket_id is not None
    return out.ticket_id


async def _sent_to(core: UseCases, chat_id: str) -> list[str]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    return [r.data["text"] for r in rows if r.chat_id == chat_id and r.action in ("send", "dm")]


async def test_the_built_in_replies_are_seeded_and_sent_in_the_users_language(core: UseCases) -> None:
    listing = await core.snippets.command(BOB, "list", "en")
    assert listing.startswith("Snippets: closing (en+zh): Thanks {user}!")
    assert "explorer (en+zh)" in listing and "never-share (en+zh)" in listing
    en = await _open_ticket(core, "100", "Alice", "I need a human please")
    zh = await _open_ticket(core, "200", "小明", "我要人工客服")
    await core.staff.act(BOB, en, "snippet", event_key="s1", text="closing")
    await core.staff.act(BOB, zh, "canned", event_key="s2", text="Closing")  # the old name, any case
    assert _last(await _sent_to(core, "100")).endswith(
        f"Thanks Alice! We're marking ticket #{en} as solved. Write here if anything else comes up.")
    assert _last(await _sent_to(core, "200")).endswith(f"谢谢 小明！工单 #{zh} 将标记为已解决。如有其他问题，请在这里留言。")
    with pytest.raises(InvalidInput) as unknown:
        await core.staff.act(BOB, en, "snippet", event_key="s3", text="nope")
    assert t(unknown.value.key or "", "en", **unknown.value.params) == \
        "No snippet “nope”; available: closing, explorer, never-share."


def _last(texts: list[str]) -> str:
    assert texts
    return texts[-1]


async def test_staff_add_edit_and_remove_and_zh_falls_back_to_en(core: UseCases) -> None:
    assert await core.snippets.command(BOB, "add fees Hi {user}, the fee for #{ticket_id} is network gas. — {agent}",
                                       "en") == "Snippet “fees” added (en)."
    zh = await _open_ticket(core, "200", "小明", "我要人工客服")
    await core.staff.act(BOB, zh, "snippet", event_key="s1", text="fees")
    assert _last(await _sent_to(core, "200")).endswith(f"Hi 小明, the fee for #{zh} is network gas. — 客服团队")

    assert await core.snippets.command(BOB, "edit fees zh {user} 你好，工单 #{ticket_id} 的手续费是网络 gas。", "en") == \
        "Snippet “fees” updated (en+zh)."
    await core.staff.act(BOB, zh, "snippet", event_key="s2", text="fees")
    assert _last(await _sent_to(core, "200")).endswith(f"小明 你好，工单 #{zh} 的手续费是网络 gas。")
    assert await core.snippets.command(BOB, "edit fees Gas pays the network.", "en") == "Snippet “fees” updated (en+zh)."
    assert (await core.snippets.command(DAN, "show fees", "en")).startswith("fees · en: Gas pays the network. · zh: ")

    assert await core.snippets.command(BOB, "remove fees zh", "en") == t("snippet.zh_removed", "en", name="fees")
    await core.staff.act(BOB, zh, "snippet", event_key="s3", text="fees")
    assert _last(await _sent_to(core, "200")).endswith("Gas pays the network.")
    assert await core.snippets.command(BOB, "remove fees", "zh") == "已删除快捷回复“fees”。"
    assert "fees" not in await core.snippets.command(BOB, "list", "en")
    # a seeded one is data like any other: edited, then removed
    assert await core.snippets.command(BOB, "edit never-share We never ask for your phrase.", "en") == \
        "Snippet “never-share” updated (en+zh)."
    assert await core.snippets.command(BOB, "remove never-share", "en") == "Snippet “never-share” removed."


async def test_refusals_are_one_line_and_change_nothing(core: UseCases) -> None:
    before = await core.snippets.command(BOB, "list", "en")
    assert await core.snippets.command(BOB, "add x Hello {name}", "en") == \
        "Unknown placeholder “{name}”; use {user}, {ticket_id} or {agent}."
    assert await core.snippets.command(BOB, "add x Hello {user!r}", "en") == \
        "Unknown placeholder “{user!r}”; use {user}, {ticket_id} or {agent}."
    assert await core.snippets.command(BOB, "add x Hello {user", "zh") == \
        "未知的占位符“{”；请使用 {user}、{ticket_id} 或 {agent}。"
    assert await core.snippets.command(BOB, f"add x Please type {PHRASE}", "en") == t("snippet.secret", "en")
    assert await core.snippets.command(BOB, "add closing again", "en") == \
        "There is already a snippet “closing”; change it with /snippet edit closing <text>."
    assert await core.snippets.command(BOB, "add Bad!Name hi", "en") == t("snippet.bad_name", "en")
    assert (await core.snippets.command(BOB, "edit ghost hi", "en")).startswith("No snippet “ghost”")
    assert await core.snippets.command(BOB, "add empty", "en") == "The snippet text is empty."
    assert await core.snippets.command(BOB, "frobnicate", "en") == usage("en")
    assert usage("en").endswith("(placeholders: {user}, {ticket_id}, {agent})")
    # staff who are not FAQ admins list and send, but do not edit; non-staff do nothing
    assert await core.snippets.command(DAN, "add x hi", "en") == t("snippet.not_editor", "en")
    assert await core.snippets.command(DAN, "remove closing", "en") == t("snippet.not_editor", "en")
    assert await core.snippets.command(CAROL, "list", "zh") == t("policy.not_staff", "zh")
    assert await core.snippets.command(CAROL, "add x hi", "en") == t("snippet.not_editor", "en")
    assert await core.snippets.command(BOB, "list", "en") == before


def test_placeholders_are_checked_and_filled() -> None:
    check_template("Hi {user}, #{ticket_id} {agent} {{literal}}")
    with pytest.raises(InvalidInput):
        check_template("{0}")
    with pytest.raises(InvalidInput):
        check_template("{ticket_id:>5}")
    assert fill("Hi {user}, see #{ticket_id}", user="", ticket_id=3, agent="x") == "Hi, see #3"
    assert fill("{user}，提醒", user="", ticket_id=3, agent="x") == "提醒"
