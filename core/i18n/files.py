"""What users and staff are told about the files they send each other through a ticket."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "files.too_large": {
        "en": "This file is too large to pass on to support (at most {max_mb} MB).",
        "zh": "这个文件太大，无法转给客服（最多 {max_mb} MB）。",
    },
    "files.text_too_large": {
        "en": "This text file is too long to pass on to support (at most {max_kb} KB): please send the relevant part.",
        "zh": "这个文本文件太长，无法转给客服（最多 {max_kb} KB）：请只发送相关部分。",
    },
    "files.wrong_type": {
        "en": "Support can receive only screenshots (PNG, JPEG, WebP, GIF) and text files; this one was not passed on.",
        "zh": "客服只能接收截图（PNG、JPEG、WebP、GIF）和文本文件；这个文件没有转发。",
    },
    "files.no_ticket": {
        "en": "Files reach support only while you have a ticket: ask for a human first, then send it here.",
        "zh": "只有在你有工单时文件才会转给客服：请先要求人工客服，然后在这里发送。",
    },
    "files.not_checked": {
        "en": "I could not check this file just now, so it was not passed on. Please try again in a minute.",
        "zh": "我暂时无法检查这个文件，所以没有转发。请稍后再试。",
    },
    "files.relayed": {
        "en": "📎 Sent to support with ticket #{ticket_id}.",
        "zh": "📎 已随工单 #{ticket_id} 发送给客服。",
    },
    "files.from_staff": {
        "en": "📎 Support sent you a file.",
        "zh": "📎 客服给你发送了一个文件。",
    },
    "files.desk_user_file": {
        "en": "📎 {user} sent {name} ({size} KB)",
        "zh": "📎 {user} 发送了 {name}（{size} KB）",
    },
    "files.desk_refused": {
        "en": "📎 {name} was not sent to the user: {reason}",
        "zh": "📎 {name} 没有发送给用户：{reason}",
    },
    "files.reason.too_large": {"en": "over {max_mb} MB", "zh": "超过 {max_mb} MB"},
    "files.reason.text_too_large": {"en": "a text file over {max_kb} KB", "zh": "文本文件超过 {max_kb} KB"},
    "files.reason.wrong_type": {"en": "type {kind} is not allowed", "zh": "不允许 {kind} 类型"},
    "files.reason.secret": {"en": "the shield found a recovery phrase or key in it",
                            "zh": "安全防护在其中发现了助记词或私钥"},
    "files.reason.not_checked": {"en": "it could not be checked", "zh": "无法检查"},
}
