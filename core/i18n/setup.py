"""Texts the platforms show about the bot itself: Telegram's command menu
(setMyCommands, en and zh) and the Slack app manifest's descriptions."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "telegram.cmd.help": {"en": "What I can do", "zh": "我能做什么"},
    "telegram.cmd.faq": {"en": "Ask the wallet FAQ", "zh": "查询钱包常见问题"},
    "telegram.cmd.human": {"en": "Talk to a support agent", "zh": "联系人工客服"},
    "telegram.cmd.ticket": {"en": "Status of your support ticket", "zh": "查看你的客服工单状态"},
    "telegram.cmd.close": {"en": "Close your support ticket", "zh": "关闭你的客服工单"},
    "telegram.cmd.verify": {"en": "Check whether an account is real staff", "zh": "核实某个账号是否为真正的工作人员"},
    "telegram.cmd.link": {"en": "Link your accounts on other platforms", "zh": "关联你在其他平台的账号"},
    "telegram.cmd.escalate": {"en": "Moderators: reply to a message to hand it to staff",
                              "zh": "版主：回复一条消息，把它转交给客服"},
    "slack.setup.description": {"en": "Community support for the wallet: FAQ answers, tickets and the staff desk",
                                "zh": "钱包社区客服：常见问题解答、工单和客服工作台"},
    "slack.setup.cmd.ticket": {"en": "Work a ticket: reply, close, set priority, transfer",
                               "zh": "处理工单：回复、关闭、设置优先级、转交"},
    "slack.setup.cmd.note": {"en": "Add an internal note to a ticket", "zh": "给工单添加内部备注"},
    "slack.setup.cmd.faq": {"en": "Ask the FAQ, or add and remove phrasings", "zh": "查询常见问题，或添加、删除问法"},
}
