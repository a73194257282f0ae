"""Strings of the desk's snippets (``/snippet``), ticket tags and auto-assignment (``/shift``)."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    # snippets: canned replies staff edit and insert
    "snippet.usage": {
        "en": "Usage: /snippet list | show <name> | add <name> <English text> | edit <name> [en|zh] <text> | remove <name> | remove <name> zh (placeholders: {placeholders})",
        "zh": "用法：/snippet list | show <名称> | add <名称> <英文内容> | edit <名称> [en|zh] <内容> | remove <名称> | remove <名称> zh（占位符：{placeholders}）",
    },
    "snippet.not_editor": {
        "en": "Only staff who may change the FAQ can change snippets.",
        "zh": "只有可以修改 FAQ 的客服人员才能修改快捷回复。",
    },
    "snippet.bad_name": {
        "en": "A snippet name is 1-40 lowercase letters, digits, - or _.",
        "zh": "快捷回复名称为 1-40 个小写字母、数字、- 或 _。",
    },
    "snippet.bad_placeholder": {
        "en": "Unknown placeholder “{placeholder}”; use {{user}}, {{ticket_id}} or {{agent}}.",
        "zh": "未知的占位符“{placeholder}”；请使用 {{user}}、{{ticket_id}} 或 {{agent}}。",
    },
    "snippet.empty": {"en": "The snippet text is empty.", "zh": "快捷回复内容为空。"},
    "snippet.too_long": {
        "en": "The snippet text is too long (at most {limit} characters).",
        "zh": "快捷回复内容太长（最多 {limit} 个字符）。",
    },
    "snippet.secret": {
        "en": "That text contains a secret; it can't become a snippet.",
        "zh": "该文本包含敏感信息，不能作为快捷回复。",
    },
    "snippet.exists": {
        "en": "There is already a snippet “{name}”; change it with /snippet edit {name} <text>.",
        "zh": "已经有名为“{name}”的快捷回复；用 /snippet edit {name} <内容> 修改。",
    },
    "snippet.unknown": {
        "en": "No snippet “{name}”; available: {available}.",
        "zh": "没有名为“{name}”的快捷回复；可用：{available}。",
    },
    "snippet.added": {"en": "Snippet “{name}” added ({langs}).", "zh": "已添加快捷回复“{name}”（{langs}）。"},
    "snippet.updated": {"en": "Snippet “{name}” updated ({langs}).", "zh": "已更新快捷回复“{name}”（{langs}）。"},
    "snippet.removed": {"en": "Snippet “{name}” removed.", "zh": "已删除快捷回复“{name}”。"},
    "snippet.zh_removed": {
        "en": "Snippet “{name}” has no Chinese text now; Chinese users get the English one.",
        "zh": "快捷回复“{name}”已没有中文内容；中文用户将收到英文内容。",
    },
    "snippet.list": {"en": "Snippets: {items}", "zh": "快捷回复：{items}"},
    "snippet.list_item": {"en": "{name} ({langs}): {preview}", "zh": "{name}（{langs}）：{preview}"},
    "snippet.none": {"en": "There are no snippets yet.", "zh": "还没有快捷回复。"},
    "snippet.show": {"en": "{name} · en: {en} · zh: {zh}", "zh": "{name} · en：{en} · zh：{zh}"},
    "snippet.no_zh": {"en": "(none: the English text is sent)", "zh": "（无：发送英文内容）"},
    "snippet.agent_default": {"en": "the support team", "zh": "客服团队"},
    # tags on tickets
    "tag.usage": {
        "en": "Usage: /ticket <number> tag add <tag> | tag remove <tag> (a tag is 1-32 lowercase letters, digits, - or _)",
        "zh": "用法：/ticket <工单号> tag add <标签> | tag remove <标签>（标签为 1-32 个小写字母、数字、- 或 _）",
    },
    "tag.not_there": {"en": "Ticket #{ticket_id} has no tag “{tag}”.", "zh": "工单 #{ticket_id} 没有标签“{tag}”。"},
    "desk.tags": {"en": "🏷 Tags: {tags}", "zh": "🏷 标签：{tags}"},
    "desk.tag_added": {"en": "🏷 {staff} tagged it “{tag}”.", "zh": "🏷 {staff} 添加了标签“{tag}”。"},
    "desk.tag_removed": {"en": "🏷 {staff} removed the tag “{tag}”.", "zh": "🏷 {staff} 删除了标签“{tag}”。"},
    # auto-assignment and shifts
    "desk.auto_assigned": {"en": "🎯 Assigned to {assignee} (round robin).", "zh": "🎯 已分配给 {assignee}（轮流分配）。"},
    "shift.usage": {
        "en": "Usage: /shift on | off | status (whether new tickets are assigned to you during support hours)",
        "zh": "用法：/shift on | off | status（在客服时间内是否给你分配新工单）",
    },
    "shift.on": {"en": "You are on shift: new tickets come to you in turn during support hours.",
                 "zh": "你已上班：客服时间内新工单会轮流分配给你。"},
    "shift.off": {"en": "You are off shift: no new tickets are assigned to you.",
                  "zh": "你已下班：不会再给你分配新工单。"},
    "shift.auto_assign_off": {
        "en": "Auto-assignment is off (WALLETDESK_AUTO_ASSIGN); your shift was recorded all the same.",
        "zh": "自动分配未开启（WALLETDESK_AUTO_ASSIGN）；你的班次仍已记录。",
    },
    "shift.not_in_rotation": {
        "en": "You are not in the rotation (the desk's staff list); your shift was recorded all the same.",
        "zh": "你不在轮流分配名单中（客服台的工作人员名单）；你的班次仍已记录。",
    },
}
