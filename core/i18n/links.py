"""What users are told about linking their accounts across platforms (core/conversation/commands.py)
and what the desk shows of a person's linked accounts (core/support/relay.py)."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "link.code_sent": {
        "en": "To link your {platform} account, send this code to me from that account within 10 minutes: /link {code}\n"
              "Then confirm here. Never give this code to anyone else: whoever uses it asks to join your account.",
        "zh": "要关联你的 {platform} 账号，请在 10 分钟内用该账号向我发送：/link {code}\n"
              "然后在这里确认。切勿把此关联码交给任何人：使用它的人会请求加入你的账号。",
    },
    "link.confirm_request": {
        "en": "{name} ({platform} id {user_id}) wants to link to your account and see your support history.\n"
              "If that is you, reply /link confirm within 10 minutes. If it is not you, reply /link deny and "
              "never share your link codes: our team never asks for them.",
        "zh": "{name}（{platform} id {user_id}）请求关联你的账号并查看你的客服记录。\n"
              "如果是你本人，请在 10 分钟内回复 /link confirm。如果不是你，请回复 /link deny，"
              "并且不要透露你的关联码：客服绝不会索要它。",
    },
    "link.pending": {
        "en": "Almost done: I sent your {platform} account a request. Confirm it there with /link confirm; "
              "until then the accounts are not linked.",
        "zh": "即将完成：我已向你的 {platform} 账号发送请求。请在该账号中回复 /link confirm 确认；确认前两个账号不会关联。",
    },
    "link.ok": {
        "en": "Your accounts are linked; our team will see one history.",
        "zh": "账号已关联，客服会看到统一的历史记录。",
    },
    "link.refused": {
        "en": "Done: the accounts were not linked.",
        "zh": "好的：两个账号未被关联。",
    },
    "link.refused_other": {
        "en": "The other account did not confirm the link, so the accounts are not linked.",
        "zh": "另一个账号没有确认关联，因此两个账号未被关联。",
    },
    "link.no_request": {
        "en": "There is no link request waiting for you. Start with /link on one account and /link <code> on the other.",
        "zh": "目前没有等待你确认的关联请求。请先在一个账号发送 /link，再在另一个账号发送 /link <关联码>。",
    },
    "link.bad": {
        "en": "That link code is invalid or expired. {tries} more tries this hour.",
        "zh": "关联码无效或已过期。本小时内还可尝试 {tries} 次。",
    },
    "link.locked": {
        "en": "Too many wrong link codes. Please wait an hour and ask for a new code.",
        "zh": "错误的关联码次数过多。请一小时后再申请新的关联码。",
    },
    "desk.linked": {"en": "🔗 Linked accounts: {accounts}", "zh": "🔗 已关联账号：{accounts}"},
    "desk.linked_item": {"en": "{platform} {name} ({user_id})", "zh": "{platform} {name}（{user_id}）"},
    "desk.link_confirmed": {
        "en": "🔗 linked {platform} account {user_id}, confirmed from both accounts",
        "zh": "🔗 已关联 {platform} 账号 {user_id}，双方账号均已确认",
    },
    "desk.link_unconfirmed": {"en": " ⚠ link never confirmed", "zh": " ⚠ 关联未经确认"},
}
