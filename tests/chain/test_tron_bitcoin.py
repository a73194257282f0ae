"""Tron (TronGrid-compatible API) and Bitcoin (Esplora) lookups against their simulators."""

from __future__ import annotations

from core.chain import ChainLookup, TxStatus
from core.chain.tron import tron_address
from tests.simulators.esplora_sim import EsploraSim
from tests.simulators.tron_sim import TronSim, b58_address


def _lookup(tron: TronSim | None = None, esplora: EsploraSim | None = None) -> ChainLookup:
    return ChainLookup(tron=tron.url if tron else None, bitcoin=esplora.url if esplora else None, rate=1000, burst=1000)


async def test_a_trx_transfer_on_tron(tron: TronSim) -> None:
    a, b = tron.address(1), tron.address(2)
    txid = tron.trx_transfer(a, b, 2_500_000)
    tron.mine(18)
    result = await _lookup(tron).lookup_text(f"txid {txid} on tron")
    assert result is not None and result.found is not None and not result.wrong_network
    f = result.found
    assert (f.chain, f.status, f.asset, f.value, f.fee) == ("tron", TxStatus.SUCCESS, "TRX", "2.5", "0")
    assert f.sender == b58_address(a) and f.recipient == b58_address(b) and f.confirmations == 19
    assert f.time is not None and f.hash == txid


async def test_a_trc20_transfer_lists_the_token_in_base58_with_its_symbol(tron: TronSim) -> None:
    usdt = tron.add_token("USDT", 6)
    a, b = tron.address(1), tron.address(2)
    txid = tron.trc20_transfer(usdt, a, b, 120_000_000)
    result = await _lookup(tron).lookup_text(f"TRC20 txid {txid}")
    assert result is not None and result.found is not None
    assert result.found.fee == "13.84485" and result.found.recipient == b58_address(usdt)
    assert [t.as_json() for t in result.found.token_transfers] == [
        {"token": b58_address(usdt), "symbol": "USDT", "from": b58_address(a), "to": b58_address(b), "amount": "120"}]
    assert tron_address(usdt) == b58_address(usdt)


async def test_a_failed_trc20_call_gives_its_revert_message(tron: TronSim) -> None:
    usdt = tron.add_token("USDT", 6)
    txid = tron.trc20_transfer(usdt, tron.address(1), tron.address(2), 10**12, fail="transfer amount exceeds balance")
    result = await _lookup(tron).lookup_text(f"tx {txid}")
    assert result is not None and result.found is not None
    assert result.found.status is TxStatus.FAILED and result.found.reason == "transfer amount exceeds balance"
    out = tron.trc20_transfer(usdt, tron.address(1), tron.address(2), 1, fail="", result="OUT_OF_ENERGY")
    result = await _lookup(tron).lookup_text(f"tx {out}")
    assert result is not None and result.found is not None and result.found.reason == "out of energy"


async def test_a_tron_transaction_not_in_a_block_is_pending(tron: TronSim) -> None:
    txid = tron.trx_transfer(tron.address(1), tron.address(2), 1_000_000, pending=True)
    lookup = _lookup(tron)
    result = await lookup.lookup_text(f"tx {txid}")
    assert result is not None and result.found is not None and result.found.status is TxStatus.PENDING
    tron.confirm(txid)
    result = await lookup.lookup_text(f"tx {txid}")
    assert result is not None and result.found is not None and result.found.status is TxStatus.SUCCESS


async def test_a_bitcoin_payment_reports_the_first_input_and_the_largest_output(esplora: EsploraSim) -> None:
    txid = esplora.payment("bc1qsender0000000000000000000000000000000",
                           [("bc1qchange000000000000000000000000000000", 20_000),
                            ("bc1qshop00000000000000000000000000000000", 150_000)], fee=1_400)
    esplora.mine(5)
    result = await _lookup(esplora=esplora).lookup_text(f"btc txid {txid}")
    assert result is not None and result.found is not None
    f = result.found
    assert (f.chain, f.status, f.asset, f.value, f.fee, f.confirmations) == (
        "bitcoin", TxStatus.SUCCESS, "BTC", "0.0015", "0.000014", 6)
    assert f.sender == "bc1qsender0000000000000000000000000000000"
    assert f.recipient == "bc1qshop00000000000000000000000000000000"


async def test_a_bitcoin_transaction_in_the_mempool_is_pending(esplora: EsploraSim) -> None:
    txid = esplora.payment("bc1qa", [("bc1qb", 5_000)], pending=True)
    result = await _lookup(esplora=esplora).lookup_text(f"txid {txid}")
    assert result is not None and result.found is not None and result.found.status is TxStatus.PENDING


async def test_an_unknown_txid_is_not_found_on_either(tron: TronSim, esplora: EsploraSim) -> None:
    result = await _lookup(tron, esplora).lookup_text("txid " + "cd" * 32)
    assert result is not None and result.found is None and not result.could_not_check
    assert result.asked == ("tron", "bitcoin")
