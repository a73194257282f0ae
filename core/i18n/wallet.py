"""What users and the desk are told about wallet-signature proofs (core/conversation/commands.py,
core/support/staff.py): a proof answers a staff request, never stands on its own."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "wallet.requested": {
        "en": "Our team asks you to prove you control your wallet. In this private chat, send /wallet followed by "
              "your full wallet address; I will give you a message to sign. Signing costs nothing and moves no funds. "
              "Never send your recovery phrase or private key.",
        "zh": "客服请你证明你控制自己的钱包。请在此私聊中发送 /wallet 加上完整的钱包地址，我会给你一条待签名的消息。"
              "签名不收费，也不会转移任何资金。切勿发送助记词或私钥。",
    },
    "wallet.not_requested": {
        "en": "No wallet proof was requested. Our team will ask here if they need one; until then there is nothing to sign.",
        "zh": "目前没有人请求钱包验证。如有需要，客服会在这里提出；在此之前无需签名任何内容。",
    },
    "desk.wallet_requested": {
        "en": "🔏 {staff} asked the user for a wallet signature",
        "zh": "🔏 {staff} 已请用户提供钱包签名",
    },
}
