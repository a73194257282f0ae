"""Urgent cases and the user's mood, from the words of one message (en + zh).

``urgent_reason``: stolen funds, a drained wallet, transactions the user did not
make, a recovery phrase or key the user just leaked: a ticket opens at once at
urgent priority. ``mood``: "angry" or "desperate" raises a ticket's priority one
step and is flagged on the desk. Both are a handful of regular expressions.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["mood", "urgent_reason"]

_I = re.IGNORECASE
_FUNDS = r"(funds?|money|coins?|crypto|tokens?|usdt|usdc|eth|btc|bnb|trx|sol|assets?|balance|savings|wallet)"
_URGENT = (
    ("stolen funds", re.compile(
        rf"\b(stolen|stole|steal(ing)?|hacked|hacker|drainer|drained|compromised)\b|\bsomeone (took|moved|sent|"
        rf"transferred|withdrew|emptied)\b.{{0,30}}\b{_FUNDS}|\b(empt(y|ied)) (my )?wallet|\ball (of )?my {_FUNDS}\b.{{0,20}}"
        rf"\b(gone|disappeared|vanished|missing|lost|stolen)\b|\b{_FUNDS} (are |is |got |were )?(all )?"
        rf"(gone|vanished|disappeared)\b", _I)),
    ("transactions the user did not make", re.compile(
        r"\b(i )?(did ?n[o']?t|never) (make|made|send|sent|approve|approved|authori[sz]e|do|did)\b.{0,25}"
        r"\b(transactions?|transfers?|withdrawals?|tx|this|that|these|it)\b|\bunauthori[sz]ed (transactions?|transfers?|"
        r"withdrawals?|access|payments?)\b|\b(transactions?|transfers?) i (did ?n[o']?t|never) (make|made|send|do)\b", _I)),
    ("a leaked recovery phrase or key", re.compile(
        r"\b(i )?(just |accidentally |mistakenly )?(shared|sent|gave|posted|typed|leaked|entered|pasted) (out |away )?"
        r"(my )?(seed|recovery|secret|mnemonic)( phrase| words)?|\b(shared|sent|gave|leaked|posted) (my )?private key", _I)),
    ("stolen funds", re.compile(r"被盗|被偷|盗走|偷走|被黑|被清空|钱包空了|(币|钱|资产|余额|u|usdt)(全|都)?没了|被转走|被人转走|"
                                r"清空了", _I)),
    ("transactions the user did not make", re.compile(r"不是我(操作|转|发起)|我(没有|没|从没)(操作|转账|授权|发起)|"
                                                      r"未授权|陌生(地址)?转出|莫名其妙(被)?转出", _I)),
    ("a leaked recovery phrase or key", re.compile(r"(助记词|私钥)(被)?(泄露|泄漏|发给|给了|告诉)|(泄露|泄漏|发了|给了|告诉).{0,6}"
                                                   r"(助记词|私钥)", _I)),
)
_ANGRY = re.compile(
    r"\b(wtf|ridiculous|unacceptable|garbage|useless|worst|terrible|pathetic|incompetent|scam(mers)?|thie(f|ves)|"
    r"bullshit|crap|shitty|shit|fuck(ing)?|f\*+|damn|suck|hate|furious|angry|joke|rip ?off|sick of|"
    r"kidding me|stop ignoring|report you|answer me)\b|垃圾|破客服|气死|骗子|离谱|搞什么|无语|坑人|坑|投诉|管不管|滚|烂|废物|"
    r"恶心|报警|太差|太慢了", _I)
_DESPERATE = re.compile(
    r"\b(desperate|begging|beg you|life savings|all i had|lost everything|nothing left|ruined|panick?ing|crying|"
    r"scared|emergency|don'?t know what to do|can'?t sleep|please please|my family|whole savings|going to lose|"
    r"can'?t lose|feel sick|rent)\b|求求|积蓄|崩溃|救命|绝望|所有的钱|急死|救命钱|睡不着|拜托|疯了|全部家当|哭|跪求|"
    r"不知道怎么办|急急|害怕|家里的钱|完了|该怎么办", _I)
_SHOUT = re.compile(r"\b[A-Z]{3,}(\s+[A-Z]{2,}){2,}\b")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def urgent_reason(text: str) -> str | None:
    """Why ``text`` is an urgent case, or None."""
    text = _norm(text)
    for reason, pattern in _URGENT:
        if pattern.search(text):
            return reason
    return None


def mood(text: str) -> str | None:
    """"angry", "desperate" or None."""
    text = _norm(text)
    if _DESPERATE.search(text) or "😭" in text:
        return "desperate"
    if _ANGRY.search(text) or _SHOUT.search(text) or re.search(r"[!！]{3,}", text) and re.search(r"[?？]", text):
        return "angry"
    if re.search(r"[!！]{3,}", text) and len(text) > 12:
        return "angry"
    return None
