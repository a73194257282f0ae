"""The support use cases every adapter calls: a user's message, a moderator's
escalation, a staff action. Each runs the shield first, then changes state and
queues its deliveries in one transaction (adapter event -> core -> store + outbox).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.shield import phrases as shield
from core.config import Settings
from core.errors import CodeRateLimited, DeliveryError, InvalidInput, NotFound
from core.faq_engine import FaqEngine
from core.faq.library import FaqLibrary, PhrasingAdded
from core.faq.models import FaqMatch
from core.i18n import t
from core.identity.codes import CodeCheck, CodeSender, Identity, StaffRoster, looks_like_code, skeleton
from core.lang import detect_lang
from core.ops.metrics import Metrics
from core.models import ChatRef, Delivery, InboundMessage, Priority, Ticket, TicketEvent, TicketState, UserRef
from core.support.outbox import Effects
from core.support.relay import desk_summary, dm_chat, send_to_user
from core.storage import SqlTx, Store
from core.support.tickets import next_state, sla_due, starting_priority

__all__ = ["Outcome", "SupportCore", "STAFF_ACTIONS"]

_LOGGER = logging.getLogger(__name__)

_YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "please", "是", "是的", "好", "好的", "要", "需要", "可以", "嗯"}
_NO = {"no", "n", "nope", "nah", "no thanks", "否", "不", "不用", "不要", "不需要", "算了"}
_HUMAN_WORDS = {"human", "agent", "person", "staff", "support", "人工", "客服", "人工客服", "真人", "转人工"}
_GREETINGS = {"hi", "hello", "hey", "hi there", "hello there", "gm", "good morning", "good evening", "yo",
              "你好", "您好", "在吗", "在不在", "哈喽", "嗨", "早上好", "晚上好"}
_COMMAND_RE = re.compile(r"^/(\w+)(?:@\w+)?(?:\s+(.*))?$", re.S)
_RATING_RE = re.compile(r"^\s*([1-5])(?:\s*(?:/\s*5|分|星))?(?:[\s,.:;!，。：；！-]+(.*))?$", re.S)

_FAQ_MEMO_SIZE = 4096

STAFF_ACTIONS = frozenset(
    {"claim", "reply", "note", "canned", "set_priority", "request_verification", "resolve", "close", "reopen", "transfer"}
)

CANNED: dict[str, dict[str, str]] = {
    "explorer": {
        "en": "Hi {user}, could you send us the transaction hash (tx id)? Check it first on a block explorer: if it shows confirmed, the funds have arrived on-chain.",
        "zh": "{user} 你好，请提供交易哈希（tx id）。也可以先在区块浏览器上查询：如果显示已确认，资金已经上链到账。",
    },
    "never-share": {
        "en": "{user}, a reminder: we will never ask for your recovery phrase or private key. Anyone who does is a scammer.",
        "zh": "{user}，提醒：我们绝不会索要你的助记词或私钥。任何索要的人都是骗子。",
    },
    "closing": {
        "en": "Thanks {user}! We're marking ticket #{ticket_id} as solved. Write here if anything else comes up.",
        "zh": "谢谢 {user}！工单 #{ticket_id} 将标记为已解决。如有其他问题，请在这里留言。",
    },
}


@dataclass(slots=True)
class Outcome:
    """What happened to one inbound event (for adapters' logs and tests)."""

    status: str  # handled | duplicate | ignored | rejected
    faq: FaqMatch | None = None
    ticket_id: int | None = None
    leak: bool = False
    notes: list[str] = field(default_factory=list)
    leak_kinds: tuple[str, ...] = ()
    opened: bool = False  # this event opened a new ticket
    code: str | None = None  # one-time code check: ok | wrong | locked | expired | malformed


def _words(text: str) -> str:
    return re.sub(r"[\s!.,。！，?？]+", " ", text.strip().lower()).strip()


class SupportCore:
    """The use cases. One instance per process; stateless beyond its store.

    Args:
        settings: validated settings.
        store: an open store.
        faq: the FAQ engine.
        code_sender: where one-time codes go (webhook, or console in development).
        clock: seconds since the epoch (tests move time forward).
        metrics: where to count what happened (a private registry when omitted).
    """

    def __init__(
        self, settings: Settings, store: Store, faq: FaqEngine, *, code_sender: CodeSender,
        clock: Callable[[], float] = time.time, server_secret: bytes | None = None, metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.faq = faq
        self.code_sender = code_sender
        self.clock = clock
        self.identity = Identity(server_secret or settings.server_secret(), clock=clock)
        self.roster = StaffRoster(settings.staff_names)
        self.desk = ChatRef("console", "desk")
        self.link_templates: dict[str, str] = {}
        self._wakers: list[Callable[[], None]] = []
        self._staff_skeletons = set(self.roster.names)
        self._faq_memo: dict[tuple[str, str | None], FaqMatch] = {}
        self.metrics = metrics or Metrics()
        self.faq_library: FaqLibrary | None = None

    # wiring ----------------------------------------------------------------

    def set_desk(self, platform: str, channel: str) -> None:
        """Called by the adapter that hosts the staff desk (Slack, or the console)."""
        self.desk = ChatRef(platform, channel)

    def on_enqueue(self, waker: Callable[[], None]) -> None:
        """Register an outbox worker's wake-up so deliveries leave at once."""
        self._wakers.append(waker)

    def _wake(self) -> None:
        for waker in self._wakers:
            waker()

    def private_link(self, platform: str, ticket_id: int) -> str:
        template = self.link_templates.get(platform)
        return template.format(ticket_id=ticket_id) if template else ""

    async def ticket_for_desk_ref(self, desk_ref: str) -> Ticket | None:
        """The ticket whose desk root message is ``desk_ref`` (a Slack thread ts)."""
        async with self.store.transaction() as tx:
            found = await tx.ticket_by_desk_ref(desk_ref)
        return found

    # the user side -----------------------------------------------------------

    async def handle_message(self, msg: InboundMessage) -> Outcome:
        """A user's message from any platform, processed exactly once per event key."""
        outcome = await self._handle_message(msg)
        if outcome.status not in ("duplicate", "ignored"):
            self.metrics.messages_in.labels(msg.chat.platform).inc()
            self._observe(msg.chat.platform, outcome)
        return outcome

    def _observe(self, platform: str, outcome: Outcome) -> None:
        """Count a committed event's effects."""
        if outcome.faq is not None:
            result = "answered" if outcome.faq.answered else "abstained"
            self.metrics.faq.labels(result, outcome.faq.lang).inc()
        for kind in outcome.leak_kinds:
            self.metrics.shield.labels(kind).inc()
        if outcome.opened:
            self.metrics.tickets_opened.labels(platform).inc()
        if outcome.code in ("ok", "wrong", "locked", "expired"):
            self.metrics.otp.labels("verified" if outcome.code == "ok" else "failed").inc()

    async def _handle_message(self, msg: InboundMessage) -> Outcome:
        text = msg.text.strip()
        if not text:
            return Outcome("ignored")
        now = self.clock()
        effects = Effects(f"in:{msg.event_key}")
        command = _COMMAND_RE.match(text)
        probe = (command.group(2) or "") if command else text
        lang_guess = detect_lang(probe) if re.search(r"[A-Za-z\u4e00-\u9fff]", probe) else None
        if len(text) > self.settings.max_message_chars:
            async with self.store.transaction() as tx:
                if not await tx.claim_event(msg.event_key, now):
                    return Outcome("duplicate")
                lang = await self._user_lang(tx, msg, lang_guess)
                effects.send(msg.chat, t("error.too_long", lang, length=len(text), limit=self.settings.max_message_chars),
                             reply_to=msg.message_id)
                await effects.flush(tx, now)
            self._wake()
            return Outcome("rejected", notes=["too long"])

        scan = shield.scan(text)
        clean = scan.redacted if scan.leak else text
        outcome = Outcome("handled", leak=scan.leak, leak_kinds=scan.kinds)
        async with self.store.transaction() as tx:
            if not await tx.claim_event(msg.event_key, now):
                return Outcome("duplicate")
            lang = await self._user_lang(tx, msg, lang_guess)
            await self._flag_impostor(tx, msg, effects, now)
            if scan.leak:
                self._warn_leak(msg, lang, scan.kinds, effects)
                if not _meaningful(clean):
                    ticket = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key))
                    if ticket is not None:
                        effects.desk(self.desk, "desk_post", ticket.id,
                                     {"kind": "system", "text": t("desk.secret_removed", "en", kinds=", ".join(scan.kinds))})
                    await effects.flush(tx, now)
                    self._wake()
                    return outcome
            await self._route(tx, msg, clean, lang, effects, outcome, now)
            await effects.flush(tx, now)
        self._wake()
        return outcome

    async def _user_lang(self, tx: SqlTx, msg: InboundMessage, guess: str | None) -> str:
        row = await tx.get_user(msg.user.key)
        locale_lang = msg.locale.replace("_", "-").split("-")[0].lower() if msg.locale else None
        lang = guess or (row["lang"] if row else None) or (locale_lang if locale_lang in ("en", "zh") else None) or "en"
        await tx.upsert_user(msg.user, msg.display_name, lang, self.clock())
        return lang

    async def _flag_impostor(self, tx: SqlTx, msg: InboundMessage, effects: Effects, now: float) -> None:
        if not msg.display_name or not self._staff_skeletons or self.roster.is_staff(msg.user.key):
            return
        if self.roster.check(msg.display_name, msg.user.key) != "impostor":
            return
        # once per account and name, across every worker
        if await tx.claim_event(f"impostor:{msg.user.key}:{skeleton(msg.display_name)}", now):
            effects.send(self.desk, t("desk.impostor", "en", user=msg.user.key, name=msg.display_name[:80]))

    def _warn_leak(self, msg: InboundMessage, lang: str, kinds: tuple[str, ...], effects: Effects) -> None:
        names = ", ".join(dict.fromkeys(t(f"shield.kind.{k}", lang) for k in kinds))
        if msg.message_id:
            effects.delete(msg.chat, msg.message_id)
        warning = t("shield.warning", lang, kinds=names)
        if msg.chat.is_private:
            effects.send(msg.chat, warning)
        else:
            effects.dm(msg.user, warning)
            effects.send(msg.chat, t("shield.public_notice", lang))

    async def _route(self, tx: SqlTx, msg: InboundMessage, text: str, lang: str, effects: Effects, outcome: Outcome,
                     now: float) -> None:
        conv_chat = dm_chat(msg.user) if msg.chat.is_private else msg.chat
        state, data = await tx.get_conversation(msg.user.key, conv_chat.key)
        reply = lambda body: effects.send(msg.chat, body, reply_to=None if msg.chat.is_private else msg.message_id)  # noqa: E731

        # a code typed in public is burnt at once
        if not msg.chat.is_private and looks_like_code(text) and await self.identity.has_live_code(tx, msg.user.key):
            await self.identity.revoke_codes(tx, msg.user.key)
            if msg.message_id:
                effects.delete(msg.chat, msg.message_id)
            effects.dm(msg.user, t("verify.code_in_public", lang), fallback=msg.chat)
            outcome.notes.append("code in public")
            return

        if state == "awaiting_code" and msg.chat.is_private:
            if await self._try_code(tx, msg, text, lang, reply, conv_chat, now, outcome, effects):
                return
        if state == "awaiting_csat":
            rating = _RATING_RE.match(text)
            await tx.set_conversation(msg.user.key, conv_chat.key, "idle", {}, now)
            if rating and data.get("ticket_id"):
                await self._rate(tx, int(data["ticket_id"]), int(rating.group(1)), (rating.group(2) or "").strip(),
                                 msg, effects)
                reply(t("csat.thanks", lang))
                return
        if state == "offer_human":
            answer = _words(text)
            await tx.set_conversation(msg.user.key, conv_chat.key, "idle", {}, now)
            if answer in _YES:
                await self._open_ticket(tx, msg, data.get("question") or text, data.get("category"), lang, effects, outcome, now)
                return
            if answer in _NO:
                reply(t("human.declined", lang))
                return

        command = _COMMAND_RE.match(text)
        if command:
            name, arg = command.group(1).lower(), (command.group(2) or "").strip()
            if await self._command(tx, msg, name, arg, lang, effects, outcome, conv_chat, reply, now):
                return
        if _words(text) in _GREETINGS and (msg.chat.is_private or msg.addressed):
            reply(t("help", lang))
            return
        if _words(text) in _HUMAN_WORDS and (msg.chat.is_private or msg.addressed):
            await self._open_ticket(tx, msg, data.get("question") or text, data.get("category"), lang, effects, outcome, now)
            return

        if msg.chat.is_private:
            keys = await tx.linked_user_keys(msg.user.key)
            ticket = await tx.active_ticket_for(keys)
            if ticket is None:
                last = await tx.last_resolved_ticket_for(keys)
                if last and last.resolved_at and now - last.resolved_at <= self.settings.reopen_window_hours * 3600:
                    ticket = await self._transition(tx, last, "reopen", msg.user.key, None, now, effects)
                    reply(t("ticket.reopened", lang, ticket_id=ticket.id))
            if ticket is not None:
                await self._relay_user_message(tx, ticket, msg, text, now, effects)
                outcome.ticket_id = ticket.id
                return

        if not (msg.chat.is_private or msg.addressed or self.settings.group_auto_answer):
            return
        match = await self.ask(text, lang)
        outcome.faq = match
        await tx.record_faq_event(platform=msg.chat.platform, lang=match.lang, entry_id=match.id,
                                  confidence=match.confidence, answered=match.answered, now=now)
        if match.answered and match.answer:
            body = match.answer
            if match.escalate:
                body += "\n\n" + t("faq.escalate_hint", match.lang)
            reply(body)
            if match.escalate and msg.chat.is_private:
                await tx.set_conversation(msg.user.key, conv_chat.key, "idle", {"question": text, "category": match.id}, now)
        elif msg.chat.is_private:
            await tx.set_conversation(msg.user.key, conv_chat.key, "offer_human", {"question": text}, now)
            reply(t("faq.offer_human", lang))
        elif msg.addressed:
            reply(t("faq.group_offer_human", lang))

    async def ask(self, text: str, lang: str | None = None) -> FaqMatch:
        """FAQ lookup, memoised: communities ask the same few questions over and over."""
        key = (" ".join(text.split()).casefold(), lang)
        match = self._faq_memo.get(key)
        if match is None:
            match = self.faq.ask(text, lang=lang)
            if len(self._faq_memo) >= _FAQ_MEMO_SIZE:
                self._faq_memo.pop(next(iter(self._faq_memo)))
            self._faq_memo[key] = match
        return match

    # the FAQ while running ---------------------------------------------------

    def use_faq(self, engine: FaqEngine) -> None:
        """Answer from ``engine`` from now on (a hot reload); memoised answers go."""
        self.faq = engine
        self._faq_memo = {}
        self.metrics.faq_reloads.inc()

    def attach_faq_library(self, library: FaqLibrary) -> None:
        """Let ``library`` swap this core's FAQ and take staff-added phrasings."""
        self.faq_library = library
        library.on_swap = self.use_faq

    def _library(self) -> FaqLibrary:
        if self.faq_library is None:
            raise InvalidInput("FAQ editing is not enabled in this process", key="faqadmin.disabled")
        return self.faq_library

    async def add_faq_phrasing(self, admin: str, entry_id: str, text: str = "", *,
                               ticket_id: int | None = None) -> PhrasingAdded:
        """An admin teaches an entry another way to ask (see :meth:`FaqLibrary.add_phrasing`)."""
        return await self._library().add_phrasing(entry_id, text, actor=admin, ticket_id=ticket_id, now=self.clock())

    async def recent_faq_phrasings(self, limit: int = 10) -> list[dict[str, Any]]:
        return await self._library().recent_phrasings(limit)

    async def remove_faq_phrasing(self, admin: str, phrasing_id: int) -> dict[str, Any]:
        """Undo a phrasing an admin added. Raises NotFound (key ``faqadmin.no_phrasing``)."""
        return await self._library().remove_phrasing(phrasing_id, actor=admin)

    async def reload_faq(self) -> bool:
        """Rebuild the FAQ from its sources now. Raises FaqFileError on a bad file."""
        return await self._library().refresh(force=True)

    async def _command(self, tx: SqlTx, msg: InboundMessage, name: str, arg: str, lang: str, effects: Effects,
                       outcome: Outcome, conv_chat: ChatRef, reply: Callable[[str], None], now: float) -> bool:
        if name in ("start", "help"):
            if name == "start" and arg.startswith("ticket_"):
                ticket = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key))
                if ticket is not None:
                    reply(t("human.already_open", lang, ticket_id=ticket.id))
                    return True
            reply(t("help", lang))
            return True
        if name in ("human", "agent"):
            await self._open_ticket(tx, msg, arg or msg.text, None, lang, effects, outcome, now)
            return True
        if name == "ticket":
            ticket = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key))
            if ticket is None:
                reply(t("ticket.none", lang))
            else:
                reply(t("ticket.status", lang, ticket_id=ticket.id, state=t(f"state.{ticket.state.value}", lang)))
            return True
        if name == "verify":
            reply(self.check_staff(arg, lang))
            return True
        if name == "faq" and arg:
            match = await self.ask(arg, lang)
            outcome.faq = match
            reply(match.answer if match.answered and match.answer else t("faq.group_offer_human", lang))
            return True
        if name == "wallet" and msg.chat.is_private:
            ticket = await tx.active_ticket_for([msg.user.key])
            try:
                message = await self.identity.issue_challenge(tx, msg.user.key, ticket.id if ticket else None, arg)
            except InvalidInput as exc:
                reply(t(exc.key or "wallet.bad_address", lang))
                return True
            reply(t("wallet.challenge", lang, address=arg, message=message))
            return True
        if name == "signature" and msg.chat.is_private:
            try:
                address, ticket_id = await self.identity.verify_signature(tx, msg.user.key, arg)
            except InvalidInput as exc:
                reply(t(exc.key or "wallet.bad_signature", lang))
                return True
            if ticket_id is not None:
                await self._mark_verified(tx, ticket_id, f"wallet signature ({address[:6]}…{address[-4:]})", now, effects)
            reply(t("verify.ok", lang))
            return True
        if name == "link" and msg.chat.is_private:
            if arg:
                linked = await self.identity.redeem_link_code(tx, msg.user.key, arg)
                reply(t("link.ok" if linked else "link.bad", lang))
            else:
                try:
                    code = await self.identity.issue_link_code(tx, msg.user.key)
                except CodeRateLimited:
                    reply(t("verify.rate_limited", lang))
                    return True
                reply(t("link.code_sent", lang, platform="Telegram / Discord / Slack", code=code))
            return True
        return False

    def check_staff(self, name: str, lang: str, user_key: str | None = None) -> str:
        name = name.strip()
        if not name and not user_key:
            return t("staffcheck.usage", lang)
        verdict = self.roster.check(name, user_key)
        return t(f"staffcheck.{verdict}", lang, name=name[:80] or user_key)

    async def _try_code(self, tx: SqlTx, msg: InboundMessage, text: str, lang: str, reply: Callable[[str], None],
                        conv_chat: ChatRef, now: float, outcome: Outcome, effects: Effects) -> bool:
        result = await self.identity.check_code(tx, msg.user.key, text)
        if result.outcome is CodeCheck.MALFORMED and not re.fullmatch(r"[\d\s-]+", text):
            return False  # ordinary chat while a code is pending
        outcome.notes.append(f"code {result.outcome.value}")
        outcome.code = result.outcome.value
        if result.outcome is CodeCheck.OK:
            await tx.set_conversation(msg.user.key, conv_chat.key, "idle", {}, now)
            if result.ticket_id is not None:
                await self._mark_verified(tx, result.ticket_id, "code", now, effects)
            reply(t("verify.ok", lang))
        elif result.outcome is CodeCheck.WRONG:
            reply(t("verify.wrong", lang, tries_left=result.tries_left))
        elif result.outcome is CodeCheck.MALFORMED:
            reply(t("verify.malformed", lang, digits=6))
        else:
            await tx.set_conversation(msg.user.key, conv_chat.key, "idle", {}, now)
            reply(t("verify.locked" if result.outcome is CodeCheck.LOCKED else "verify.expired", lang))
        return True

    async def _mark_verified(self, tx: SqlTx, ticket_id: int, method: str, now: float, effects: Effects) -> None:
        ticket = await tx.get_ticket(ticket_id)
        if ticket is None or ticket.state in (TicketState.RESOLVED, TicketState.CLOSED):
            return
        await self._transition(tx, ticket, "verified", ticket.user.key, f"verified by {method}", now, effects,
                               verified_at=now, verified_method=method)
        effects.desk(self.desk, "desk_post", ticket_id, {"kind": "system", "text": f"✅ verified by {method}"})

    # tickets -----------------------------------------------------------------

    async def _open_ticket(self, tx: SqlTx, msg: InboundMessage, question: str, category: str | None, lang: str,
                           effects: Effects, outcome: Outcome, now: float, *, origin: ChatRef | None = None) -> Ticket:
        existing = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key))
        if existing is not None:
            effects.send(msg.chat, t("human.already_open", lang, ticket_id=existing.id))
            outcome.ticket_id = existing.id
            return existing
        if category is None:
            guess = await self.ask(question, lang)
            category = guess.id if guess.answered else None
        ticket = await tx.create_ticket(
            user=msg.user, origin=origin or msg.chat, origin_message_id=msg.message_id,
            priority=starting_priority(category), category=category, lang=lang, subject=question[:1000], now=now,
        )
        await tx.add_event(TicketEvent(ticket.id, "opened", msg.user.key, question, now))
        effects.desk(self.desk, "desk_upsert", ticket.id, await self._summary(tx, ticket))
        effects.desk(self.desk, "desk_post", ticket.id,
                     {"kind": "user", "text": t("desk.user_said", "en", user=msg.display_name or msg.user.key, text=question)})
        body = t("human.opened", lang, ticket_id=ticket.id)
        off = self.off_hours_notice(lang, now)
        if off:
            body += "\n\n" + off
        if (origin or msg.chat).is_private:
            effects.send(msg.chat, body, ticket_id=ticket.id)
        outcome.ticket_id = ticket.id
        outcome.opened = True
        return ticket

    async def _relay_user_message(self, tx: SqlTx, ticket: Ticket, msg: InboundMessage, text: str, now: float,
                                  effects: Effects) -> None:
        ticket = await self._transition(tx, ticket, "user_message", msg.user.key, text, now, effects)
        effects.desk(self.desk, "desk_post", ticket.id,
                     {"kind": "user", "text": t("desk.user_said", "en", user=msg.display_name or msg.user.key, text=text)})

    async def _transition(self, tx: SqlTx, ticket: Ticket, action: str, actor: str, body: str | None, now: float,
                          effects: Effects, *, internal: bool = False, **fields: Any) -> Ticket:
        new_state = next_state(ticket, action)
        changes: dict[str, Any] = {"updated_at": now, **fields}
        if new_state is not ticket.state:
            changes["state"] = new_state.value
            if new_state is TicketState.RESOLVED:
                changes["resolved_at"] = now
            elif new_state is TicketState.CLOSED:
                changes["closed_at"] = now
            elif action == "reopen":
                changes.update(resolved_at=None, closed_at=None)
        await tx.update_ticket(ticket.id, **changes)
        await tx.add_event(TicketEvent(ticket.id, action, actor, body, now, internal))
        updated = await tx.get_ticket(ticket.id)
        assert updated is not None
        if updated.state is not ticket.state or fields:
            effects.desk(self.desk, "desk_upsert", updated.id, await self._summary(tx, updated))
        return updated

    async def _summary(self, tx: SqlTx, ticket: Ticket) -> dict[str, object]:
        user = await tx.get_user(ticket.user.key)
        pending = await self.identity.has_live_code(tx, ticket.user.key)
        return desk_summary(
            ticket, display_name=(user or {}).get("display_name", ""), first_response_targets=self.settings.sla_first_response,
            verification_pending=pending, now=self.clock(),
        )

    async def escalate(self, *, moderator: UserRef, target: InboundMessage, note: str = "", event_key: str,
                       is_moderator: bool) -> Outcome:
        """A moderator passes a user's message to staff: a ticket with that message,
        a short public notice, and a private link for the user to continue."""
        if not is_moderator:
            raise InvalidInput(f"{moderator.key} is not a moderator", key="escalate.not_moderator")
        now = self.clock()
        scan = shield.scan(target.text)
        question = scan.redacted if scan.leak else target.text.strip()
        effects = Effects(f"esc:{event_key}")
        # no leak_kinds: the message was scanned and counted when it first came in
        outcome = Outcome("handled", leak=scan.leak)
        async with self.store.transaction() as tx:
            if not await tx.claim_event(f"esc:{event_key}", now):
                return Outcome("duplicate")
            lang = await self._user_lang(tx, target, detect_lang(question) if question else None)
            ticket = await self._open_ticket(tx, target, question[:4000] or "(no text)", None, lang, effects, outcome, now)
            if note:
                await tx.add_event(TicketEvent(ticket.id, "note", moderator.key, note[:2000], now, internal=True))
                effects.desk(self.desk, "desk_post", ticket.id, {"kind": "note", "text": f"{moderator.key}: {note[:2000]}"})
            if not target.chat.is_private:
                effects.send(
                    target.chat,
                    t("escalate.public_notice", lang, ticket_id=ticket.id, name=target.display_name or "",
                      link=self.private_link(target.chat.platform, ticket.id)),
                    reply_to=target.message_id,
                )
            await effects.flush(tx, now)
        self._wake()
        self._observe(target.chat.platform, outcome)
        return outcome

    # staff side -------------------------------------------------------------

    async def staff_action(self, staff: str, ticket_id: int, action: str, *, event_key: str, text: str = "",
                           priority: str | None = None, to: str | None = None, source_ref: str | None = None) -> Ticket:
        """One staff action on a ticket. Internal notes have no path to the user:
        ``note`` only writes the desk. Raises InvalidInput / IllegalTransition /
        NotFound with a one-line reason and changes nothing."""
        if action not in STAFF_ACTIONS:
            raise InvalidInput(f"unknown action {action!r}; use one of {', '.join(sorted(STAFF_ACTIONS))}")
        if len(text) > self.settings.max_message_chars:
            raise InvalidInput(f"text too long ({len(text)} > {self.settings.max_message_chars})")
        now = self.clock()
        effects = Effects(f"staff:{event_key}")
        code_to_send: tuple[str, float] | None = None
        async with self.store.transaction() as tx:
            ticket = await tx.get_ticket(ticket_id)
            if ticket is None:
                raise NotFound(f"no ticket #{ticket_id}")
            if not await tx.claim_event(f"staff:{event_key}", now):
                return ticket
            if action == "claim":
                ticket = await self._transition(tx, ticket, "claim", staff, None, now, effects, assignee=staff)
            elif action == "transfer":
                if not to:
                    raise InvalidInput("transfer needs a staff member to transfer to")
                ticket = await self._transition(tx, ticket, "transfer", staff, to, now, effects, assignee=to)
            elif action in ("reply", "canned"):
                body = self._canned(text, ticket, staff) if action == "canned" else text.strip()
                if not body:
                    raise InvalidInput("empty reply")
                scan = shield.scan(body)
                body = scan.redacted if scan.leak else body
                fields: dict[str, Any] = {}
                if ticket.first_response_at is None:
                    fields["first_response_at"] = now
                if ticket.assignee is None:
                    fields["assignee"] = staff
                ticket = await self._transition(tx, ticket, "staff_reply", staff, body, now, effects, **fields)
                send_to_user(effects, ticket, t("ticket.staff_reply", ticket.lang, text=body), ack_ref=source_ref)
                if action == "canned" or source_ref is None:  # not typed in the desk thread: show it there
                    effects.desk(self.desk, "desk_post", ticket.id, {"kind": "staff", "text": f"{staff}: {body}"})
            elif action == "note":
                if not text.strip():
                    raise InvalidInput("empty note")
                scan = shield.scan(text)
                note = scan.redacted if scan.leak else text.strip()
                ticket = await self._transition(tx, ticket, "note", staff, note, now, effects, internal=True)
                if source_ref is None:  # a note typed elsewhere (slash command) is shown in the thread
                    effects.desk(self.desk, "desk_post", ticket.id, {"kind": "note", "text": f"📝 {staff}: {note}"})
            elif action == "set_priority":
                try:
                    level = Priority(priority or text)
                except ValueError:
                    raise InvalidInput(f"unknown priority {priority or text!r}; use low, normal, high or urgent") from None
                ticket = await self._transition(tx, ticket, "set_priority", staff, level.value, now, effects,
                                                priority=level.value)
            elif action == "request_verification":
                next_state(ticket, "request_verification")
                try:
                    code_to_send = await self.identity.issue_code(tx, ticket.user.key, ticket.id)
                except CodeRateLimited:
                    raise InvalidInput("the user already had 3 codes in the last hour", key="verify.rate_limited") from None
                await tx.add_event(TicketEvent(ticket.id, "request_verification", staff, None, now))
                await tx.set_conversation(ticket.user.key, dm_chat(ticket.user).key, "awaiting_code",
                                          {"ticket_id": ticket.id}, now)
                send_to_user(effects, ticket, t("verify.code_sent", ticket.lang))
                effects.desk(self.desk, "desk_upsert", ticket.id, await self._summary(tx, ticket))
            elif action == "resolve":
                ticket = await self._transition(tx, ticket, "resolve", staff, text or None, now, effects)
                send_to_user(effects, ticket, t("ticket.resolved", ticket.lang, ticket_id=ticket.id))
                await tx.set_conversation(ticket.user.key, dm_chat(ticket.user).key, "awaiting_csat",
                                          {"ticket_id": ticket.id}, now)
            elif action == "close":
                ticket = await self._transition(tx, ticket, "close", staff, text or None, now, effects)
                send_to_user(effects, ticket, t("ticket.closed", ticket.lang, ticket_id=ticket.id))
            elif action == "reopen":
                ticket = await self._transition(tx, ticket, "reopen", staff, text or None, now, effects)
            await effects.flush(tx, now)
        if code_to_send is not None:
            code, expires = code_to_send
            try:
                await self.code_sender.send_code(user_key=ticket.user.key, ticket_id=ticket.id, code=code,
                                                 expires_at=expires, purpose="verify")
            except DeliveryError as exc:
                self.metrics.otp.labels("send_failed").inc()
                _LOGGER.error("ticket #%d: could not send the one-time code: %s", ticket.id, exc)
                raise InvalidInput(f"could not send the code: {exc}") from None
            self.metrics.otp.labels("sent").inc()
        self._wake()
        return ticket

    def _canned(self, name: str, ticket: Ticket, staff: str) -> str:
        entry = CANNED.get(name.strip().lower())
        if entry is None:
            raise InvalidInput(f"no canned reply {name!r}; available: {', '.join(sorted(CANNED))}")
        template = entry.get(ticket.lang) or entry["en"]
        return template.format(user="", ticket_id=ticket.id, agent=staff).replace(" ,", ",").replace("  ", " ")

    async def _rate(self, tx: SqlTx, ticket_id: int, rating: int, comment: str, msg: InboundMessage,
                    effects: Effects) -> None:
        ticket = await tx.get_ticket(ticket_id)
        if ticket is None or ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED):
            return
        await self._transition(tx, ticket, "rate", msg.user.key, f"{rating} {comment}".strip(), self.clock(), effects,
                               csat=rating, csat_comment=comment[:1000] or None)
        effects.desk(self.desk, "desk_post", ticket_id,
                     {"kind": "system", "text": t("desk.csat", "en", rating=rating, comment=comment[:300])})

    # deliveries and timers ----------------------------------------------------

    async def delivery_finished(self, delivery: Delivery, ok: bool, error: str | None, external_id: str | None) -> None:
        """Outbox callback: mark the staff message delivered, or warn the desk."""
        if delivery.ticket_id is None or delivery.action not in ("send", "dm"):
            return
        ack_ref = delivery.payload.get("ack_ref")
        if not ack_ref and ok:
            return
        now = self.clock()
        effects = Effects(f"ack:{delivery.id}")
        if ack_ref:
            effects.desk(self.desk, "desk_ack", delivery.ticket_id, {"ref": ack_ref, "ok": ok, "error": error or ""})
        if not ok:
            effects.desk(self.desk, "desk_post", delivery.ticket_id,
                         {"kind": "system", "text": t("desk.delivery_failed", "en", error=(error or "")[:200])})
        async with self.store.transaction() as tx:
            await effects.flush(tx, now)
        self._wake()

    async def run_timers(self) -> int:
        """SLA reminders and auto-close; each fires once across workers."""
        now = self.clock()
        fired = 0
        targets = self.settings.sla_first_response
        async with self.store.transaction() as tx:
            live = await tx.tickets(states=["open", "claimed", "waiting_on_user"])
            resolved = await tx.tickets(states=["resolved"])
            for ticket in live:
                if ticket.first_response_at is not None:
                    continue
                due = sla_due(ticket, targets)
                window = targets[ticket.priority.value]
                if now >= due and await tx.mark_sla_warned(ticket.id, 2):
                    effects = Effects(f"sla:{ticket.id}:2")
                    effects.desk(self.desk, "desk_post", ticket.id, {"kind": "system", "text": t(
                        "desk.sla_breach", "en", ticket_id=ticket.id, priority=ticket.priority.value)})
                    effects.desk(self.desk, "desk_upsert", ticket.id, await self._summary(tx, ticket))
                elif due - 0.2 * window <= now < due and await tx.mark_sla_warned(ticket.id, 1):
                    effects = Effects(f"sla:{ticket.id}:1")
                    effects.desk(self.desk, "desk_post", ticket.id, {"kind": "system", "text": t(
                        "desk.sla_warning", "en", ticket_id=ticket.id, priority=ticket.priority.value,
                        at=datetime.utcfromtimestamp(due).strftime("%H:%M UTC"))})
                else:
                    continue
                fired += await effects.flush(tx, now)
            window = self.settings.reopen_window_hours * 3600
            for ticket in resolved:
                if ticket.resolved_at and now - ticket.resolved_at > window:
                    effects = Effects(f"autoclose:{ticket.id}")
                    await self._transition(tx, ticket, "close", "system", "auto-close", now, effects)
                    fired += await effects.flush(tx, now)
        if fired:
            self._wake()
        return fired

    # support hours --------------------------------------------------------------

    def is_staffed(self, now: float) -> bool:
        hours = self.settings.hours
        local = datetime.fromtimestamp(now, ZoneInfo(self.settings.timezone))
        return local.weekday() in hours.days and hours.start <= local.time() < hours.end

    def off_hours_notice(self, lang: str, now: float) -> str | None:
        if self.is_staffed(now):
            return None
        hours = self.settings.hours
        tz = ZoneInfo(self.settings.timezone)
        local = datetime.fromtimestamp(now, tz)
        for days in range(0, 8):
            day = (local + timedelta(days=days)).replace(hour=hours.start.hour, minute=hours.start.minute, second=0,
                                                         microsecond=0)
            if day.weekday() in hours.days and day > local:
                return t("human.off_hours", lang, hours=hours.spec, tz=self.settings.timezone,
                         next_open=day.strftime("%a %Y-%m-%d %H:%M"))
        return None


def _meaningful(text: str) -> bool:
    stripped = re.sub(r"\[redacted[^\]]*\]", "", text)
    return bool(re.search(r"[A-Za-z\u4e00-\u9fff]{2,}", stripped))
