"""Texts of the conversation layer: replies to dialogue acts, the open ticket's
acknowledgements, the reopen question, urgent cases, the support calendar."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "dialogue.greeting": {
        "en": "Hi! Ask me anything about your wallet, or type human to reach our support team.",
        "zh": "你好！有任何钱包问题都可以问我，输入“人工”可以联系客服团队。",
    },
    "dialogue.greeting_ticket": {
        "en": "Hi! Your ticket #{ticket_id} is open; write here and our team will see it.",
        "zh": "你好！你的工单 #{ticket_id} 仍在处理中，在这里留言客服团队就能看到。",
    },
    "dialogue.thanks": {
        "en": "You're welcome! Ask any time.",
        "zh": "不客气！有问题随时问我。",
    },
    "dialogue.ack": {
        "en": "👍 Anything else I can help with?",
        "zh": "👍 还有其他可以帮你的吗？",
    },
    "dialogue.ack_ticket": {
        "en": "👍 Noted on ticket #{ticket_id}.",
        "zh": "👍 已记录在工单 #{ticket_id}。",
    },
    "dialogue.goodbye": {
        "en": "Bye! Come back any time.",
        "zh": "再见！有需要随时回来。",
    },
    "dialogue.ask_if_bot": {
        "en": "I'm walletdesk's support bot, not a person. I answer common questions; type human and a real staff member takes over.",
        "zh": "我是 walletdesk 的客服机器人，不是真人。我可以回答常见问题；输入“人工”即可由真人客服接手。",
    },
    "dialogue.ask_if_bot_ticket": {
        "en": "I'm the support bot. A real staff member handles your ticket #{ticket_id} and replies here.",
        "zh": "我是客服机器人。你的工单 #{ticket_id} 由真人客服处理，回复会发到这里。",
    },
    "dialogue.no_ticket_waiting": {
        "en": "You have no open ticket at the moment. Tell me what's wrong, or type human and I'll pass it to our team.",
        "zh": "你目前没有未结束的工单。请告诉我遇到了什么问题，或输入“人工”转给客服团队。",
    },
    "dialogue.no_offer": {
        "en": "OK. Ask me anything else any time.",
        "zh": "好的。有其他问题随时问我。",
    },
    "dialogue.offer_again": {
        "en": "I still can't answer that one myself. Shall I hand it to a person on our team? Yes or no.",
        "zh": "这个问题我还是答不好。要我转给团队里的真人客服吗？请回复“是”或“否”。",
    },
    "dialogue.insist": {
        "en": "I couldn't answer that a few times, so I'm passing you to our team.",
        "zh": "我几次都没能回答你的问题，现在为你转接客服团队。",
    },
    "ticketchat.ack": {
        "en": "Got it, I added this to ticket #{ticket_id}. Our team replies here.",
        "zh": "收到，已添加到工单 #{ticket_id}。客服团队会在这里回复你。",
    },
    "ticketchat.expected": {
        "en": "Ticket #{ticket_id} is {state}; a reply is expected by {at}.",
        "zh": "工单 #{ticket_id} 状态：{state}；预计在 {at} 前回复。",
    },
    "ticketchat.expected_soon": {
        "en": "Ticket #{ticket_id} is {state}; staff are online and will reply as soon as they can.",
        "zh": "工单 #{ticket_id} 状态：{state}；工作人员在线，会尽快回复。",
    },
    "ticketchat.off_hours": {
        "en": "Our team is offline now; a human will be back {at}. Your ticket #{ticket_id} keeps its place.",
        "zh": "客服团队目前不在线，人工将于 {at} 回来。你的工单 #{ticket_id} 会保留排队位置。",
    },
    "ticketchat.auto_answer": {
        "en": "(Automatic answer while you wait for staff on ticket #{ticket_id})\n\n{answer}",
        "zh": "（等待工单 #{ticket_id} 人工回复期间的自动回答）\n\n{answer}",
    },
    "ticketchat.desk_auto": {
        "en": "bot answered automatically from FAQ entry {entry} ({confidence:.0%})",
        "zh": "机器人已用 FAQ 条目 {entry} 自动回答（{confidence:.0%}）",
    },
    "ticketchat.reopen_ask": {
        "en": "Your ticket #{ticket_id} was resolved recently. Is this about the same problem? Reply yes to reopen ticket #{ticket_id}, or no if it's a new question.",
        "zh": "你的工单 #{ticket_id} 刚刚已解决。这是同一个问题吗？回复“是”重新打开工单 #{ticket_id}，回复“否”作为新问题处理。",
    },
    "ticketchat.closed_by_user": {
        "en": "Ticket #{ticket_id} is closed. Thanks for letting us know!",
        "zh": "工单 #{ticket_id} 已关闭。感谢告知！",
    },
    "ticketchat.desk_closed_by_user": {
        "en": "the user closed the ticket",
        "zh": "用户关闭了工单",
    },
    "ticketchat.nothing_to_close": {
        "en": "You have no open ticket to close.",
        "zh": "你没有可以关闭的工单。",
    },
    "ticketchat.desk_history": {
        "en": "before the handoff:\n{lines}",
        "zh": "转人工之前的对话：\n{lines}",
    },
    "urgent.opened": {
        "en": "This looks urgent, so I opened ticket #{ticket_id} at urgent priority for our team right now. Do this immediately:\n1. Move any remaining funds to a NEW wallet with a new recovery phrase.\n2. Revoke token approvals (e.g. revoke.cash) from a safe device.\n3. Note the transaction hashes of the transfers you did not make and send them here.\nStaff will never ask for your recovery phrase or private key.",
        "zh": "情况紧急，我已立即为你创建紧急工单 #{ticket_id}。请马上：\n1. 把剩余资产转到一个使用全新助记词的新钱包。\n2. 在安全的设备上撤销代币授权（例如 revoke.cash）。\n3. 记下你没有发起的转账的交易哈希，并发到这里。\n工作人员绝不会索要你的助记词或私钥。",
    },
    "urgent.raised": {
        "en": "I marked your ticket #{ticket_id} as urgent. Meanwhile: move remaining funds to a new wallet, revoke token approvals, and send us the transaction hashes.",
        "zh": "已将你的工单 #{ticket_id} 标记为紧急。同时请：把剩余资产转到新钱包、撤销代币授权，并把相关交易哈希发给我们。",
    },
    "urgent.desk": {
        "en": "🚨 urgent: {reason}",
        "zh": "🚨 紧急：{reason}",
    },
    "emotion.desk": {
        "en": "⚠ the user sounds {mood}; priority raised to {priority}",
        "zh": "⚠ 用户情绪：{mood}；优先级已提升为 {priority}",
    },
    "hours.staffed_now": {
        "en": "staff are online now",
        "zh": "现在有工作人员在线",
    },
    "hours.never": {
        "en": "no staffed time is scheduled",
        "zh": "暂无安排服务时间",
    },
    "intake.ask_default": {
        "en": "Could you tell me the {field}?",
        "zh": "请告诉我 {field}。",
    },
    "intake.skip_hint": {
        "en": "(or reply skip)",
        "zh": "（不清楚可回复“跳过”）",
    },
    "intake.done": {
        "en": "Thanks, that's on ticket #{ticket_id} for our team.",
        "zh": "谢谢，这些信息已添加到工单 #{ticket_id}，客服团队会看到。",
    },
    "intake.desk_fields": {
        "en": "📋 intake: {fields}",
        "zh": "📋 补充信息：{fields}",
    },
}
