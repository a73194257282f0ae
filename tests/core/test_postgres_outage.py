"""PostgreSQL going away under the store (a restart, a failover, an operator
terminating backends) in the middle of a message reaches callers as StoreError,
which adapters answer by having the platform redeliver; nothing of the message
is kept, and the pool's next connection works."""

from __future__ import annotations

import asyncpg
import pytest

from core.errors import StoreError
from tests.conftest import PG_DSN, _pg_store
from tests.waiting import wait_until


async def test_a_backend_terminated_mid_transaction_is_a_store_error_and_the_next_transaction_works() -> None:
    store = await _pg_store()
    admin = await asyncpg.connect(PG_DSN)
    try:
        with pytest.raises(StoreError):
            async with store.transaction() as tx:
                assert await tx.claim_event("during", 1.0)
                row = await tx._c.fetchone("SELECT pg_backend_pid() AS pid")  # noqa: SLF001
                assert row is not None
                # only this store's backend: other tests share the server
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", row["pid"])
                gone = "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)"
                await wait_until(lambda: admin.fetchval(gone, row["pid"]), what="the backend gone")
                await tx.claim_event("after the loss", 1.0)
        async with store.transaction() as tx:  # a new connection; nothing of the lost transaction was kept
            assert await tx.claim_event("during", 1.0)
    finally:
        await admin.close()
        await store.drop_schema()
        await store.close()
