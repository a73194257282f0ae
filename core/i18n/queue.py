"""Strings of the staff queue (``/tickets``, ``/desk list``)."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "queue.header": {"en": "🗂 {count} ticket(s) · {filter}", "zh": "🗂 共 {count} 个工单 · {filter}"},
    "queue.empty": {"en": "Nothing waiting here.", "zh": "这里没有待处理的工单。"},
    "queue.line": {
        "en": "#{ticket_id} · {priority} · {state} · {user} ({platform}) · {topic} · {sla} · {assignee}",
        "zh": "#{ticket_id} · {priority} · {state} · {user}（{platform}）· {topic} · {sla} · {assignee}",
    },
    "queue.more": {
        "en": "… and {more} more. Narrow it down with: {words}",
        "zh": "……还有 {more} 个。可用这些词筛选：{words}",
    },
    "queue.bad_filter": {
        "en": "Unknown filter \"{word}\". Use any of: {words}",
        "zh": "未知的筛选词“{word}”。可用：{words}",
    },
    "desk.earlier": {"en": "🕘 Earlier tickets: {tickets}", "zh": "🕘 以往工单：{tickets}"},
    "desk.earlier_item": {"en": "#{ticket_id} {topic} ({state}{csat})", "zh": "#{ticket_id} {topic}（{state}{csat}）"},
}
