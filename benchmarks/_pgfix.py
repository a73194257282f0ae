"""The proposed fix for core/storage/postgres.py ``PostgresStore.transaction``,
as a subclass, so faults.py can measure it (``--proposed-fixes``) without the
core being edited here. Not used by the service.

What it changes: every connection-level failure (including asyncpg's
InternalClientError "cannot switch to state ...; another operation is in
progress" and OperatorInterventionError / admin shutdown) becomes StoreError,
and a failure of ``pool.release`` on a broken connection is swallowed (the pool
has already terminated that connection and opens a fresh one), instead of
escaping raw from the ``finally`` and killing the caller's loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from core.errors import StoreError
from core.storage.base import SqlTx
from core.storage.postgres import PostgresStore, _PgConnection

_LOGGER = logging.getLogger("core.storage.postgres")

_LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError,
         asyncpg.exceptions.OperatorInterventionError)


class FixedPostgresStore(PostgresStore):
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        if self._pool is None:
            raise StoreError("store is not open")
        try:
            conn = await self._pool.acquire()
        except (*_LOST, asyncpg.PostgresError) as exc:
            raise StoreError(f"PostgreSQL unavailable: {exc}") from None
        try:
            async with conn.transaction():
                yield SqlTx(_PgConnection(conn), skip_locked=True)
        except _LOST as exc:
            raise StoreError(f"PostgreSQL connection lost: {exc}") from None
        finally:
            try:
                await self._pool.release(conn)
            except Exception as exc:  # noqa: BLE001  (broken connection: already terminated by the pool)
                _LOGGER.info("postgres: dropped a broken connection (%s)", exc)
