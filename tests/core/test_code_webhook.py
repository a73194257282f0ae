"""A one-time code whose webhook fails (issue 16 item 5): the user is told, in their
language, that it did not go out, and it costs them none of their codes for the hour.
The webhook is a real local HTTP receiver (answering 500, or gone: connection refused)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from core.config import Settings
from core.errors import InvalidInput
from core.faq_engine import FaqEngine
from core.i18n import t
from core.identity.codes import MAX_CODES_PER_HOUR, WebhookCodeSender
from core.identity.policy import Actor
from core.models import ChatRef, ConversationState, InboundMessage, UserRef
from core.storage.sqlite import SQLiteStore
from core.support.relay import dm_chat
from core.use_cases import UseCases
from tests.conftest import Clock, make_settings

STAFF = Actor.at_desk("slack:U1")


class Receiver:
    """The operator's SMS/e-mail bridge: answers ``status`` to every POST."""

    def __init__(self) -> None:
        self.status = 500
        self.bodies: list[dict[str, object]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def _hook(self, request: web.Request) -> web.Response:
        self.bodies.append(json.loads(await request.read()))
        return web.Response(status=self.status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/otp", self._hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/otp"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    if r.runner is not None:
        await r.runner.cleanup()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1")


def _core(settings: Settings, store: SQLiteStore, faq: FaqEngine, clock: Clock, url: str) -> UseCases:
    sender = WebhookCodeSender(url, b"hook-secret", retries=2, backoff=0.0)
    return UseCases(settings, store, faq, code_sender=sender, clock=clock)


async def _ticket(core: UseCases, user: UserRef, text: str) -> int:
    chat = ChatRef(user.platform, user.user_id, is_private=True)
    out = await core.dialogue.handle_message(InboundMessage(
        event_key=f"tg:{user.user_id}:1", user=user, chat=chat, text=text, message_id="1", display_name="A"))
    if out.ticket_id is None:  # offered a human first
        out = await core.dialogue.handle_message(InboundMessage(
            event_key=f"tg:{user.user_id}:2", user=user, chat=chat, text=text, message_id="2", display_name="A"))
    assert out.ticket_id is not None
    return out.ticket_id


async def _texts_to(core: UseCases, user: UserRef) -> list[str]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    return [str(r.data.get("text")) for r in rows if r.chat_id == user.user_id and r.action in ("send", "dm")]


async def _fail_then_succeed(core: UseCases, receiver: Receiver, user: UserRef, lang: str, clock: Clock) -> None:
    tid = await _ticket(core, user, "human" if lang == "en" else "我要人工客服")
    before = len(await _texts_to(core, user))
    for n in range(MAX_CODES_PER_HOUR + 1):  # more failures than the hour allows codes
        with pytest.raises(InvalidInput) as info:
            await core.staff.act(STAFF, tid, "request_verification", event_key=f"v{lang}{n}")
        assert info.value.key == "staff.code_not_sent"
        clock.advance(1)
    assert receiver.bodies or receiver.runner is None  # the webhook was really called (when it was up)
    told = (await _texts_to(core, user))[before:]
    assert told == [t("verify.code_not_sent", lang)] * (MAX_CODES_PER_HOUR + 1)
    assert t("verify.code_sent", lang) not in await _texts_to(core, user)
    async with core.store.transaction() as tx:
        assert await tx.count_secrets_since(user.key, "verify", 0) == 0
        conversation = await tx.get_conversation(user.key, dm_chat(user).key)
    assert conversation.state is not ConversationState.AWAITING_CODE
    return None


async def test_a_500_from_the_code_webhook_tells_the_user_and_costs_no_code(
    settings: Settings, sqlite_store: SQLiteStore, faq_engine: FaqEngine, clock: Clock, receiver: Receiver,
) -> None:
    core = _core(settings, sqlite_store, faq_engine, clock, receiver.url)
    for user, lang in ((UserRef("telegram", "100"), "en"), (UserRef("telegram", "200"), "zh")):
        receiver.status = 500
        await _fail_then_succeed(core, receiver, user, lang, clock)
        # the bridge is back: the user still has every code of the hour
        receiver.status = 200
        async with core.store.transaction() as tx:
            tid = (await tx.active_ticket_for([user.key])).id  # type: ignore[union-attr]
        await core.staff.act(STAFF, tid, "request_verification", event_key=f"ok{lang}")
        assert (await _texts_to(core, user))[-1] == t("verify.code_sent", lang)
        code = str(receiver.bodies[-1]["code"])
        out = await core.dialogue.handle_message(InboundMessage(
            event_key=f"tg:{user.user_id}:code", user=user, chat=ChatRef("telegram", user.user_id, is_private=True),
            text=code, message_id="9", display_name="A"))
        assert out.notes == ["code ok"]


async def test_an_unreachable_code_webhook_tells_the_user_and_costs_no_code(
    settings: Settings, sqlite_store: SQLiteStore, faq_engine: FaqEngine, clock: Clock, receiver: Receiver,
) -> None:
    core = _core(settings, sqlite_store, faq_engine, clock, receiver.url)
    await receiver.stop()  # nothing listens on the port any more: connection refused
    receiver.runner = None
    await _fail_then_succeed(core, receiver, UserRef("telegram", "100"), "en", clock)
