"""End to end in the console chat (``walletdesk run`` with no platform configured):
a hash typed by the user is answered from a real EVM over JSON-RPC."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import share_faq_cache
from tests.simulators.evm_node import EvmNode
from tests.waiting import DEADLINE

ROOT = Path(__file__).resolve().parents[2]


async def test_a_console_user_gets_the_status_of_a_hash(node: EvmNode, tmp_path: Path) -> None:
    usdt = node.deploy_erc20("USDT", 6, 10**12)
    tx = node.token_transfer(usdt, node.accounts[0], node.accounts[1], 42 * 10**6)
    failed = node.token_transfer(usdt, node.accounts[5], node.accounts[1], 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLETDESK_", "TELEGRAM_", "SLACK_", "DISCORD_"))}
    env.update(WALLETDESK_DATA_DIR=str(share_faq_cache(tmp_path / "data")), WALLETDESK_SECRET_KEY="x",
               WALLETDESK_EVM_RPC=f"ethereum={node.url}", PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "core.wiring.cli", "run", cwd=tmp_path, env=env, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = f"my usdt has not arrived, tx {tx}\nthis one failed: tx {failed}\nwhat are gas fees\n"
    out, err = await asyncio.wait_for(proc.communicate(lines.encode()), DEADLINE)
    assert proc.returncode == 0, err.decode()
    replies = [line for line in out.decode().splitlines() if line.startswith("bot>")]
    assert len(replies) == 3, out.decode()
    assert "confirmed on Ethereum" in replies[0]
    text = out.decode()
    assert "42 USDT" in text and "ERC20: transfer amount exceeds balance" in text and "only the network fee" in text
