"""An on-chain lookup as the desk sees it: a line in the ticket's thread and a
field of its summary. The field is kept as an internal ticket event, so the
summary can be rebuilt and a refresh knows which hash to ask about again."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from core.chain import ChainLookup, Lookup, find_hash, named_chain
from core.errors import InvalidInput
from core.i18n import t
from core.models import Ticket, TicketEvent
from core.storage import SqlTx
from core.support.outbox import Effects

if TYPE_CHECKING:
    from core.support.desk import TicketDesk  # the desk builds its summary from these fields

__all__ = ["CHAIN_EVENT", "ChainField", "desk_note", "last_field", "look_up_for_ticket", "record_lookup"]

CHAIN_EVENT = "chain_lookup"


def _status(result: Lookup) -> str:
    if result.found is None:
        return "could not check" if result.could_not_check else "not found"
    return result.found.status.value


def desk_note(result: Lookup) -> str:
    """The thread line: everything staff would look up by hand, full hashes and addresses."""
    found = result.found
    if found is None:
        return t("chain.desk_note", "en", hash=result.hash.written, status=_status(result),
                 chain=", ".join(result.asked), details="")
    details = [f", block {found.block}, {found.confirmations} confirmations" if found.block is not None else ""]
    if found.recipient:
        details.append(f", to {found.recipient}")
    if found.value not in (None, "0"):
        details.append(f", {found.value} {found.asset}")
    details.extend(f", {m.amount} {m.symbol or m.token} to {m.recipient}" for m in found.token_transfers[:5])
    if found.reason:
        details.append(f", reason: {found.reason}")
    if result.wrong_network:
        details.append(f" (user named {result.named}: wrong network)")
    return t("chain.desk_note", "en", hash=found.hash, status=found.status.value, chain=found.chain,
             details="".join(details))


@dataclass(frozen=True, slots=True)
class ChainField:
    """The summary's on-chain field: the hash, one line of its status, when it was looked up."""

    hash: str
    line: str
    at: float

    @classmethod
    def of(cls, result: Lookup, at: float) -> ChainField:
        found = result.found
        if found is None:
            line = f"{_status(result)} ({', '.join(result.asked) or '-'})"
        else:
            line = f"{found.status.value} on {found.chain}"
            if found.block is not None:
                line += f", block {found.block}, {found.confirmations} confirmations"
            if result.wrong_network:
                line += f", user named {result.named}: wrong network"
        return cls(found.hash if found else result.hash.written, line, at)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, body: str | None) -> ChainField | None:
        try:
            data = json.loads(body or "")
            return cls(str(data["hash"]), str(data["line"]), float(data["at"]))
        except (ValueError, TypeError, KeyError):
            return None


async def last_field(tx: SqlTx, ticket_id: int) -> ChainField | None:
    """The ticket's latest lookup, if any."""
    event = await tx.last_event(ticket_id, CHAIN_EVENT)
    return ChainField.from_json(event.body) if event else None


async def record_lookup(tx: SqlTx, desk: TicketDesk, ticket: Ticket, result: Lookup, actor: str, now: float,
                        effects: Effects) -> ChainField:
    """Keep the lookup as the ticket's on-chain field, put its line in the thread, refresh the summary."""
    field = ChainField.of(result, now)
    await tx.add_event(TicketEvent(ticket.id, CHAIN_EVENT, actor, field.to_json(), now, internal=True))
    desk.post(effects, ticket.id, "system", desk_note(result))
    await desk.refresh(tx, effects, ticket)
    return field


async def look_up_for_ticket(chain: ChainLookup, text: str, known: ChainField | None) -> Lookup:
    """A staff lookup: the hash in ``text``, or with no text the ticket's last one. Runs outside any transaction."""
    if not chain.configured:
        raise InvalidInput("no chain endpoint is configured", key="chain.staff_not_configured")
    if text:  # never the old hash instead of the one staff typed (or one the shield took for a key)
        tx_hash = find_hash(text)
    else:
        tx_hash = find_hash(known.hash) if known is not None else None
    if tx_hash is None:
        raise InvalidInput("no transaction hash to look up", key="chain.staff_no_hash")
    return await chain.lookup(tx_hash, named_chain(text) if text else None)
