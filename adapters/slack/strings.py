"""Slack's strings (en and zh), joined into :mod:`core.i18n` through the contract;
every key starts with ``slack.``."""

from __future__ import annotations

__all__ = ["CATALOG"]

CATALOG: dict[str, dict[str, str]] = {
    # from core/i18n/abuse.py
    "slack.block.usage": {
        "en": "Usage: /block <user> [reason] · /block (the list) · /unblock <user>. "
              "A user is platform:id (telegram:12345) or an exact display name.",
        "zh": "用法：/block <用户> [原因] · /block（查看列表）· /unblock <用户>。用户为 平台:ID（如 telegram:12345）或完整显示名称。",
    },
    "slack.setup.cmd.block": {"en": "Block a user, or list who is blocked", "zh": "屏蔽用户，或查看屏蔽列表"},
    "slack.setup.cmd.unblock": {"en": "Unblock a user", "zh": "解除对用户的屏蔽"},
    # from core/i18n/catalog.py
    # Slack staff desk (adapters/slack)
    "slack.button.claim": {"en": "Claim", "zh": "认领"},
    "slack.button.resolve": {"en": "Resolve", "zh": "解决"},
    "slack.button.close": {"en": "Close", "zh": "关闭"},
    "slack.button.verify": {"en": "Request verification", "zh": "请求身份验证"},
    "slack.button.reopen": {"en": "Reopen", "zh": "重新打开"},
    "slack.priority.placeholder": {"en": "Priority", "zh": "优先级"},
    "slack.priority.low": {"en": "Low", "zh": "低"},
    "slack.priority.normal": {"en": "Normal", "zh": "普通"},
    "slack.priority.high": {"en": "High", "zh": "高"},
    "slack.priority.urgent": {"en": "Urgent", "zh": "紧急"},
    "slack.desk.sla": {"en": "⏱ SLA: {sla}", "zh": "⏱ SLA：{sla}"},
    "slack.desk.note": {
        "en": "📝 Internal note (not sent to the user): {text}",
        "zh": "📝 内部备注（不会发送给用户）：{text}",
    },
    "slack.action_failed": {"en": "⚠️ Not done: {error}", "zh": "⚠️ 操作未完成：{error}"},
    "slack.note.usage": {
        "en": "Usage: /note <ticket number> <text> (internal, never sent to the user)",
        "zh": "用法：/note <工单号> <内容>（内部备注，不会发送给用户）",
    },
    "slack.ticket.usage": {
        "en": "Usage: /ticket <number> claim | resolve | close | reopen | verify | wallet | priority <low|normal|high|urgent> | note <text> | transfer <@someone> | snippet <name> | tag add|remove <tag> | lookup [tx hash] | wait [text] | snooze <2h|tomorrow|2026-12-08 09:00|off> | block [reason] | unblock",
        "zh": "用法：/ticket <工单号> claim | resolve | close | reopen | verify | wallet | priority <low|normal|high|urgent> | note <内容> | transfer <@某人> | snippet <名称> | tag add|remove <标签> | lookup [交易哈希] | wait [内容] | snooze <2h|tomorrow|2026-12-08 09:00|off> | block [原因] | unblock",
    },
    # from core/i18n/chain.py
    "slack.button.chain_refresh": {"en": "Refresh on-chain status", "zh": "刷新链上状态"},
    # from core/i18n/queue.py
    "slack.setup.cmd.tickets": {"en": "List and filter the ticket queue", "zh": "列出并筛选工单队列"},
    # from core/i18n/setup.py
    "slack.setup.description": {"en": "Community support for the wallet: FAQ answers, tickets and the staff desk",
                                "zh": "钱包社区客服：常见问题解答、工单和客服工作台"},
    "slack.setup.cmd.ticket": {"en": "Work a ticket: reply, close, set priority, transfer",
                               "zh": "处理工单：回复、关闭、设置优先级、转交"},
    "slack.setup.cmd.note": {"en": "Add an internal note to a ticket", "zh": "给工单添加内部备注"},
    "slack.setup.cmd.faq": {"en": "Ask the FAQ, or add and remove phrasings", "zh": "查询常见问题，或添加、删除问法"},
    # from core/i18n/snippets.py
    "slack.setup.cmd.snippet": {"en": "List and edit the desk's snippets (canned replies)",
                                "zh": "查看并编辑快捷回复（预设回复）"},
    "slack.snippet.placeholder": {"en": "Send a snippet", "zh": "发送快捷回复"},
    "slack.setup.cmd.shift": {"en": "Go on or off shift (round-robin assignment)", "zh": "上班或下班（轮流分配）"},
}
