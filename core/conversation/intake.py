"""Guided intake: when a ticket opens on a topic whose FAQ entry declares intake
fields, the bot asks for them one at a time (at most three, each skippable,
never holding staff up) and recognises typed values: a transaction hash or an
address and its chain family, a network name, an amount with its asset, a time.
Values already in the opening message are not asked again; every answer also
reaches the ticket, and the desk gets the fields as one line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.conversation.acts import Act
from core.conversation.services import Services
from core.conversation.turn import Turn
from core.conversation.tx_lookup import report_lookup
from core.faq.models import FaqEntry, IntakeField
from core.i18n import t
from core.models import Ticket

__all__ = ["GuidedIntake", "recognise", "start_intake"]

MAX_QUESTIONS = 3
_NOT_AN_ANSWER = frozenset({Act.STILL_WAITING, Act.HUMAN_REQUEST, Act.GOODBYE, Act.THANKS, Act.GREETING,
                            Act.ASK_IF_BOT, Act.HELP, Act.ACKNOWLEDGEMENT})
_SKIP_RE = re.compile(r"^\s*(skip|pass|dont know|don't know|idk|not sure|n/?a|none|no|跳过|不知道|不清楚|没有|略过)\s*[.!。！]?\s*$",
                      re.I)
_L, _R = r"(?<![a-z0-9])", r"(?![a-z0-9])"  # word edges that also hold beside Chinese characters
_NETWORKS = (
    (rf"{_L}(trc-?20|tron){_R}|波场", "TRC20 (Tron)"),
    (rf"{_L}(bep-?20|bsc|bnb smart chain){_R}|币安智能链", "BEP20 (BNB Smart Chain)"),
    (rf"{_L}(erc-?20|ethereum|eth mainnet){_R}|以太坊", "ERC20 (Ethereum)"),
    (rf"{_L}(polygon|matic){_R}", "Polygon"), (rf"{_L}arbitrum{_R}", "Arbitrum"), (rf"{_L}optimism{_R}", "Optimism"),
    (rf"{_L}base{_R}", "Base"), (rf"{_L}(solana|spl){_R}", "Solana"), (rf"{_L}(bitcoin|btc network){_R}", "Bitcoin"),
)
_ASSETS = r"usdt|usdc|dai|busd|eth|btc|bnb|trx|sol|matic|pol|arb|op|u"
_AMOUNT_RE = re.compile(rf"(\d+(?:[.,]\d+)*)\s*({_ASSETS}){_R}|{_L}({_ASSETS})\s*(\d+(?:[.,]\d+)*)", re.I)
_EVM_HASH_RE = re.compile(r"\b0x[0-9a-fA-F]{64}\b")
_BARE_HASH_RE = re.compile(r"\b[0-9a-fA-F]{64}\b")
_ADDRESSES = ((re.compile(r"\b0x[0-9a-fA-F]{40}\b"), "EVM"), (re.compile(r"\bT[1-9A-HJ-NP-Za-km-z]{33}\b"), "Tron"),
              (re.compile(r"\b(bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})\b"), "Bitcoin"))
_WHEN_RE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}(?:[ t]\d{1,2}:\d{2})?\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}:\d{2}\b|"
                      r"\b(yesterday|today|this morning|last night|tonight|\d+\s*(min(ute)?s?|hours?|hrs?|days?)\s+ago)\b|"
                      r"昨天|今天|前天|早上|晚上|\d+\s*(分钟|小时|天)前|\d+月\d+日", re.I)


def _short(value: str) -> str:
    return value if len(value) <= 20 else f"{value[:10]}…{value[-6:]}"


def recognise(kind: str, text: str) -> str | None:
    """The value of type ``kind`` in ``text`` as the desk shows it, or None."""
    if kind == "tx_hash":
        if found := _EVM_HASH_RE.search(text):
            return f"{_short(found.group(0))} (EVM)"
        if found := _BARE_HASH_RE.search(text):
            return f"{_short(found.group(0))} (Tron or Bitcoin)"
        return None
    if kind == "address":
        for pattern, family in _ADDRESSES:
            if found := pattern.search(text):
                return f"{_short(found.group(0))} ({family})"
        return None
    if kind == "network":
        for pattern, name in _NETWORKS:
            if re.search(pattern, text, re.I):
                return name
        return None
    if kind == "amount":
        found = _AMOUNT_RE.search(text)
        if found is None:
            return None
        number, asset = (found.group(1), found.group(2)) if found.group(1) else (found.group(4), found.group(3))
        asset = "USDT" if asset.lower() == "u" else asset.upper()
        return f"{number.replace(',', '')} {asset}"
        # a bare number is no amount: it may be an order id
    if kind == "datetime":
        found = _WHEN_RE.search(text)
        return found.group(0) if found else None
    cleaned = " ".join(text.split())
    return cleaned[:200] or None


def _fields(entry: FaqEntry | None) -> Sequence[IntakeField]:
    return entry.intake if entry is not None else ()


def _ask(field: IntakeField, lang: str) -> str:
    question = field.ask.get(lang) or field.ask.get("en") or t("intake.ask_default", lang, field=field.name)
    return question + " " + t("intake.skip_hint", lang)


def _entry(services: Services, topic: str | None) -> FaqEntry | None:
    return next((e for e in services.answers.entries if e.id == topic), None) if topic else None


def start_intake(turn: Turn, services: Services, ticket: Ticket, opening: str) -> None:
    """After a ticket opened on ``ticket.category``: note what the opening message
    already says, and ask the first missing field."""
    values: dict[str, str] = {}
    pending: list[list[str]] = []
    for field in _fields(_entry(services, ticket.category)):
        value = recognise(field.type, opening) if field.type != "text" else None
        if value:
            values[field.name] = value
        elif len(pending) < MAX_QUESTIONS:
            pending.append([field.name, field.type])
    if values:
        _post(turn, services, ticket, values)
    if not pending:
        return
    turn.memo["intake"] = {"ticket": ticket.id, "pending": pending, "values": values}
    field = next(f for f in _fields(_entry(services, ticket.category)) if f.name == pending[0][0])
    turn.reply(_ask(field, turn.lang))


def _post(turn: Turn, services: Services, ticket: Ticket, values: dict[str, str]) -> None:
    line = " · ".join(f"{k}: {v}" for k, v in values.items())
    services.desk.post(turn.effects, ticket.id, "system", t("intake.desk_fields", "en", fields=line))


class GuidedIntake:
    """The user's answer to the intake question asked last."""

    def match(self, turn: Turn) -> bool:
        state = turn.memo.get("intake")
        return (turn.private and turn.ticket is not None and isinstance(state, dict)
                and state.get("ticket") == turn.ticket.id and turn.command is None
                and turn.act not in _NOT_AN_ANSWER)

    async def handle(self, turn: Turn, services: Services) -> bool:
        ticket = turn.ticket
        assert ticket is not None
        state: dict = turn.memo["intake"]  # type: ignore[assignment]
        pending = [p for p in state.get("pending", []) if isinstance(p, list) and len(p) == 2]
        if not pending or ticket.first_response_at is not None:
            turn.memo.pop("intake", None)  # staff took over: no more questions
            return False
        await services.desk.relay_user_message(turn.tx, ticket, turn.msg, turn.text, turn.now, turn.effects)
        turn.outcome.ticket_id = ticket.id
        name, kind = pending.pop(0)
        if not _SKIP_RE.match(turn.text) and turn.act is not Act.NO:
            value = recognise(kind, turn.text) or (" ".join(turn.text.split())[:120] + " (?)")
            state["values"][name] = value
            _post(turn, services, ticket, {name: value})
            if kind == "tx_hash":  # looked up before the transaction: its status, then the next question
                await report_lookup(turn, services)
        state["pending"] = pending
        fields = {f.name: f for f in _fields(_entry(services, ticket.category))}
        if pending and pending[0][0] in fields:
            turn.reply(_ask(fields[pending[0][0]], turn.lang))
        else:
            turn.memo.pop("intake", None)
            if state["values"]:
                _post(turn, services, ticket, dict(state["values"]))
            turn.reply(t("intake.done", turn.lang, ticket_id=ticket.id))
        return True
