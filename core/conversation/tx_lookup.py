"""A transaction hash in the conversation is looked up on the configured chains
and answered with its real status, in the user's language.

When: a private chat, or a group message that gives tx context (the shield's own
rule for a 64-hex that is not a key). Never for a message the shield flagged,
and never for a command. Only the hash goes to the chain endpoints. With an
open ticket the lookup also goes to the desk thread and the message is still
relayed to staff (the handler passes the turn on).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from core.chain import ChainLookup, Lookup, TxFound, TxStatus, display_name, find_hash
from core.chain.balances import BalanceLookup, find_address
from core.config import Settings
from core.conversation.services import Services
from core.conversation.turn import Turn
from core.i18n import t
from core.support.chain_desk import record_lookup

__all__ = ["ChainAnswer", "LookUpTransaction", "describe", "describe_balances", "report_lookup", "shorten"]

_LOGGER = logging.getLogger(__name__)
_TX_CONTEXT_RE = re.compile(
    r"(?<![a-z])(?:tx(?:n|id|s|hash)?|hash(?:es)?|transactions?|transfers?|pending|stuck|confirm(?:ed|ations?)?"
    r"|explorer|etherscan|bscscan|tronscan)(?![a-z])|交易|哈希|转账|到账|确认|://", re.IGNORECASE)
_TOKEN_TALK_RE = re.compile(r"token|not (?:show|visible|see)|can'?t see|missing|balance|contract|usdt|usdc|dai"
                            r"|不显示|看不到|没显示|余额|代币|合约", re.IGNORECASE)
_KEEP_HEAD, _KEEP_TAIL = 8, 6  # never fewer than 6 + 4


def shorten(value: str) -> str:
    """An address or hash shortened for a chat line, keeping at least its first 6 and last 4 characters."""
    if len(value) <= _KEEP_HEAD + _KEEP_TAIL + 2:
        return value
    return f"{value[:_KEEP_HEAD]}…{value[-_KEEP_TAIL:]}"


def _when(found: TxFound) -> str:
    if found.time is None:
        return "?"
    return datetime.fromtimestamp(found.time, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _money(found: TxFound, lang: str) -> list[str]:
    lines = []
    if found.value not in (None, "0") and found.recipient:
        lines.append(t("chain.sent", lang, value=found.value, asset=found.asset, to=shorten(found.recipient)))
    elif found.recipient and not found.token_transfers:
        lines.append(t("chain.to", lang, to=shorten(found.recipient)))
    if found.token_transfers:
        items = [t("chain.token_item", lang, amount=m.amount, symbol=m.symbol or shorten(m.token),
                   to=shorten(m.recipient)) for m in found.token_transfers[:5]]
        lines.append(t("chain.tokens", lang, tokens="; ".join(items)))
    return lines


def describe(result: Lookup, lang: str, configured: tuple[str, ...]) -> str:
    """The user's answer: status, when, confirmations, recipient, tokens moved, what to do next."""
    if result.found is None:
        if result.could_not_check:
            return t("chain.unavailable", lang)
        chains = ", ".join(display_name(name) for name in configured) or "-"
        return t("chain.not_found", lang, hash=shorten(result.hash.written), chains=chains)
    found = result.found
    chain = display_name(found.chain)
    short = shorten(found.hash)
    lines = []
    if result.wrong_network:
        lines.append(t("chain.wrong_network", lang, found=chain, named=display_name(result.named or "")))
    if found.status is TxStatus.PENDING:
        lines.append(t("chain.pending", lang, hash=short, chain=chain))
    elif found.status is TxStatus.FAILED:
        lines.append(t("chain.failed", lang, hash=short, chain=chain, block=found.block, when=_when(found)))
        if found.reason:
            lines.append(t("chain.reason", lang, reason=found.reason))
    else:
        lines.append(t("chain.success", lang, hash=short, chain=chain, block=found.block, when=_when(found),
                       confirmations=found.confirmations))
    lines.extend(_money(found, lang))
    if result.wrong_network:
        lines.append(t("chain.next_wrong_network", lang, found=chain))
    elif found.status is TxStatus.PENDING:
        lines.append(t("chain.next_pending", lang))
    elif found.status is TxStatus.FAILED:
        lines.append(t("chain.next_failed", lang, fee=found.fee or "?", asset=found.asset))
    else:
        lines.append(t("chain.next_success", lang))
    return "\n".join(lines)


def describe_balances(result: BalanceLookup, lang: str) -> str:
    """"Your 120 USDT are there; add the token contract 0x… to see them" (or: none there, or could not check)."""
    held = [b for b in result.balances if b.raw > 0]
    if held:
        lines = []
        for b in held[:3]:
            chain = display_name(b.chain)
            lines.append(t("chain.balance_there", lang, amount=b.amount, symbol=b.symbol or shorten(b.token),
                           chain=chain, address=shorten(b.address)))
            lines.append(t("chain.balance_add_token", lang, contract=b.token, chain=chain))
        return "\n".join(lines)
    if result.unavailable:
        return t("chain.unavailable", lang)
    symbol = next((b.symbol for b in result.balances if b.symbol), None) or "token"
    return t("chain.balance_none", lang, symbol=symbol, address=shorten(result.address),
             chains=", ".join(display_name(name) for name in result.asked))


@dataclass(frozen=True, slots=True)
class ChainAnswer:
    """What the chains said about a message: its hash's lookup, or the balance at its address."""

    tx: Lookup | None = None
    balance: BalanceLookup | None = None


class LookUpTransaction:
    """Args:
        settings: where the chain endpoints come from (none configured: this handler never matches).
        chain: the lookup service (tests and the use cases may share one).

    The lookup itself runs in :meth:`prefetch`, before the turn's transaction
    (up to the lookup deadline: seconds, with a hanging endpoint).
    """

    key = "chain"

    def __init__(self, settings: Settings, chain: ChainLookup | None = None) -> None:
        self.chain = chain if chain is not None else ChainLookup.from_settings(settings)

    def wants(self, text: str, private: bool) -> bool:
        if not self.chain.configured:
            return False
        if find_hash(text) is None:  # a hash the shield took for a key is redacted here already
            # "my token is not showing" with an address: its balance (private chats only)
            return private and find_address(text) is not None and _TOKEN_TALK_RE.search(text) is not None
        return private or _TX_CONTEXT_RE.search(text) is not None

    async def prefetch(self, text: str) -> ChainAnswer:
        if find_hash(text) is None:
            return ChainAnswer(balance=await self.chain.balances(text))
        return ChainAnswer(tx=await self.chain.lookup_text(text))

    def match(self, turn: Turn) -> bool:
        return (not turn.outcome.leak and turn.command is None and isinstance(turn.fetched.get(self.key), ChainAnswer)
                and self.wants(turn.text, turn.private))

    async def handle(self, turn: Turn, services: Services) -> bool:
        answer = turn.fetched[self.key]
        assert isinstance(answer, ChainAnswer)  # match checked it
        if answer.tx is None:
            if answer.balance is None:  # no token it could name: the FAQ answers
                return False
            turn.outcome.notes.append("chain balance")
            turn.reply(describe_balances(answer.balance, turn.lang))
            return turn.ticket is None  # with a ticket open, relayed to staff as well
        on_ticket = await report_lookup(turn, services)
        return not on_ticket  # with a ticket open, the ticket relay still takes the message to staff


async def report_lookup(turn: Turn, services: Services) -> bool:
    """Tell the user what the chain said of the turn's hash (fetched before the
    transaction) and, with a ticket open, put it on the desk. True when it went
    on a ticket; False with nothing looked up or no ticket."""
    answer = turn.fetched.get(LookUpTransaction.key)
    if not isinstance(answer, ChainAnswer) or answer.tx is None:
        return False
    result = answer.tx
    found = result.found
    state = "unavailable" if result.could_not_check else (found.status.value if found else "not_found")
    turn.outcome.notes.append(f"chain {state}" + (" wrong network" if result.wrong_network else ""))
    turn.reply(describe(result, turn.lang, services.chain.names if services.chain is not None else ()))
    if turn.ticket is None:  # the user's open ticket, private chats only (read before the handlers)
        return False
    await record_lookup(turn.tx, services.desk, turn.ticket, result, "bot", turn.now, turn.effects)
    return True
