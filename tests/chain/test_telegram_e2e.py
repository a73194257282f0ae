"""End to end: a Telegram user sends a tx hash to the real ``walletdesk`` process
(python-telegram-bot against the Telegram simulator), which looks it up on real
EVM nodes over JSON-RPC: the status, the wrong network, and an endpoint that hangs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.simulators.evm_node import EvmNode
from tests.simulators.telegram_sim import TelegramSim

USER = 501


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSim]:
    async with TelegramSim(clock=PLATFORM_TIME) as sim:
        sim.add_user(USER, first_name="Alice", language_code="en")
        yield sim


async def test_a_telegram_user_gets_the_status_the_wrong_network_and_couldn_t_check(
        tg: TelegramSim, node: EvmNode, tmp_path: Path) -> None:
    async with EvmNode() as empty, EvmNode() as stuck:
        stuck.hang()
        tx = node.send(node.accounts[0], node.accounts[1], 2 * 10**18)
        node.mine(1)
        env = {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
               "WALLETDESK_EVM_RPC": f"ethereum={empty.url},bsc={node.url},polygon={stuck.url}"}
        proc = WalletdeskProcess(tmp_path, env)
        await proc.start()
        try:
            async def say(text: str, expect: str) -> str:
                await tg.user_message(USER, text, user_id=USER, chat_type="private", first_name="Alice")
                return (await tg.wait_for_message(USER, lambda m: expect in m.plain_text)).plain_text

            answer = await say(f"my transfer has not arrived, tx {tx}", "confirmed on BSC")
            assert "2 confirmations" in answer and "2 BNB" in answer
            answer = await say(f"I sent it on ethereum: tx {tx}", "not Ethereum")
            assert "This transaction is on BSC, not Ethereum" in answer and "wrong network" in answer
            await say("txid 0x" + "ab" * 32, "I couldn't check the chain right now")
            await say("what are gas fees", "fee")  # the conversation goes on
            assert len(tg.texts_to(USER)) == 4
        finally:
            await proc.stop()
        asked = {params[0] for method, params in node.calls + empty.calls if method == "eth_getTransactionByHash"}
        assert asked == {tx, "0x" + "ab" * 32}  # the hashes, and only they, left the process
