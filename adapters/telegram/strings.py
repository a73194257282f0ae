"""Telegram's strings (en and zh), joined into :mod:`core.i18n` through the contract;
every key starts with ``telegram.``."""

from __future__ import annotations

__all__ = ["CATALOG"]

CATALOG: dict[str, dict[str, str]] = {
    # from core/i18n/abuse.py
    "telegram.block_need_reply": {
        "en": "Reply /block [reason] to a message of the user to block (in the group).",
        "zh": "请在群内回复要屏蔽的用户的消息：/block [原因]。",
    },
    # from core/i18n/setup.py
    "telegram.cmd.help": {"en": "What I can do", "zh": "我能做什么"},
    "telegram.cmd.faq": {"en": "Ask the wallet FAQ", "zh": "查询钱包常见问题"},
    "telegram.cmd.human": {"en": "Talk to a support agent", "zh": "联系人工客服"},
    "telegram.cmd.ticket": {"en": "Status of your support ticket", "zh": "查看你的客服工单状态"},
    "telegram.cmd.close": {"en": "Close your support ticket", "zh": "关闭你的客服工单"},
    "telegram.cmd.verify": {"en": "Check whether an account is real staff", "zh": "核实某个账号是否为真正的工作人员"},
    "telegram.cmd.link": {"en": "Link your accounts on other platforms", "zh": "关联你在其他平台的账号"},
    "telegram.cmd.escalate": {"en": "Moderators: reply to a message to hand it to staff",
                              "zh": "版主：回复一条消息，把它转交给客服"},
}
