"""Strings of the staff's day on Slack: the App Home tab, the daily digest in
the staff channel, and transcripts from ``/ticket N transcript|export``."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    # App Home
    "home.title": {"en": "🗂 Ticket queue", "zh": "🗂 工单队列"},
    "home.by_state": {
        "en": "*By state:* open {open} · claimed {claimed} · waiting on the user {waiting_on_user}",
        "zh": "*按状态：* 待处理 {open} · 已认领 {claimed} · 等待用户 {waiting_on_user}",
    },
    "home.by_priority_line": {"en": "*By priority:* {priorities}", "zh": "*按优先级：* {priorities}"},
    "home.breaching": {
        "en": "⏰ *SLA:* {breaching} unanswered ticket(s) due within 30 minutes or late, {breached} of them late",
        "zh": "⏰ *SLA：* {breaching} 个未回复的工单将在 30 分钟内到期或已超时，其中 {breached} 个已超时",
    },
    "home.top": {"en": "*The {count} most urgent:*", "zh": "*最紧急的 {count} 个：*"},
    "home.empty": {"en": "Nothing waiting. 🎉", "zh": "没有待处理的工单。🎉"},
    "home.open": {"en": "Open", "zh": "打开"},
    "home.updated": {
        "en": "Updated {at} · `/tickets [filter]` for more",
        "zh": "更新于 {at} · 用 `/tickets [筛选词]` 查看更多",
    },
    "home.not_staff": {
        "en": "👋 This is the support team's desk. Need help? Send me a message in the Messages tab.",
        "zh": "👋 这里是支持团队的工作台。需要帮助？请在“消息”标签页给我发消息。",
    },
    "home.by_priority": {
        "en": "urgent {urgent} · high {high} · normal {normal} · low {low}",
        "zh": "紧急 {urgent} · 高 {high} · 普通 {normal} · 低 {low}",
    },
    # the daily digest
    "home.digest_title": {"en": "📊 Daily digest · {day}", "zh": "📊 每日摘要 · {day}"},
    "home.digest_backlog": {"en": "Backlog: {total} active ticket(s) — {priorities}",
                            "zh": "积压：{total} 个进行中的工单 — {priorities}"},
    "home.digest_oldest": {
        "en": "Oldest waiting for staff: #{ticket_id} ({priority}, {topic}), waiting {age}",
        "zh": "等待客服最久：#{ticket_id}（{priority}，{topic}），已等待 {age}",
    },
    "home.digest_no_oldest": {"en": "Nobody is waiting for staff.", "zh": "没有用户在等待客服。"},
    "home.digest_breaches": {"en": "SLA breaches in the last 24 h: {count} — {priorities}",
                             "zh": "过去 24 小时的 SLA 超时：{count} 个 — {priorities}"},
    "home.digest_no_breaches": {"en": "No SLA breaches in the last 24 h.", "zh": "过去 24 小时没有 SLA 超时。"},
    "home.age_days": {"en": "{days} d {hours} h", "zh": "{days} 天 {hours} 小时"},
    "home.age_hours": {"en": "{hours} h {minutes} min", "zh": "{hours} 小时 {minutes} 分钟"},
    # transcripts from Slack
    "home.transcript_usage": {
        "en": "Usage: /ticket <id> transcript, or /ticket <id> export [text|json|html]",
        "zh": "用法：/ticket <编号> transcript，或 /ticket <编号> export [text|json|html]",
    },
    "home.bad_format": {"en": "Unknown format. Use one of: {formats}", "zh": "未知的格式。可用：{formats}"},
    "home.uploaded": {
        "en": "The transcript of ticket #{ticket_id} is in your conversation with me.",
        "zh": "工单 #{ticket_id} 的记录已发到你和我的私聊中。",
    },
    "home.upload_failed": {"en": "Could not upload the transcript ({error}).", "zh": "无法上传记录（{error}）。"},
    "home.file_title": {"en": "Ticket #{ticket_id} transcript", "zh": "工单 #{ticket_id} 记录"},
    "home.file_comment": {
        "en": "Ticket #{ticket_id}: its transcript, secrets redacted.",
        "zh": "工单 #{ticket_id}：完整记录，敏感信息已隐去。",
    },
}
