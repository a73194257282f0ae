"""The message catalogue: key -> {"en": ..., "zh": ...}."""

from __future__ import annotations

__all__ = ["CATALOG"]

CATALOG: dict[str, dict[str, str]] = {
    # conversation
    "help": {
        "en": "Hi! I'm the support bot. Ask me a question about your wallet and I'll answer from our FAQ.\n"
              "• human — talk to our support team\n• /ticket — status of your ticket\n"
              "• /verify <name> — check whether an account is real staff\n"
              "Staff will never ask for your recovery phrase or private key, and never DM you first.",
        "zh": "你好！我是客服机器人。请直接提问钱包相关的问题，我会根据常见问题解答。\n"
              "• 人工 —— 联系客服团队\n• /ticket —— 查看工单状态\n"
              "• /verify <名字> —— 核实某个账号是否为真正的工作人员\n"
              "工作人员绝不会索要你的助记词或私钥，也绝不会主动私信你。",
    },
    "faq.offer_human": {
        "en": "I'm not sure I have the right answer to that. Would you like a human from our support team to help? Reply yes or no.",
        "zh": "这个问题我不太确定能答好。需要转给人工客服吗？请回复“是”或“否”。",
    },
    "faq.escalate_hint": {
        "en": "If this is about your own account, reply \"human\" and our team will take it from here.",
        "zh": "如果这涉及你本人的账户，回复“人工”，客服团队会接手处理。",
    },
    "faq.group_offer_human": {
        "en": "I don't have a confident answer. A moderator can pass this to our support team, or message me privately and type \"human\".",
        "zh": "这个问题我没有把握回答。管理员可以把它转给客服团队，你也可以私信我并输入“人工”。",
    },
    "human.declined": {
        "en": "OK. Ask me anything else any time.",
        "zh": "好的。有其他问题随时问我。",
    },
    "human.opened": {
        "en": "Ticket #{ticket_id} is open and our support team has it. Reply here and they'll see your messages.\n"
              "Reminder: staff will never ask for your recovery phrase or private key, and never DM you first.",
        "zh": "工单 #{ticket_id} 已创建，客服团队已收到。请在这里回复，工作人员会看到你的消息。\n"
              "提醒：工作人员绝不会索要你的助记词或私钥，也绝不会主动私信你。",
    },
    "human.already_open": {
        "en": "You already have ticket #{ticket_id} open. Just write here and our team will see it.",
        "zh": "你已有进行中的工单 #{ticket_id}。直接在这里留言，客服团队会看到。",
    },
    "human.off_hours": {
        "en": "Our team is offline right now (staffed {hours}, {tz}). A human will reply from {next_open}. Meanwhile I can still answer common questions.",
        "zh": "客服团队目前不在线（服务时间 {hours}，{tz}）。人工客服将在 {next_open} 起回复。在此期间，我仍可以回答常见问题。",
    },
    "escalate.public_notice": {
        "en": "A moderator passed this to our support team (ticket #{ticket_id}). {name}, continue privately here: {link}",
        "zh": "管理员已将此问题转交客服团队（工单 #{ticket_id}）。{name}，请点击这里私下继续：{link}",
    },
    "escalate.need_reply": {
        "en": "Reply to the user's message with /escalate to pass it to staff.",
        "zh": "请回复用户的消息并输入 /escalate，以转交给工作人员。",
    },
    "escalate.not_moderator": {
        "en": "Only moderators can escalate messages.",
        "zh": "只有管理员可以转交消息。",
    },
    "ticket.status": {
        "en": "Ticket #{ticket_id}: {state}.",
        "zh": "工单 #{ticket_id}：{state}。",
    },
    "ticket.none": {
        "en": "You have no open ticket. Type \"human\" to reach our team.",
        "zh": "你目前没有进行中的工单。输入“人工”即可联系客服团队。",
    },
    "ticket.reopened": {
        "en": "Ticket #{ticket_id} is reopened and our team will see your message.",
        "zh": "工单 #{ticket_id} 已重新打开，客服团队会看到你的消息。",
    },
    "ticket.staff_reply": {
        "en": "Support: {text}",
        "zh": "客服：{text}",
    },
    "ticket.resolved": {
        "en": "Ticket #{ticket_id} is resolved. How happy are you with the help? Reply with a number from 1 (bad) to 5 (great), optionally followed by a comment.",
        "zh": "工单 #{ticket_id} 已解决。你对这次服务满意吗？请回复 1（很差）到 5（很好）之间的数字，可附上评论。",
    },
    "ticket.closed": {
        "en": "Ticket #{ticket_id} is closed. Write to me any time if you need more help.",
        "zh": "工单 #{ticket_id} 已关闭。如需更多帮助，随时给我留言。",
    },
    "csat.thanks": {
        "en": "Thank you for your feedback!",
        "zh": "感谢你的反馈！",
    },
    "state.open": {"en": "waiting for a staff member", "zh": "等待工作人员处理"},
    "state.claimed": {"en": "a staff member is working on it", "zh": "工作人员正在处理"},
    "state.waiting_on_user": {"en": "waiting for your reply", "zh": "等待你的回复"},
    "state.resolved": {"en": "resolved", "zh": "已解决"},
    "state.closed": {"en": "closed", "zh": "已关闭"},
    # identity
    "verify.code_sent": {
        "en": "To protect your account, our team needs to confirm it's you. We sent a one-time code to your contact on file. "
              "Type it here in this private chat within 10 minutes. Never post it in a group, and never share your recovery phrase.",
        "zh": "为保护你的账户，客服需要确认是你本人。我们已向你登记的联系方式发送一次性验证码。"
              "请在 10 分钟内于本私聊中输入。切勿在群里发送验证码，也切勿透露助记词。",
    },
    "verify.go_private": {
        "en": "Our team needs to confirm your identity. Please open a private chat with me to enter the code: {link}",
        "zh": "客服需要核实你的身份。请打开与我的私聊输入验证码：{link}",
    },
    "verify.ok": {
        "en": "Thank you, you're verified. Our team can now help with your account.",
        "zh": "验证成功，谢谢！客服现在可以协助处理你的账户问题了。",
    },
    "verify.wrong": {
        "en": "That code is not right. {tries_left} tries left.",
        "zh": "验证码不正确，还可以尝试 {tries_left} 次。",
    },
    "verify.locked": {
        "en": "Too many wrong tries; that code is cancelled. Our team can send you a new one.",
        "zh": "错误次数过多，该验证码已作废。客服可以为你重新发送。",
    },
    "verify.expired": {
        "en": "That code has expired or was already used. Our team can send you a new one.",
        "zh": "验证码已过期或已使用。客服可以为你重新发送。",
    },
    "verify.rate_limited": {
        "en": "Too many codes were requested in the last hour. Please try again later.",
        "zh": "过去一小时内请求的验证码过多，请稍后再试。",
    },
    "verify.code_in_public": {
        "en": "Never post a verification code in a public chat. That code is now cancelled; enter a new one only in a private chat with me.",
        "zh": "切勿在公开聊天中发送验证码。该验证码已作废；新的验证码请只在与我的私聊中输入。",
    },
    "verify.malformed": {
        "en": "A code is {digits} digits. Please type just the digits.",
        "zh": "验证码为 {digits} 位数字，请只输入数字。",
    },
    "wallet.challenge": {
        "en": "To prove you control {address}, sign this exact message with your wallet (personal_sign) and send me the signature with /signature <0x...>:\n\n{message}",
        "zh": "为证明你控制地址 {address}，请用钱包对以下完整消息签名（personal_sign），然后发送 /signature <0x...> 给我：\n\n{message}",
    },
    "wallet.bad_address": {
        "en": "That is not a valid wallet address. Example: /wallet 0x1234...abcd",
        "zh": "这不是有效的钱包地址。示例：/wallet 0x1234...abcd",
    },
    "wallet.bad_signature": {
        "en": "That signature does not match the address or the message. Please sign the exact message again.",
        "zh": "签名与地址或消息不匹配，请对完整消息重新签名。",
    },
    "wallet.no_challenge": {
        "en": "There is no open wallet challenge. When our team asks for a wallet signature, start with /wallet <address>.",
        "zh": "当前没有待签名的验证。客服请求钱包签名时，请先发送 /wallet <地址>。",
    },
    "staffcheck.real": {
        "en": "✅ {name} is a real member of our support staff. Even so, staff never ask for your recovery phrase or private key.",
        "zh": "✅ {name} 是我们真正的客服人员。即便如此，工作人员也绝不会索要你的助记词或私钥。",
    },
    "staffcheck.impostor": {
        "en": "⚠️ {name} is NOT our staff, and the name looks like one of our staff members'. This is likely an impersonator: do not reply, and never share your recovery phrase.",
        "zh": "⚠️ {name} 不是我们的工作人员，且名字与某位工作人员相似，很可能是冒充者：请勿回复，切勿透露助记词。",
    },
    "staffcheck.unknown": {
        "en": "⚠️ {name} is not on our staff list. Real staff never DM first and never ask for your recovery phrase or private key.",
        "zh": "⚠️ {name} 不在我们的工作人员名单中。真正的工作人员绝不会主动私信，也绝不会索要助记词或私钥。",
    },
    "staffcheck.name_only": {
        "en": "A staff member is called {name}, but anyone can copy a name. Mention the account (@...) so I can check it. Real staff never DM first.",
        "zh": "确有工作人员叫 {name}，但名字可以被仿冒。请 @ 提及该账号以便我核实。真正的工作人员绝不会主动私信。",
    },
    "staffcheck.usage": {
        "en": "Usage: /verify <name or @mention>",
        "zh": "用法：/verify <名字或 @提及>",
    },
    # shield
    "shield.warning": {
        "en": "⚠️ Your message contained a {kinds}. We removed it and did not pass it on. Treat that wallet as compromised: "
              "create a new wallet with a new recovery phrase and move your funds there now. Nobody, staff included, ever needs it.",
        "zh": "⚠️ 你的消息中包含{kinds}。我们已删除且没有转发。请将该钱包视为已泄露："
              "立即创建一个使用新助记词的新钱包，并把资产转移过去。任何人（包括工作人员）都不需要它。",
    },
    "shield.public_notice": {
        "en": "A message with a wallet secret was removed to protect its sender. Never post your recovery phrase or private key.",
        "zh": "一条包含钱包密钥的消息已被删除以保护发送者。切勿发布你的助记词或私钥。",
    },
    "shield.kind.seed_phrase": {"en": "recovery phrase", "zh": "助记词"},
    "shield.kind.private_key_hex": {"en": "private key", "zh": "私钥"},
    "shield.kind.wif": {"en": "private key", "zh": "私钥"},
    "shield.kind.xprv": {"en": "extended private key", "zh": "扩展私钥"},
    "dm.fallback": {
        "en": "{name}, I have a private message for you. Open a chat with me: {link}",
        "zh": "{name}，我有一条私信给你。请点此与我私聊：{link}",
    },
    # errors
    "error.too_long": {
        "en": "Your message is too long ({length} characters; the limit is {limit}). Please shorten it.",
        "zh": "消息过长（{length} 个字符，上限 {limit}）。请精简后再发送。",
    },
    "error.not_saved": {
        "en": "Sorry, we could not save your message because of a problem on our side. Please send it again in a few minutes.",
        "zh": "抱歉，由于我们这边的故障，您的消息未能保存。请过几分钟后重新发送。",
    },
    "error.generic": {
        "en": "Sorry, something went wrong on our side. Please try again in a minute.",
        "zh": "抱歉，我们这边出了点问题，请稍后再试。",
    },
    "error.rating": {
        "en": "Please reply with a number from 1 to 5.",
        "zh": "请回复 1 到 5 之间的数字。",
    },
    # staff desk (staff-facing, still bilingual)
    "desk.title": {
        "en": "Ticket #{ticket_id} · {priority} · {state}",
        "zh": "工单 #{ticket_id} · {priority} · {state}",
    },
    "desk.summary": {
        "en": "User: {user} ({platform}, {lang})\nTopic: {category}\nAssignee: {assignee}\nIdentity: {verification}\nSLA: {sla}\n> {subject}",
        "zh": "用户：{user}（{platform}，{lang}）\n主题：{category}\n处理人：{assignee}\n身份：{verification}\nSLA：{sla}\n> {subject}",
    },
    "desk.unverified": {"en": "not verified", "zh": "未验证"},
    "desk.verification_pending": {"en": "code sent, waiting", "zh": "验证码已发送，等待中"},
    "desk.verified": {"en": "verified at {at} by {method}", "zh": "已于 {at} 通过{method}验证"},
    "desk.unassigned": {"en": "nobody yet", "zh": "尚未分配"},
    "desk.sla_due": {"en": "first response due {at}", "zh": "首次响应截止 {at}"},
    "desk.sla_met": {"en": "first response given", "zh": "已首次响应"},
    "desk.sla_breached": {"en": "BREACHED (due {at})", "zh": "已超时（截止 {at}）"},
    "desk.user_said": {"en": "{user}: {text}", "zh": "{user}：{text}"},
    "desk.event": {"en": "{actor}: {what}", "zh": "{actor}：{what}"},
    "desk.sla_warning": {
        "en": "⏰ Ticket #{ticket_id} ({priority}) is close to its SLA: first response due {at}.",
        "zh": "⏰ 工单 #{ticket_id}（{priority}）即将超出 SLA：首次响应截止 {at}。",
    },
    "desk.sla_breach": {
        "en": "🚨 Ticket #{ticket_id} ({priority}) breached its SLA.",
        "zh": "🚨 工单 #{ticket_id}（{priority}）已超出 SLA。",
    },
    "desk.delivery_failed": {
        "en": "⚠️ Delivery to the user failed: {error}",
        "zh": "⚠️ 消息未能送达用户：{error}",
    },
    "desk.impostor": {
        "en": "🚩 Possible staff impersonator: {user} uses the display name \"{name}\".",
        "zh": "🚩 疑似冒充工作人员：{user} 使用了显示名“{name}”。",
    },
    "desk.secret_removed": {
        "en": "🛡 A secret ({kinds}) was removed from the user's message.",
        "zh": "🛡 已从用户消息中移除一项密钥（{kinds}）。",
    },
    "desk.csat": {"en": "⭐ CSAT {rating}/5 {comment}", "zh": "⭐ 满意度 {rating}/5 {comment}"},
    # staff action refusals (shown to staff, one line)
    "staff.unknown_action": {"en": "Unknown action.", "zh": "未知操作。"},
    "staff.too_long": {"en": "That text is too long.", "zh": "文字太长。"},
    "staff.no_ticket": {"en": "There is no such ticket.", "zh": "没有这个工单。"},
    "staff.empty_reply": {"en": "The reply is empty.", "zh": "回复为空。"},
    "staff.empty_note": {"en": "The note is empty.", "zh": "备注为空。"},
    "staff.transfer_needs_name": {"en": "Say who to transfer the ticket to.", "zh": "请指明要转交给谁。"},
    "staff.no_canned": {"en": "No canned reply “{name}”; available: {available}.",
                        "zh": "没有名为“{name}”的预设回复；可用：{available}。"},
    "staff.bad_priority": {"en": "Use low, normal, high or urgent.", "zh": "请使用 low、normal、high 或 urgent。"},
    "staff.code_not_sent": {"en": "The one-time code could not be sent.", "zh": "一次性验证码发送失败。"},
    "desk.verified_by": {"en": "✅ verified by {method}", "zh": "✅ 已通过 {method} 验证"},
    # canned replies staff insert by name (`canned` staff action)
    "canned.explorer": {
        "en": "Hi {user}, could you send us the transaction hash (tx id)? Check it first on a block explorer: if it shows confirmed, the funds have arrived on-chain.",
        "zh": "{user} 你好，请提供交易哈希（tx id）。也可以先在区块浏览器上查询：如果显示已确认，资金已经上链到账。",
    },
    "canned.never-share": {
        "en": "{user}, a reminder: we will never ask for your recovery phrase or private key. Anyone who does is a scammer.",
        "zh": "{user}，提醒：我们绝不会索要你的助记词或私钥。任何索要的人都是骗子。",
    },
    "canned.closing": {
        "en": "Thanks {user}! We're marking ticket #{ticket_id} as solved. Write here if anything else comes up.",
        "zh": "谢谢 {user}！工单 #{ticket_id} 将标记为已解决。如有其他问题，请在这里留言。",
    },
    "policy.not_staff": {
        "en": "Only support staff can act on tickets.",
        "zh": "只有客服人员可以处理工单。",
    },
    "policy.desk_only": {
        "en": "Use this in the staff channel.",
        "zh": "请在客服频道中使用此功能。",
    },
    "faqadmin.usage": {
        "en": "Usage: /faq add <entry id> <question> | /faq add <entry id> #<ticket> (that ticket's question) | /faq added | /faq remove <number> | /faq reload | /faq ids | /faq <question> (preview the answer)",
        "zh": "用法：/faq add <条目 id> <问题> | /faq add <条目 id> #<工单号>（使用该工单的问题）| /faq added | /faq remove <编号> | /faq reload | /faq ids | /faq <问题>（预览回答）",
    },
    "faqadmin.not_admin": {
        "en": "Only FAQ admins can change the FAQ.",
        "zh": "只有 FAQ 管理员可以修改 FAQ。",
    },
    "faqadmin.disabled": {
        "en": "FAQ editing is not enabled in this process.",
        "zh": "此进程未启用 FAQ 编辑。",
    },
    "faqadmin.unknown_entry": {
        "en": "There is no FAQ entry '{entry}'. /faq ids lists them.",
        "zh": "没有名为 “{entry}” 的 FAQ 条目。用 /faq ids 查看全部条目。",
    },
    "faqadmin.no_ticket": {"en": "There is no ticket #{ticket_id}.", "zh": "没有工单 #{ticket_id}。"},
    "faqadmin.empty": {"en": "The question is empty.", "zh": "问题不能为空。"},
    "faqadmin.too_long": {
        "en": "The question is too long (at most {limit} characters).",
        "zh": "问题太长（最多 {limit} 个字符）。",
    },
    "faqadmin.secret": {
        "en": "That text contains (or had) a secret; it can't go into the FAQ.",
        "zh": "该文本包含（或曾包含）敏感信息，不能加入 FAQ。",
    },
    "faqadmin.duplicate": {
        "en": "'{entry}' already has this question.",
        "zh": "“{entry}” 已经有这个问题了。",
    },
    "faqadmin.added": {
        "en": "Added to '{entry}' ({lang}): “{text}”. It now has {examples} {lang} example questions; every process picks this up within seconds.",
        "zh": "已加入 “{entry}”（{lang}）：“{text}”。该条目现有 {examples} 个{lang}示例问题；所有进程会在几秒内生效。",
    },
    "faqadmin.reloaded": {
        "en": "FAQ reloaded: {entries} entries, {questions} example questions.",
        "zh": "FAQ 已重新加载：{entries} 个条目，{questions} 个示例问题。",
    },
    "faqadmin.reload_failed": {
        "en": "The FAQ file did not load, the previous FAQ is still answering: {error}",
        "zh": "FAQ 文件加载失败，仍在使用之前的 FAQ：{error}",
    },
    "faqadmin.ids": {"en": "FAQ entries: {ids}", "zh": "FAQ 条目：{ids}"},
    "faqadmin.no_phrasing": {"en": "There is no added question #{phrasing_id}.", "zh": "没有编号为 #{phrasing_id} 的新增问题。"},
    "faqadmin.added_list": {"en": "Questions staff added (newest first): {items}", "zh": "客服新增的问题（最新在前）：{items}"},
    "faqadmin.added_none": {"en": "No questions have been added from the desk yet.", "zh": "还没有通过客服台新增的问题。"},
    "faqadmin.removed": {
        "en": "Removed #{phrasing_id} from '{entry}': “{text}”.",
        "zh": "已从 “{entry}” 删除 #{phrasing_id}：“{text}”。",
    },
    "faqadmin.preview": {
        "en": "{entry} (confidence {confidence}): {answer}",
        "zh": "{entry}（置信度 {confidence}）：{answer}",
    },
    "faqadmin.preview_none": {
        "en": "No confident answer (best guess: {entry}, {confidence}); the bot would offer a human.",
        "zh": "没有足够确定的答案（最接近：{entry}，{confidence}）；机器人会提出转人工。",
    },
}
