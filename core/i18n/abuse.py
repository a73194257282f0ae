"""Strings of blocking and flood limits."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "abuse.blocked_notice": {
        "en": "Support has blocked this account, so we won't answer or open tickets here any more. "
              "This is the only notice you'll get.",
        "zh": "客服已屏蔽此账户，今后将不再回复或为您创建工单。这是唯一一次通知。",
    },
    "abuse.flood_user": {
        "en": "You're sending messages faster than we can read them. I'll pause for about {seconds} seconds; "
              "messages sent meanwhile are not passed on.",
        "zh": "您发送消息的速度太快了。我将暂停约 {seconds} 秒，期间发送的消息不会被转交。",
    },
    "abuse.flood_group": {
        "en": "This chat is sending me more messages than I can handle. I'll answer again in about {seconds} seconds.",
        "zh": "本群发给我的消息太多了，我将在约 {seconds} 秒后继续回复。",
    },
    "abuse.desk_flood": {
        "en": "🌊 Flood: {who} sent more than {count} messages in {seconds} s; their messages are not answered or "
              "relayed for now (still shielded).",
        "zh": "🌊 刷屏：{who} 在 {seconds} 秒内发送了超过 {count} 条消息；暂不回复也不转交（仍经过安全过滤）。",
    },
    "abuse.desk_blocked": {
        "en": "🚫 {user} blocked by {staff}. Reason: {reason}",
        "zh": "🚫 {user} 已被 {staff} 屏蔽。原因：{reason}",
    },
    "abuse.field_blocked": {
        "en": "🚫 User blocked by {staff} since {at}. Reason: {reason}",
        "zh": "🚫 用户已于 {at} 被 {staff} 屏蔽。原因：{reason}",
    },
    "abuse.desk_unblocked": {
        "en": "✅ {user} unblocked by {staff}.",
        "zh": "✅ {staff} 已解除对 {user} 的屏蔽。",
    },
    "abuse.not_moderator": {
        "en": "Only staff and moderators can block users.",
        "zh": "只有客服人员和管理员可以屏蔽用户。",
    },
    "abuse.escalate_blocked": {
        "en": "This user is blocked, so no ticket was opened. Staff can unblock them first.",
        "zh": "该用户已被屏蔽，因此未创建工单。如需处理，请先由客服解除屏蔽。",
    },
    "abuse.already_blocked": {"en": "{user} is already blocked.", "zh": "{user} 已被屏蔽。"},
    "abuse.not_blocked": {"en": "{user} is not blocked.", "zh": "{user} 未被屏蔽。"},
    "abuse.no_user": {
        "en": "No user \"{user}\". Name them as platform:id, as the ticket shows them, or by their exact display name.",
        "zh": "找不到用户“{user}”。请使用工单上显示的 平台:ID，或其完整的显示名称。",
    },
    "abuse.many_users": {
        "en": "{count} users are called \"{user}\"; name one as platform:id, as the ticket shows them.",
        "zh": "有 {count} 个用户名为“{user}”；请使用工单上显示的 平台:ID 指明。",
    },
    "abuse.blocked_done": {"en": "🚫 {user} is blocked.", "zh": "🚫 已屏蔽 {user}。"},
    "abuse.unblocked_done": {"en": "✅ {user} is unblocked.", "zh": "✅ 已解除屏蔽 {user}。"},
    "abuse.none_blocked": {"en": "Nobody is blocked.", "zh": "目前没有被屏蔽的用户。"},
    "abuse.list_header": {"en": "🚫 {count} blocked user(s):", "zh": "🚫 共 {count} 个被屏蔽的用户："},
    "abuse.list_line": {
        "en": "{user} · {reason} · by {staff} · {at}",
        "zh": "{user} · {reason} · 由 {staff} 屏蔽 · {at}",
    },
}
