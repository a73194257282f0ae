"""Chat with the bot in a terminal, through the same core path as the platforms.

Lines are the user's messages; with piped input it reads to the end and exits 0.
It also hosts the staff desk when no Slack desk is configured: desk lines are
printed with a ``[desk]`` prefix and ``/desk <action> <ticket> [text]`` acts as
staff (claim, reply, note, resolve, close, request_verification, ...).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING

from core.errors import InvalidInput, WalletdeskError
from core.i18n import t
from core.models import ChatRef, Delivery, DeliveryResult, InboundMessage, UserRef
from core.identity.policy import Actor

if TYPE_CHECKING:
    from core.config import Settings
    from core.use_cases import UseCases

__all__ = ["ConsoleAdapter"]

_LOGGER = logging.getLogger(__name__)

PROMPT = "you> "
USER = UserRef("console", "local")
CHAT = ChatRef("console", "local", is_private=True)


class ConsoleAdapter:
    name = "console"
    platform = "console"
    is_desk = True

    def __init__(self, core: "UseCases", *, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> None:
        self.core = core
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.connected = True
        self._counter = 0
        self._session = uuid.uuid4().hex[:8]
        self._waiting = False  # the prompt is on screen, waiting for a line
        self.log_file: Path | None = None  # where the service logs while the chat runs, if not to the terminal

    @staticmethod
    def configured(settings: "Settings") -> bool:
        return True

    def claim_desk(self) -> None:
        if self.core.desk.chat.platform == "console":
            self.core.desk.host("console", "desk")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def pending_prompt(self) -> str:
        """The prompt on screen now, if any: a warning printed over it puts it back."""
        return PROMPT if self._waiting else ""

    def _print_desk(self, lines: list[str]) -> None:
        self._print("\n".join(f"[desk] {line}" for line in lines))

    def _print(self, line: str) -> None:
        self.stdout.write(line + "\n")
        self.stdout.flush()

    async def deliver(self, delivery: Delivery, *, desk_ref: str | None = None) -> DeliveryResult:
        text = str(delivery.payload.get("text", ""))
        if delivery.action in ("send", "dm"):
            if delivery.chat_id == "desk":
                self._print(f"[desk] {text}")
            else:
                self._print(f"bot> {text}")
        elif delivery.action == "desk_upsert":
            lines = [str(delivery.payload.get("title")), *str(delivery.payload.get("text", "")).split("\n")]
            lines.extend(str(delivery.payload[k]) for k in ("chain", "tags", "linked", "earlier", "parked", "blocked")
                         if delivery.payload.get(k))
            self._print_desk(lines)
            return DeliveryResult(external_id=f"console-{delivery.ticket_id}")
        elif delivery.action == "desk_post":
            self._print(f"[desk #{delivery.ticket_id}] {text}")
        elif delivery.action == "desk_file":  # a terminal shows the line, not the bytes
            self._print(f"[desk #{delivery.ticket_id}] {text}")
        elif delivery.action == "desk_ack":
            mark = "delivered" if delivery.payload.get("ok") else f"NOT delivered: {delivery.payload.get('error')}"
            self._print(f"[desk #{delivery.ticket_id}] ({mark})")
        elif delivery.action == "desk_delete":
            self._print(f"[desk #{delivery.ticket_id}] (a line above was removed: it held part of a secret)")
        elif delivery.action == "delete":
            self._print("bot> (your message was removed)")
        return DeliveryResult(external_id=f"console-{delivery.id}")

    async def handle_line(self, line: str) -> None:
        self._counter += 1
        key = f"console:{self._session}:{self._counter}"
        if line.startswith("/desk "):
            await self._staff(line[6:].strip(), key)
            return
        msg = InboundMessage(event_key=key, user=USER, chat=CHAT, text=line, message_id=str(self._counter),
                             display_name="you", addressed=True)
        await self.core.dialogue.handle_message(msg)

    async def _desk_book(self, command: str) -> bool:
        """``/desk snippet list|show|add|edit|remove ...`` (a snippet sent to a ticket is
        ``/desk snippet <ticket> <name>``) and ``/desk shift on|off``; False for anything else."""
        word, _, rest = command.partition(" ")
        operator = Actor.at_desk(self.core.policy.console_operator)
        if word == "snippet" and not rest.strip().lstrip("#").split(" ")[0].isdigit():
            self._print_desk((await self.core.snippets.command(operator, rest, "en")).splitlines())
            return True
        if word == "shift":
            try:
                self._print_desk([await self.core.assignment.shift(operator, rest, "en")])
            except WalletdeskError as exc:
                self._print(f"[desk] error: {exc}")
            return True
        return False

    async def _staff(self, command: str, key: str) -> None:
        if await self._desk_book(command):
            return
        if command.split(maxsplit=1)[0] == "list":  # the queue: /desk list [filter]
            try:
                listing = await self.core.queue.listing(Actor.at_desk(self.core.policy.console_operator),
                                                        command[4:].strip(), "en")
            except WalletdeskError as exc:
                listing = f"error: {exc}"
            self._print_desk(listing.splitlines())
            return
        words = command.split(maxsplit=2)
        by_ticket = len(words) > 1 and words[1].lstrip("#").isdigit()  # /desk block 12 [reason]: the ticket's user
        if words[0] in ("block", "unblock", "blocked") and not by_ticket:  # /desk block <user> [reason]
            self._print_desk((await self._block(command)).splitlines())
            return
        parts = command.split(maxsplit=2)
        if len(parts) < 2 or not parts[1].lstrip("#").isdigit():
            self._print("[desk] usage: /desk <claim|reply|note|resolve|close|reopen|request_verification|request_wallet|set_priority|snippet|tag|transfer|lookup|wait|snooze|block|unblock> <ticket> [text] | /desk list [filter] | /desk block|unblock <user> [reason] | /desk blocked")
            return
        action, ticket, text = parts[0], int(parts[1].lstrip("#")), parts[2] if len(parts) > 2 else ""
        try:
            await self.core.staff.act(Actor.at_desk(self.core.policy.console_operator), ticket, action,
                                      event_key=key, text=text, priority=text if action == "set_priority" else None,
                                      to=text if action == "transfer" else None)
        except WalletdeskError as exc:
            self._print(f"[desk] error: {exc}")

    async def _block(self, command: str) -> str:
        verb, _, rest = command.partition(" ")
        who, _, reason = rest.strip().partition(" ")
        operator = Actor.at_desk(self.core.policy.console_operator)
        self._counter += 1
        key = f"console:{self._session}:{self._counter}"
        try:
            if verb == "blocked" or not who:
                return await self.core.blocking.listing(operator, "en")
            if verb == "block":
                return t("abuse.blocked_done", "en", user=await self.core.blocking.block(operator, who, reason,
                                                                                          event_key=key))
            return t("abuse.unblocked_done", "en", user=await self.core.blocking.unblock(operator, who, event_key=key))
        except InvalidInput as exc:
            return t(exc.key, "en", **exc.params) if exc.key else f"error: {exc}"

    async def chat(self, drain: "asyncio.Callable[[], asyncio.Future[object]] | None" = None) -> None:
        """Read lines until end of input. ``drain`` delivers what each line queued,
        so output stays in conversation order."""
        interactive = self.stdin.isatty()
        if interactive:
            self._print("walletdesk console — type a question, 'human' for staff, Ctrl-D to quit.")
            if self.log_file is not None:
                self._print(f"(logs: {self.log_file})")
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                self.stdout.write(PROMPT)
                self.stdout.flush()
            self._waiting = interactive
            try:
                line = await loop.run_in_executor(None, self.stdin.readline)
            finally:
                self._waiting = False
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            await self.handle_line(line)
            if drain is not None:
                await drain()
