"""Platform-neutral domain values. Frozen, slotted, no behaviour beyond derivations."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = [
    "ChatRef",
    "Conversation",
    "ConversationState",
    "Delivery",
    "DeliveryResult",
    "FileBlob",
    "InboundImage",
    "InboundMessage",
    "Priority",
    "Ticket",
    "TicketEvent",
    "TicketState",
    "UserRef",
]


@dataclass(frozen=True, slots=True)
class UserRef:
    """One account on one platform (``telegram:12345``)."""

    platform: str
    user_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @classmethod
    def parse(cls, key: str) -> "UserRef":
        platform, sep, user_id = key.partition(":")
        if not sep or not platform or not user_id:
            raise ValueError(f"expected <platform>:<id>, got {key!r}")
        return cls(platform, user_id)


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where a message lives: a chat, optionally a thread inside it."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    is_private: bool = False

    @property
    def key(self) -> str:
        base = f"{self.platform}:{self.chat_id}"
        return f"{base}:{self.thread_id}" if self.thread_id else base


@dataclass(frozen=True, slots=True)
class InboundImage:
    """An image attached to a user's message, as the platform announced it (not downloaded).

    ``ref`` is the adapter's own handle to fetch it with (a Telegram file_id, a
    Discord attachment URL, a Slack ``url_private``); the core only hands it
    back to the adapter's fetcher. ``size`` is in bytes, when the platform says.
    """

    ref: str
    content_type: str | None = None
    size: int | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A user's message as every adapter reports it.

    ``event_key`` is the platform's idempotency key (Telegram update_id, Slack
    event_id, Discord message or interaction id); the store refuses it twice.
    """

    event_key: str
    user: UserRef
    chat: ChatRef
    text: str
    message_id: str | None = None
    display_name: str = ""
    locale: str | None = None
    addressed: bool = False  # mention, reply to the bot, DM, slash command
    is_moderator: bool = False
    can_delete: bool = True  # the adapter can remove it (a Slack bot token cannot remove people's messages)
    images: tuple[InboundImage, ...] = ()  # photos and image files posted with it (read by the shield's OCR)


class ConversationState(enum.StrEnum):
    """Where a user's private conversation with the bot stands."""

    IDLE = "idle"
    OFFER_HUMAN = "offer_human"  # the bot offered a human; a yes opens a ticket
    AWAITING_CODE = "awaiting_code"  # staff asked for a one-time code
    AWAITING_CSAT = "awaiting_csat"  # a ticket was resolved; a 1-5 rates it
    CONFIRM_REOPEN = "confirm_reopen"  # after resolve: reopen ticket #N, or a new question?


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation's state and what it remembers (stored as JSON)."""

    state: ConversationState = ConversationState.IDLE
    question: str | None = None  # the question a human was offered for
    category: str | None = None  # the FAQ entry that question matched
    ticket_id: int | None = None  # the ticket a code or a rating is for
    memo: dict[str, object] = field(default_factory=dict)  # what the conversation layer remembers (JSON values)

    @classmethod
    def from_row(cls, state: str, data: dict[str, object]) -> "Conversation":
        try:
            parsed = ConversationState(state)
        except ValueError:  # a state an older version wrote: start over
            return cls()
        ticket_id = data.get("ticket_id")
        memo = data.get("memo")
        return cls(parsed, _str_or_none(data.get("question")), _str_or_none(data.get("category")),
                   int(ticket_id) if isinstance(ticket_id, (int, str)) and str(ticket_id).isdigit() else None,
                   dict(memo) if isinstance(memo, dict) else {})

    def data(self) -> dict[str, object]:
        fields = {"question": self.question, "category": self.category, "ticket_id": self.ticket_id,
                  "memo": self.memo or None}
        return {k: v for k, v in fields.items() if v is not None}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


class TicketState(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_ON_USER = "waiting_on_user"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return ("low", "normal", "high", "urgent").index(self.value)


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    user: UserRef
    origin: ChatRef
    origin_message_id: str | None
    state: TicketState
    priority: Priority
    category: str | None
    lang: str
    subject: str
    assignee: str | None
    verified_at: float | None
    verified_method: str | None
    created_at: float
    updated_at: float
    first_response_at: float | None = None
    resolved_at: float | None = None
    closed_at: float | None = None
    desk_ref: str | None = None  # the staff desk's handle (Slack root ts)
    csat: int | None = None
    csat_comment: str | None = None


@dataclass(frozen=True, slots=True)
class TicketEvent:
    ticket_id: int
    kind: str  # transition name, "user_message", "staff_reply", "note", ...
    actor: str
    body: str | None
    at: float
    internal: bool = False


@dataclass(frozen=True, slots=True)
class FileBlob:
    """A file's bytes on their way between a user and the desk (through the outbox)."""

    name: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row handed to a platform sender.

    ``action`` is ``send``, ``delete``, ``desk_upsert`` (create or refresh the
    ticket's root message on the staff desk) or ``desk_post`` (a line in the
    ticket's desk thread). ``payload`` is JSON-able and already redacted.
    """

    id: int
    platform: str
    action: str
    chat_id: str
    thread_id: str | None
    payload: dict[str, object] = field(default_factory=dict)
    attempts: int = 0
    ticket_id: int | None = None
    file: FileBlob | None = None  # ``desk_file`` / ``send_file`` / ``dm_file``: the bytes, loaded for the send


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a sender reports; ``external_id`` (e.g. a message ts) is kept by the core."""

    external_id: str | None = None
