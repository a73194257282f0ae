"""What the bot says where it cannot delete a leaked secret (Slack without an
admin user token): the truth, to the sender, the channel and the moderators."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "shield.warning_not_removed": {
        "en": "⚠️ Your message contained a {kinds}. I cannot delete messages here, so it is still visible: "
              "delete it yourself now (moderators have been told). Treat that wallet as compromised: create a new "
              "wallet with a new recovery phrase and move your funds there now. Nobody, staff included, ever needs it.",
        "zh": "⚠️ 你的消息中包含{kinds}。我无法在这里删除消息，它仍然可见：请立即自己删除（已通知管理员）。"
              "请将该钱包视为已泄露：立即创建一个使用新助记词的新钱包，并把资产转移过去。任何人（包括工作人员）都不需要它。",
    },
    "shield.public_notice_not_removed": {
        "en": "⚠️ A message here contains a wallet secret. Its sender should delete it now; moderators have been "
              "told. Never post your recovery phrase or private key, and never use one you see posted.",
        "zh": "⚠️ 这里有一条消息包含钱包密钥。发送者应立即删除；已通知管理员。切勿发布你的助记词或私钥，也不要使用别人发出的密钥。",
    },
    "desk.secret_not_removed": {
        "en": "🚨 A {kinds} was posted by {user} in {chat} (message {message}) and the bot could not delete it: "
              "a moderator should delete it now.",
        "zh": "🚨 {user} 在 {chat} 发布了{kinds}（消息 {message}），机器人无法删除：请管理员立即删除。",
    },
}
