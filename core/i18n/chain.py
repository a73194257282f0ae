"""What the bot says about a transaction it looked up on chain (core/conversation/tx_lookup.py)."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    "chain.success": {
        "en": "✅ Transaction {hash} is confirmed on {chain}: block {block}, {when}, {confirmations} confirmations.",
        "zh": "✅ 交易 {hash} 已在 {chain} 上确认：区块 {block}，{when}，{confirmations} 个确认。",
    },
    "chain.failed": {
        "en": "❌ Transaction {hash} failed on {chain}: block {block}, {when}.",
        "zh": "❌ 交易 {hash} 在 {chain} 上失败：区块 {block}，{when}。",
    },
    "chain.pending": {
        "en": "⏳ Transaction {hash} is pending on {chain}: it is waiting to be included in a block.",
        "zh": "⏳ 交易 {hash} 在 {chain} 上等待中：还没有被打包进区块。",
    },
    "chain.reason": {"en": "Reason: {reason}.", "zh": "原因：{reason}。"},
    "chain.sent": {"en": "Sent {value} {asset} to {to}.", "zh": "向 {to} 转了 {value} {asset}。"},
    "chain.to": {"en": "Recipient: {to}.", "zh": "接收方：{to}。"},
    "chain.tokens": {"en": "Tokens moved: {tokens}.", "zh": "转移的代币：{tokens}。"},
    "chain.token_item": {"en": "{amount} {symbol} to {to}", "zh": "{amount} {symbol} 转给 {to}"},
    "chain.next_success": {
        "en": "Next: the funds are at the destination. If it was an exchange or a service, ask them to credit it and "
              "give them this hash.",
        "zh": "下一步：资金已经到达接收地址。如果接收方是交易所或其他平台，请把这个哈希发给他们，请他们入账。",
    },
    "chain.next_failed": {
        "en": "Next: only the network fee ({fee} {asset}) was spent; the amount itself never left your wallet. "
              "Fix the cause above and send it again.",
        "zh": "下一步：只扣了网络手续费（{fee} {asset}），转账金额没有离开您的钱包。解决上面的原因后再发送一次即可。",
    },
    "chain.next_pending": {
        "en": "Next: please wait; it confirms once the network includes it. If it stays pending for hours, the fee may "
              "be too low: speed it up or cancel it in your wallet.",
        "zh": "下一步：请耐心等待，网络打包后就会确认。如果几个小时后仍在等待，可能是手续费太低：可在钱包中加速或取消。",
    },
    "chain.wrong_network": {
        "en": "⚠️ This transaction is on {found}, not {named}.",
        "zh": "⚠️ 这笔交易在 {found} 上，而不是 {named}。",
    },
    "chain.next_wrong_network": {
        "en": "Next (wrong network): if the receiving address is your own wallet, add the {found} network in the "
              "wallet to see the funds; if it belongs to an exchange that does not support {found}, contact its "
              "support with this hash to ask for a recovery.",
        "zh": "下一步（网络选错）：如果接收地址是您自己的钱包，在钱包中添加 {found} 网络即可看到资金；如果是不支持 "
              "{found} 的交易所地址，请带上这个哈希联系该交易所客服申请找回。",
    },
    "chain.not_found": {
        "en": "I couldn't find transaction {hash} on {chains}. If you just sent it, wait a minute and send the hash "
              "again; check that you copied it whole and which network you used.",
        "zh": "在 {chains} 上没有找到交易 {hash}。如果刚刚发送，请稍等一分钟再发一次哈希；也请检查哈希是否完整、使用的是哪个网络。",
    },
    "chain.unavailable": {
        "en": "I couldn't check the chain right now. Please try again in a few minutes, or tell me more and a person "
              "will look at it.",
        "zh": "我暂时无法查询链上信息。请几分钟后再试，或者告诉我更多情况，会有工作人员帮您查看。",
    },
    "chain.desk_note": {
        "en": "Chain lookup of {hash}: {status} on {chain}{details}",
        "zh": "链上查询 {hash}：{status}，{chain}{details}",
    },
    "chain.balance_there": {
        "en": "Your {amount} {symbol} are there: {chain}, address {address}.",
        "zh": "您的 {amount} {symbol} 都在：{chain}，地址 {address}。",
    },
    "chain.balance_add_token": {
        "en": "If your wallet does not show them, add the token contract {contract} on {chain} to see them.",
        "zh": "如果钱包里看不到，请在 {chain} 上添加代币合约 {contract}，就能看到了。",
    },
    "chain.balance_none": {
        "en": "I see no {symbol} at {address} on {chains}. Check the address and the network you used.",
        "zh": "在 {chains} 上，地址 {address} 没有 {symbol}。请检查地址和您使用的网络。",
    },
    "desk.chain_field": {
        "en": "⛓ On chain: {status} · {hash} (checked {at})",
        "zh": "⛓ 链上状态：{status} · {hash}（查询于 {at}）",
    },
    "chain.staff_not_configured": {
        "en": "No chain endpoint is configured (WALLETDESK_EVM_RPC, WALLETDESK_TRON_API, WALLETDESK_BITCOIN_API).",
        "zh": "未配置任何链上查询端点（WALLETDESK_EVM_RPC、WALLETDESK_TRON_API、WALLETDESK_BITCOIN_API）。",
    },
    "chain.staff_no_hash": {
        "en": "No transaction hash to look up: give one, e.g. lookup 0x…",
        "zh": "没有可查询的交易哈希：请提供一个，例如 lookup 0x…",
    },
}
