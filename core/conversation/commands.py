"""The slash commands a user may type, as a table: name -> what it does.
A command returns False when it does not apply (the next handler gets the turn)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from core.conversation.services import Services, open_ticket
from core.conversation.ticketchat import expected_reply
from core.conversation.turn import Turn
from core.errors import CodeRateLimited, InvalidInput
from core.i18n import t

__all__ = ["COMMANDS"]

Command = Callable[[Turn, Services, str], Awaitable[bool]]


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


async def _wallet(turn: Turn, services: Services, arg: str) -> bool:
    if not turn.private:
        return False
    ticket = await turn.tx.active_ticket_for([turn.msg.user.key])
    try:
        message = await services.identity.issue_challenge(turn.tx, turn.msg.user.key, ticket.id if ticket else None, arg)
    except InvalidInput as exc:
        turn.reply(t(exc.key or "wallet.bad_address", turn.lang))
        return True
    turn.reply(t("wallet.challenge", turn.lang, address=arg, message=message))
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
        await services.desk.mark_verified(turn.tx, ticket_id, f"wallet signature ({address[:6]}…{address[-4:]})",
                                          turn.now, turn.effects)
    turn.reply(t("verify.ok", turn.lang))
    return True


async def _link(turn: Turn, services: Services, arg: str) -> bool:
    if not turn.private:
        return False
    if arg:
        linked = await services.identity.redeem_link_code(turn.tx, turn.msg.user.key, arg)
        turn.reply(t("link.ok" if linked else "link.bad", turn.lang))
        return True
    try:
        code = await services.identity.issue_link_code(turn.tx, turn.msg.user.key)
    except CodeRateLimited:
        turn.reply(t("verify.rate_limited", turn.lang))
        return True
    turn.reply(t("link.code_sent", turn.lang, platform="Telegram / Discord / Slack", code=code))
    return True


COMMANDS: Mapping[str, Command] = {
    "start": _help, "help": _help, "human": _human, "agent": _human, "ticket": _ticket, "close": _close,
    "verify": _verify,
    "faq": _faq, "wallet": _wallet, "signature": _signature, "link": _link,
}
