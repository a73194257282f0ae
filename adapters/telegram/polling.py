"""Long polling that confirms an update to Telegram only once it was handled.

python-telegram-bot's ``Updater`` confirms every update it fetched with its
next ``getUpdates`` (the ``offset``), before the application has handled it:
an update whose handling failed because the store was down would be gone. This
poller hands each update to the adapter in order and moves the offset past it
only when the adapter says it is done with it. When the store is down it waits
(doubling the wait, up to a ceiling) and asks again from that same update, so
Telegram hands it over again; the core's ``telegram:update:<id>`` event key
makes the handling that succeeds the only one. Telegram keeps unconfirmed
updates for 24 hours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

__all__ = ["Poller"]

_LOGGER = logging.getLogger(__name__)


class Poller:
    """``getUpdates`` in a loop, one update at a time.

    Args:
        bot: the initialised bot.
        handle: handles one update; False when it could not be kept (the store is
            down) and must be fetched again.
        allowed_updates: the update types to ask for.
        timeout: the long-poll timeout in seconds.
        retry: (first, longest) wait in seconds between two tries after a failure.
    """

    def __init__(self, bot: Bot, handle: Callable[[Update], Awaitable[bool]], *, allowed_updates: Sequence[str],
                 timeout: int = 10, retry: tuple[float, float] = (0.2, 30.0)) -> None:
        self.bot = bot
        self.handle = handle
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.retry = retry
        self.offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._handling = False
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop after the update being handled (a long poll or a wait is cut short),
        then confirm what was handled, so the next start does not fetch it again."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        if not self._handling:
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if self.offset is not None:
            try:
                await self.bot.get_updates(offset=self.offset, timeout=0, limit=1,
                                           allowed_updates=self.allowed_updates)
            except TelegramError as exc:  # the next start fetches them again: handled once all the same
                _LOGGER.info("telegram: could not confirm the last updates: %s", type(exc).__name__)

    async def _run(self) -> None:
        fetch_wait = store_wait = self.retry[0]
        while not self._stopping:
            updates: Sequence[Update | int]
            try:
                updates = await self.bot.get_updates(offset=self.offset, timeout=self.timeout,
                                                     allowed_updates=self.allowed_updates)
            except InvalidToken:
                _LOGGER.error("telegram: the token was revoked; polling stopped")
                return
            except RetryAfter as exc:
                retry = exc.retry_after
                await asyncio.sleep(retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry))
                continue
            except TelegramError as exc:  # network trouble, 5xx, another poller (409)
                _LOGGER.warning("telegram: getUpdates failed (%s); trying again in %.1fs", exc, fetch_wait)
                await asyncio.sleep(fetch_wait)
                fetch_wait = min(self.retry[1], fetch_wait * 2)
                continue
            except Exception:  # an update the library cannot parse: read them one by one
                updates = await self._fetch_raw()
                if not updates:
                    await asyncio.sleep(fetch_wait)
                    fetch_wait = min(self.retry[1], fetch_wait * 2)
                    continue
            fetch_wait = self.retry[0]
            for update in updates:
                if isinstance(update, int):  # unreadable: confirmed without handling, or it comes back forever
                    _LOGGER.error("telegram: update %s cannot be read; skipped", update)
                    self.offset = update + 1
                    continue
                self._handling = True
                try:
                    kept = await self.handle(update)
                finally:
                    self._handling = False
                if self._stopping:
                    if kept:
                        self.offset = update.update_id + 1
                    return
                if not kept:
                    _LOGGER.warning("telegram: update %s not kept; fetching it again in %.1fs",
                                    update.update_id, store_wait)
                    await asyncio.sleep(store_wait)
                    store_wait = min(self.retry[1], store_wait * 2)
                    break
                self.offset = update.update_id + 1
                store_wait = self.retry[0]

    async def _fetch_raw(self) -> list[Update | int]:
        """The next updates parsed one at a time: an update that does not parse is
        given as its id alone (its body is not logged: it may hold a secret)."""
        try:
            raw = await self.bot.do_api_request(
                "getUpdates", api_kwargs={"offset": self.offset, "timeout": 0, "allowed_updates": self.allowed_updates})
        except TelegramError:
            return []
        parsed: list[Update | int] = []
        for item in raw if isinstance(raw, list) else []:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int):
                break  # nothing to move the offset past
            try:
                update = Update.de_json(item, self.bot)
            except Exception:
                update = None
            parsed.append(update if update is not None else update_id)
        return parsed
