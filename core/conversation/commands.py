"""The slash commands a user may type, as a table: name -> what it does.
A command returns False when it does not apply (the next handler gets the turn)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from core.conversation.services import Services, open_ticket
from core.conversation.ticketchat import expected_reply
from core.conversation.turn import Turn
from core.contract import display_names
from core.errors import CodeRateLimited, InvalidInput
from core.i18n import t
from core.identity.codes import LinkOutcome, checksum_address
from core.models import ChatRef, UserRef
from core.support.relay import platform_name

__all__ = ["COMMANDS"]

Command = Callable[[Turn, Services, str], Awaitable[bool]]

WALLET_METHOD = "wallet signature"  # how the desk names the proof, followed by the full checksummed address


async def _help(turn: Turn, services: Services, arg: str) -> bool:
    if turn.command and turn.command[0] == "start" and arg.startswith("ticket_"):
        ticket = await turn.tx.active_ticket_for(await turn.tx.linked_user_keys(turn.msg.user.key))
        if ticket is not None:
            turn.reply(t("human.already_open", turn.lang, ticket_id=ticket.id))
            return True
    turn.reply(t("help", turn.lang))
    return True


async def _human(turn: Turn, services: Services, arg: str) -> bool:
    await open_ticket(turn, services, arg or turn.text, None)
    return True


async def _ticket(turn: Turn, services: Services, arg: str) -> bool:
    ticket = await turn.tx.active_ticket_for(await turn.tx.linked_user_keys(turn.msg.user.key))
    if ticket is None:
        turn.reply(t("ticket.none", turn.lang))
    else:
        turn.reply(expected_reply(services, ticket, turn.lang, turn.now))
    return True


async def _close(turn: Turn, services: Services, arg: str) -> bool:
    """The user closes their own ticket (open, or resolved and awaiting a rating)."""
    keys = await turn.tx.linked_user_keys(turn.msg.user.key)
    ticket = await turn.tx.active_ticket_for(keys) or turn.resolved
    if ticket is None or ticket.user.key not in keys:
        turn.reply(t("ticketchat.nothing_to_close", turn.lang))
        return True
    await services.desk.transition(turn.tx, ticket, "close", turn.msg.user.key, "closed by the user", turn.now,
                                   turn.effects)
    services.desk.post(turn.effects, ticket.id, "system", t("ticketchat.desk_closed_by_user", "en"))
    turn.outcome.ticket_id = ticket.id
    turn.reply(t("ticketchat.closed_by_user", turn.lang, ticket_id=ticket.id))
    return True


async def _verify(turn: Turn, services: Services, arg: str) -> bool:
    turn.reply(services.roster.describe(arg, turn.lang))
    return True


async def _faq(turn: Turn, services: Services, arg: str) -> bool:
    if not arg:
        return False
    match = services.answers.ask(arg, turn.lang)
    turn.outcome.faq = match
    turn.reply(services.desk.hours.render(match.answer, match.lang, turn.now) if match.answered and match.answer
               else t("faq.group_offer_human", turn.lang))
    return True


async def _wallet_requested(turn: Turn, ticket_id: int) -> bool:
    """Staff asked for a wallet proof on the ticket and no signature has answered it yet."""
    open_request = False
    for event in await turn.tx.events(ticket_id):
        if event.kind == "request_wallet":
            open_request = True
        elif event.kind == "verified" and WALLET_METHOD in (event.body or ""):
            open_request = False
    return open_request


async def _wallet(turn: Turn, services: Services, arg: str) -> bool:
    """A wallet proof answers a staff request on the user's open ticket and nothing
    else: a proof nobody asked for would show on the desk as if staff had."""
    if not turn.private:
        return False
    ticket = await turn.tx.active_ticket_for([turn.msg.user.key])
    if ticket is None or not await _wallet_requested(turn, ticket.id):
        turn.reply(t("wallet.not_requested", turn.lang))
        return True
    try:
        address = checksum_address(arg)
        message = await services.identity.issue_challenge(turn.tx, turn.msg.user.key, ticket.id, address)
    except InvalidInput as exc:
        turn.reply(t(exc.key or "wallet.bad_address", turn.lang))
        return True
    turn.reply(t("wallet.challenge", turn.lang, address=address, message=message))
    return True


async def _signature(turn: Turn, services: Services, arg: str) -> bool:
    if not turn.private:
        return False
    try:
        address, ticket_id = await services.identity.verify_signature(turn.tx, turn.msg.user.key, arg)
    except InvalidInput as exc:
        turn.reply(t(exc.key or "wallet.bad_signature", turn.lang))
        return True
    if ticket_id is not None:
        await services.desk.mark_verified(turn.tx, ticket_id, f"{WALLET_METHOD} ({address})",
                                          turn.now, turn.effects)
    turn.reply(t("verify.ok", turn.lang))
    return True


_CONFIRM = frozenset({"confirm", "yes", "确认", "是"})
_REFUSE = frozenset({"deny", "no", "拒绝", "否"})


async def _link(turn: Turn, services: Services, arg: str) -> bool:
    """``/link``: a code for this account; ``/link CODE`` on another account asks this one to
    confirm; ``/link confirm`` (or ``deny``) here answers. Only a confirmed link joins them."""
    if not turn.private:
        return False
    word = arg.strip().lower()
    if word in _CONFIRM or word in _REFUSE:
        return await _answer_link(turn, services, word in _CONFIRM)
    if arg:
        return await _redeem_link(turn, services, arg)
    try:
        code = await services.identity.issue_link_code(turn.tx, turn.msg.user.key, chat=turn.msg.chat, lang=turn.lang)
    except CodeRateLimited:
        turn.reply(t("verify.rate_limited", turn.lang))
        return True
    turn.reply(t("link.code_sent", turn.lang, platform=" / ".join(display_names()), code=code))
    return True


async def _redeem_link(turn: Turn, services: Services, code: str) -> bool:
    me = turn.msg.user
    result = await services.identity.redeem_link_code(turn.tx, me.key, code, chat=turn.msg.chat, lang=turn.lang)
    if result.outcome is LinkOutcome.LOCKED:
        turn.reply(t("link.locked", turn.lang))
        return True
    if result.outcome is LinkOutcome.WRONG or result.issuer is None:
        turn.reply(t("link.bad", turn.lang, tries=result.tries_left))
        return True
    owner = UserRef.parse(result.issuer)
    ask = t("link.confirm_request", result.issuer_lang, name=turn.msg.display_name or me.user_id,
            platform=platform_name(me.platform), user_id=me.user_id)
    _tell(turn, owner, result.issuer_chat, ask)
    turn.reply(t("link.pending", turn.lang, platform=platform_name(owner.platform)))
    return True


async def _answer_link(turn: Turn, services: Services, accept: bool) -> bool:
    answer = await services.identity.answer_link(turn.tx, turn.msg.user.key, accept)
    if answer is None:
        turn.reply(t("link.no_request", turn.lang))
        return True
    turn.reply(t("link.ok" if accept else "link.refused", turn.lang))
    other = UserRef.parse(answer.other)
    _tell(turn, other, answer.other_chat, t("link.ok" if accept else "link.refused_other", answer.other_lang))
    ticket = await turn.tx.active_ticket_for(await turn.tx.linked_user_keys(turn.msg.user.key)) if accept else None
    if ticket is not None:  # the desk lists the person's accounts: show the new one now
        await services.desk.refresh(turn.tx, turn.effects, ticket)
        services.desk.post(turn.effects, ticket.id, "system",
                           t("desk.link_confirmed", "en", platform=platform_name(other.platform), user_id=other.user_id))
    return True


def _tell(turn: Turn, user: UserRef, chat: ChatRef | None, text: str) -> None:
    """A message to another account of the person: in the private chat it used, else a DM."""
    if chat is not None:
        turn.effects.send(chat, text)
    else:
        turn.effects.dm(user, text)


COMMANDS: Mapping[str, Command] = {
    "start": _help, "help": _help, "human": _human, "agent": _human, "ticket": _ticket, "close": _close,
    "verify": _verify,
    "faq": _faq, "wallet": _wallet, "signature": _signature, "link": _link,
}
