"""Chain endpoints for the tests: a real EVM (eth-tester + py-evm) behind JSON-RPC,
and the Tron and Esplora simulators, each on its own ephemeral port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.simulators.esplora_sim import EsploraSim
from tests.simulators.evm_node import EvmNode
from tests.simulators.tron_sim import TronSim


@pytest.fixture
async def node() -> AsyncIterator[EvmNode]:
    async with EvmNode() as sim:
        yield sim


@pytest.fixture
async def tron() -> AsyncIterator[TronSim]:
    async with TronSim() as sim:
        yield sim


@pytest.fixture
async def esplora() -> AsyncIterator[EsploraSim]:
    async with EsploraSim() as sim:
        yield sim
