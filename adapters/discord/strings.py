"""Discord's strings (en and zh), joined into :mod:`core.i18n` through the contract;
every key starts with ``discord.``."""

from __future__ import annotations

__all__ = ["CATALOG"]

CATALOG: dict[str, dict[str, str]] = {
    # from core/i18n/abuse.py
    "discord.cmd.block": {"en": "Block this user", "zh": "屏蔽此用户"},
    # from core/i18n/catalog.py
    # discord (slash commands, context menu and their answers)
    "discord.cmd.faq": {"en": "Ask the wallet FAQ", "zh": "查询钱包常见问题"},
    "discord.cmd.faq.question": {"en": "Your question", "zh": "你的问题"},
    "discord.cmd.ticket": {"en": "Status of your support ticket", "zh": "查看你的客服工单状态"},
    "discord.cmd.verify": {"en": "Check whether an account is real staff", "zh": "核实某个账号是否为真正的工作人员"},
    "discord.cmd.verify.name": {"en": "A name or an @mention", "zh": "名字或 @提及"},
    "discord.cmd.escalate": {"en": "Escalate to staff", "zh": "转交客服"},
    "discord.ticket_dm": {
        "en": "I've sent the status of your ticket to you in a private message.",
        "zh": "我已通过私信把你的工单状态发给你。",
    },
    "discord.escalated": {
        "en": "Passed to our support team as ticket #{ticket_id}. The user was told in the channel and can continue privately with me.",
        "zh": "已转交客服团队，工单 #{ticket_id}。已在频道中通知该用户，可私信我继续。",
    },
    "discord.escalated_again": {
        "en": "That message was already passed to our support team.",
        "zh": "该消息已转交过客服团队。",
    },
    "discord.escalate_bot": {
        "en": "Messages from bots can't be passed to staff.",
        "zh": "机器人发送的消息无法转交给工作人员。",
    },
}
