"""A user's message from any platform, processed exactly once per event key:
the shield gate first, then the handlers in order, in one transaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from core.conversation.acts import Act, classify
from core.conversation.bot_part import record_bot_part
from core.conversation.context import expects_tx_hash, forget_lines, prepare, remember_exchange
from core.conversation.gatekeeper import Gatekeeper, delete_leak
from core.conversation.handlers import Handler, Prefetching, default_handlers, open_urgent
from core.conversation.images import ImageCheck
from core.conversation.outage_delete import DirectDelete
from core.conversation.services import Services
from core.conversation.turn import Turn, parse_command, words
from core.errors import InvalidInput, NotFound, StoreError
from core.i18n import CATALOG, t
from core.identity.roster import skeleton
from core.lang import detect_lang
from core.models import ChatRef, InboundMessage
from core.ops.metrics import Metrics
from core.shield.findings import MARKERS
from core.shield.gate import Guarded, PhraseWindow, RecentParts, TextSource, guard, guard_sender
from core.conversation.shared_window import guard_shared, wants_shared_window
from core.storage import SqlTx, Store
from core.support.outbox import Effects
from core.support.outcome import Outcome, observe
from core.support.relay import dm_chat
from core.support.users import remember_user

__all__ = ["Dialogue"]

_LOGGER = logging.getLogger(__name__)
_LETTERS_RE = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_WORD_RE = re.compile(r"\b[A-Za-z]{2,}\b")  # words, not the letters inside a hash
_SCAN_LIMIT = 100_000  # longer than any platform sends (Slack: 40,000)


class Dialogue:
    def __init__(self, services: Services, store: Store, metrics: Metrics, clock: Callable[[], float],
                 wake: Callable[[], None], handlers: Sequence[Handler] | None = None,
                 images: ImageCheck | None = None) -> None:
        self.services = services
        self.images = images  # where a message's images are checked (their leaks come back to image_leaked)
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.wake = wake
        self.handlers = tuple(handlers or default_handlers(services.settings, services.chain))
        self.prefetchers = tuple(h for h in self.handlers if isinstance(h, Prefetching))
        # a phrase sent in pieces: this process's recent word-list-only messages per user and chat
        self.window = PhraseWindow()
        # ... or, where several processes share a chat's traffic, in the store (core/conversation/shared_window.py)
        self.shared_window = wants_shared_window(services.settings, store)
        # a secret in a group while the store is down: deleted straight through the platform
        self.direct_delete = DirectDelete(_SCAN_LIMIT)
        # blocked users and floods: shielded, then neither answered nor relayed
        self.gate = Gatekeeper(services.settings, services.desk, clock)

    async def handle_message(self, msg: InboundMessage) -> Outcome:
        """Raises:
            StoreError: the store failed; nothing of the message was kept (its event
                key neither), so the adapter has the platform redeliver it, or retries.
        """
        msg = guard_sender(msg)
        try:
            outcome = await self._handle(msg)
        except StoreError as exc:
            if not isinstance(exc, NotFound):
                self.metrics.inbound_store_failures.labels(msg.chat.platform).inc()
                await self.direct_delete.after_store_failure(msg)
            raise
        if msg.images and self.images is not None and outcome.status != "duplicate" and not outcome.leak:
            # the text is handled (and answered) already; the images are read in the
            # background, so neither this user's nor anyone else's messages wait for OCR
            # (a message whose text leaked is deleted already, its images with it)
            if self.images.submit(msg):
                outcome.notes.append(f"{len(msg.images)} image(s) to check")
        if outcome.status not in ("duplicate", "ignored"):
            self.metrics.messages_in.labels(msg.chat.platform).inc()
            observe(self.metrics, msg.chat.platform, outcome)
        return outcome

    async def _handle(self, msg: InboundMessage) -> Outcome:
        text = msg.text.strip()
        now = self.clock()
        if not text:
            return await self._images_only(msg, now) if msg.images else Outcome("ignored")
        effects = Effects(f"in:{msg.event_key}")
        command = parse_command(text)
        probe = command[1] if command else text
        lang_guess = detect_lang(probe) if _LETTERS_RE.search(probe) else None
        if lang_guess == "en" and (classify(probe) is not Act.OTHER or len(_WORD_RE.findall(probe)) <= 2):
            lang_guess = None  # "ok", "human", "TRC20", a hash after Chinese: keep the conversation's language
        limit = self.services.settings.max_message_chars
        if len(text) > limit:
            # scanned all the same (Slack takes 40,000 characters): a long paste may hold a phrase
            leaked = guard(text[:_SCAN_LIMIT], TextSource.MESSAGE)
            async with self.store.transaction() as tx:
                if not await tx.claim_event(msg.event_key, now):
                    return Outcome("duplicate")
                lang = await remember_user(tx, msg, lang_guess, now)
                stop = await self.gate.stopped(tx, msg, lang, effects)
                if stop == "blocked":
                    delete_leak(msg, leaked, effects)
                elif leaked.leak:
                    self._warn_leak(msg, lang, leaked.kinds, effects)
                elif stop is None:
                    effects.send(msg.chat, t("error.too_long", lang, length=len(text), limit=limit),
                                 reply_to=msg.message_id)
                await effects.flush(tx, now)
            self.wake()
            return Outcome("rejected", notes=["too long"], leak=leaked.leak, leak_kinds=leaked.kinds)

        conv_chat = dm_chat(msg.user) if msg.chat.is_private else msg.chat
        expect_hash = False
        if msg.chat.is_private:
            async with self.store.transaction() as tx:
                expect_hash = await expects_tx_hash(tx, msg, conv_chat.key, now)
        chain = self.services.chain
        if chain is not None and chain.knows_hash_in(text):  # found on a chain: a tx hash, not a key
            expect_hash = True
        if msg.message_id and self.shared_window:  # several processes share the chat: the window is in the store
            guarded = await guard_shared(self.store, msg, text, expect_tx_hash=expect_hash, now=now)
        else:
            recent = RecentParts(self.window, msg.user.key, msg.chat.key, msg.message_id) if msg.message_id else None
            guarded = guard(text, TextSource.MESSAGE, expect_tx_hash=expect_hash, recent=recent)
        outcome = Outcome("handled", leak=guarded.leak, leak_kinds=guarded.kinds)
        guarded_command = parse_command(guarded.text)
        fetched = await self._prefetch(guarded, guarded_command is not None, msg.chat.is_private)
        async with self.store.transaction() as tx:
            if not await tx.claim_event(msg.event_key, now):
                return Outcome("duplicate")
            lang = await remember_user(tx, msg, lang_guess, now)
            turn = Turn(msg, guarded.text, lang, tx, effects, outcome, now,
                        await tx.get_conversation(msg.user.key, conv_chat.key), conv_chat, guarded_command,
                        words(guarded.text), fetched=fetched)
            stop = await self.gate.stopped(tx, msg, lang, effects)
            if stop is not None:  # still shielded: a blocked user is not warned (the bot is silent for them)
                if guarded.leak and stop == "blocked":
                    delete_leak(msg, guarded, effects)
                elif guarded.leak:
                    self._warn_leak(msg, lang, guarded.kinds, effects, guarded.earlier_parts)
                await self._scrub_earlier_parts(turn, guarded)
                await turn.save()
                await effects.flush(tx, now)
                self.wake()
                return Outcome("rejected", notes=[stop], leak=guarded.leak, leak_kinds=guarded.kinds)
            await self._flag_impostor(tx, msg, effects, now)
            if guarded.leak:
                self._warn_leak(msg, lang, guarded.kinds, effects, guarded.earlier_parts)
                await self._scrub_earlier_parts(turn, guarded)
                if msg.chat.is_private and "seed_phrase" in guarded.kinds:
                    # a phrase the user just leaked: an urgent ticket at once, no second step
                    await prepare(turn, self.services.settings.reopen_window_hours)
                    await open_urgent(turn, self.services, "a leaked recovery phrase")
                    await record_bot_part(turn)
                    await turn.save()
                    await effects.flush(tx, now)
                    self.wake()
                    return outcome
                if not _meaningful(guarded.text):
                    await self._tell_desk_secret_removed(tx, msg, guarded, effects)
                    await effects.flush(tx, now)
                    self.wake()
                    return outcome
            await prepare(turn, self.services.settings.reopen_window_hours)
            await self._run_handlers(turn)
            await record_bot_part(turn)
            remember_exchange(turn)
            await turn.save()
            await effects.flush(tx, now)
        self.wake()
        return outcome

    async def _images_only(self, msg: InboundMessage, now: float) -> Outcome:
        """A photo without a caption: claimed like a message (a redelivery is
        refused), the user remembered; the images are checked after this."""
        async with self.store.transaction() as tx:
            if not await tx.claim_event(msg.event_key, now):
                return Outcome("duplicate")
            await remember_user(tx, msg, None, now)
        return Outcome("handled", notes=["images only"])

    async def image_leaked(self, msg: InboundMessage, kinds: tuple[str, ...]) -> Outcome:
        """An image of ``msg`` held a secret (:mod:`core.conversation.images` read it):
        what a text with that secret gets, once per message. The message is deleted
        and the user warned; in a private chat a recovery phrase opens an urgent
        ticket, whose text is the shield's markers (nothing of the image)."""
        msg = guard_sender(msg)  # already guarded when it comes from handle_message; a name is kept
        now = self.clock()
        effects = Effects(f"image:{msg.event_key}")
        outcome = Outcome("handled", leak=True, leak_kinds=kinds, notes=["image"])
        text = " ".join(MARKERS[k] for k in kinds)
        async with self.store.transaction() as tx:
            if not await tx.claim_event(f"image:{msg.event_key}", now):
                return Outcome("duplicate")
            lang = await remember_user(tx, msg, None, now)
            if await tx.block_of(await tx.confirmed_user_keys(msg.user.key)) is not None:
                delete_leak(msg, Guarded(text, True, kinds, TextSource.MESSAGE), effects)  # and no ticket
                await effects.flush(tx, now)
                self.wake()
                return outcome
            self._warn_leak(msg, lang, kinds, effects)
            if msg.chat.is_private and "seed_phrase" in kinds:
                conv_chat = dm_chat(msg.user)
                turn = Turn(msg, text, lang, tx, effects, outcome, now,
                            await tx.get_conversation(msg.user.key, conv_chat.key), conv_chat, None, words(text))
                await prepare(turn, self.services.settings.reopen_window_hours)
                await open_urgent(turn, self.services, "a photo of a recovery phrase")
                await record_bot_part(turn)
                await turn.save()
            else:
                await self._tell_desk_secret_removed(tx, msg, Guarded(text, True, kinds, TextSource.MESSAGE), effects)
            await effects.flush(tx, now)
        self.wake()
        observe(self.metrics, msg.chat.platform, outcome)
        return outcome

    async def _prefetch(self, guarded: Guarded, is_command: bool, private: bool) -> dict[str, object]:
        """Network answers for the handlers that want one, outside any transaction."""
        if guarded.leak or is_command:
            return {}
        return {h.key: await h.prefetch(guarded.text) for h in self.prefetchers if h.wants(guarded.text, private)}

    async def _run_handlers(self, turn: Turn) -> None:
        for handler in self.handlers:
            if not handler.match(turn):
                continue
            try:
                if await handler.handle(turn, self.services):
                    return
            except InvalidInput as exc:
                self.on_error(turn, exc)
                return

    def on_error(self, turn: Turn, exc: InvalidInput) -> None:
        """The one error hook: a refusal a user may see is answered in their
        language; anything else propagates (the transaction rolls back and the
        platform redelivers)."""
        _LOGGER.info("conversation: %s refused: %s", turn.msg.event_key, exc)
        known = exc.key is not None and exc.key in CATALOG
        turn.reply(t(exc.key, turn.lang, **exc.params) if known else t("error.generic", turn.lang))  # type: ignore[arg-type]

    async def _tell_desk_secret_removed(self, tx: SqlTx, msg: InboundMessage, guarded: Guarded,
                                        effects: Effects) -> None:
        ticket = await tx.active_ticket_for(await tx.linked_user_keys(msg.user.key))
        if ticket is not None:
            self.services.desk.post(effects, ticket.id, "system",
                                    t("desk.secret_removed", "en", kinds=", ".join(guarded.kinds)))

    async def _flag_impostor(self, tx: SqlTx, msg: InboundMessage, effects: Effects, now: float) -> None:
        roster = self.services.roster
        if not msg.display_name or not roster.names or roster.is_staff(msg.user.key):
            return
        if roster.check(msg.display_name, msg.user.key) != "impostor":
            return
        # once per account and name, across every worker
        if await tx.claim_event(f"impostor:{msg.user.key}:{skeleton(msg.display_name)}", now):
            effects.send(self.services.desk.chat, t("desk.impostor", "en", user=msg.user.key, name=msg.display_name[:80]))

    @staticmethod
    async def _scrub_earlier_parts(turn: Turn, guarded: Guarded) -> None:
        """The earlier pieces of a phrase sent in parts were let through alone: their
        copies in the conversation's history and the user's open ticket (events,
        unsent desk lines) go too, and desk lines already posted are deleted."""
        if not guarded.earlier_texts:
            return
        await forget_lines(turn, guarded.earlier_texts)
        tx, user = turn.tx, turn.msg.user.key
        ticket = await tx.active_ticket_for(await tx.linked_user_keys(user))
        if ticket is not None:
            for line in await tx.sent_desk_lines_holding(ticket.id, guarded.earlier_texts):
                turn.effects.desk(ChatRef(line.platform, line.chat_id), "desk_delete", ticket.id,
                                  {"message_id": line.external_id})
            await tx.scrub_message_parts(ticket.id, user, guarded.earlier_texts)

    def _warn_leak(self, msg: InboundMessage, lang: str, kinds: tuple[str, ...], effects: Effects,
                   earlier_parts: tuple[str, ...] = ()) -> None:
        """Delete the message (and the earlier messages that held parts of the same
        phrase) and say so, or, where the adapter cannot delete it, say honestly that
        it is still there and tell the moderators on the desk."""
        names = ", ".join(dict.fromkeys(t(f"shield.kind.{k}", lang) for k in kinds))
        removed = msg.can_delete
        if removed and msg.message_id:
            for part in (*earlier_parts, msg.message_id):
                effects.delete(msg.chat, part)
        warning = t("shield.warning" if removed else "shield.warning_not_removed", lang, kinds=names)
        if msg.chat.is_private:
            effects.send(msg.chat, warning)
        else:
            effects.dm(msg.user, warning)
            effects.send(msg.chat, t("shield.public_notice" if removed else "shield.public_notice_not_removed", lang))
        if not removed:
            effects.send(self.services.desk.chat, t("desk.secret_not_removed", "en", kinds=", ".join(kinds),
                                                    user=msg.user.key, chat=msg.chat.key, message=msg.message_id or "-"))


def _meaningful(text: str) -> bool:
    stripped = re.sub(r"\[redacted[^\]]*\]", "", text)
    return bool(re.search(r"[A-Za-z\u4e00-\u9fff]{2,}", stripped))
