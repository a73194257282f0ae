"""Strings of parked tickets: waiting on the user (the nudge, auto-resolve) and snoozes."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "parking.nudge": {
        "en": "Hi! We're still waiting for your answer on ticket #{ticket_id}. Just reply here and we'll carry on. "
              "Without an answer the ticket will be resolved in {hours} hours.",
        "zh": "您好！工单 #{ticket_id} 仍在等待您的回复。直接在这里回复即可继续处理。"
              "如果 {hours} 小时内没有回复，工单将自动标记为已解决。",
    },
    "parking.auto_resolved": {
        "en": "We haven't heard back, so ticket #{ticket_id} is now resolved. If you still need help, just write here.",
        "zh": "由于没有收到您的回复，工单 #{ticket_id} 已标记为已解决。如仍需帮助，直接在这里留言即可。",
    },
    "parking.desk_waiting": {
        "en": "⏳ {staff} set this ticket waiting on the user: one nudge at {nudge}, resolved at {resolve} "
              "without an answer.",
        "zh": "⏳ {staff} 将此工单设为等待用户回复：{nudge} 提醒一次，若仍无回复则于 {resolve} 自动解决。",
    },
    "parking.desk_nudged": {
        "en": "🔔 The user was nudged once; without an answer the ticket resolves itself at {resolve}.",
        "zh": "🔔 已提醒用户一次；若仍无回复，工单将于 {resolve} 自动解决。",
    },
    "parking.desk_auto_resolved": {
        "en": "✅ Resolved automatically: no answer from the user after the nudge.",
        "zh": "✅ 已自动解决：提醒后用户仍未回复。",
    },
    "parking.desk_user_back": {
        "en": "↩️ The user answered: back in the queue (waiting and snooze cleared).",
        "zh": "↩️ 用户已回复：工单回到队列（已取消等待与暂缓）。",
    },
    "parking.desk_snoozed": {
        "en": "💤 {staff} snoozed this ticket until {until}: hidden from the queue until then.",
        "zh": "💤 {staff} 将此工单暂缓至 {until}：在此之前不在队列中显示。",
    },
    "parking.desk_unsnoozed": {
        "en": "💤 {staff} ended the snooze: back in the queue.",
        "zh": "💤 {staff} 取消了暂缓：工单回到队列。",
    },
    "parking.desk_snooze_over": {
        "en": "⏰ Snooze over: ticket #{ticket_id} is back in the queue.",
        "zh": "⏰ 暂缓结束：工单 #{ticket_id} 已回到队列。",
    },
    "parking.bad_snooze": {
        "en": "Cannot read \"{text}\" as a time. Use 30m, 2h, 1d, tomorrow, 2026-12-08 09:00, or off.",
        "zh": "无法识别时间“{text}”。可用：30m、2h、1d、tomorrow（明天）、2026-12-08 09:00，或 off（取消）。",
    },
    "parking.snooze_range": {
        "en": "\"{text}\" is in the past or more than 30 days ahead.",
        "zh": "“{text}”已经过去，或超过 30 天。",
    },
    "parking.field_waiting": {
        "en": "⏳ Waiting on the user since {since}; nudge at {nudge}",
        "zh": "⏳ 自 {since} 起等待用户回复；将于 {nudge} 提醒",
    },
    "parking.field_nudged": {
        "en": "🔔 User nudged; resolves itself at {resolve} without an answer",
        "zh": "🔔 已提醒用户；若无回复将于 {resolve} 自动解决",
    },
    "parking.field_snoozed": {
        "en": "💤 Snoozed until {until} by {staff}",
        "zh": "💤 由 {staff} 暂缓至 {until}",
    },
}
