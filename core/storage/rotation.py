"""Re-sealing and key checks over the raw sealed columns (``walletdesk keys rotate``).

:func:`reseal` walks every sealed column in primary-key order, in batches of one
transaction each, and rewrites each value not sealed under the current key
(plaintext rows from before encryption included); it recomputes the display-name
blind index as it goes. Each write is a compare-and-set on the old raw value, so a
row changed meanwhile by a running process is left as that process wrote it.

:func:`check_keys` opens the newest sealed value of each column at start-up, so a
wrong or missing key is one clear error before any message is handled.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from core.storage.sealed_rows import SEALED, SealedStore, SealingConnection, seal_value
from core.storage.sealing import PREFIX, Sealer

__all__ = ["check_keys", "key_census", "reseal"]

_LOGGER = logging.getLogger(__name__)

_BATCH = 500


def _keyset(pk: tuple[str, ...]) -> str:
    """``WHERE`` clause continuing after the last primary key seen (1 or 2 columns)."""
    if len(pk) == 1:
        return f"{pk[0]} > ?"
    a, b = pk
    return f"({a} > ? OR ({a} = ? AND {b} > ?))"


def _after(pk: tuple[str, ...], row: dict[str, Any]) -> tuple[object, ...]:
    if len(pk) == 1:
        return (row[pk[0]],)
    return (row[pk[0]], row[pk[0]], row[pk[1]])


async def reseal(store: SealedStore, *, batch: int = _BATCH) -> dict[str, int]:
    """Seal every sealed column's values under the current key; values rewritten per table."""
    sealer = store.sealer
    done: dict[str, int] = {}
    for table, (pk, columns) in SEALED.items():
        done[table] = 0
        start: tuple[object, ...] | None = None
        while True:
            async with store.transaction() as tx:
                raw = tx._c.raw  # noqa: SLF001 (the raw values: their key ids matter here)
                extra = ", name_index" if table == "users" else ""
                where = _keyset(pk) if start is not None else "1 = 1"
                rows = await raw.fetchall(
                    f"SELECT {', '.join(pk + columns)}{extra} FROM {table} WHERE {where}"
                    f" ORDER BY {', '.join(pk)} LIMIT ?", (*(start or ()), batch))
                for row in rows:
                    done[table] += await _reseal_row(raw, sealer, table, pk, columns, row)
            if len(rows) < batch:
                break
            start = _after(pk, rows[-1])
    _LOGGER.info("re-sealed under data key %s: %s", sealer.current_kid, done)
    return done


async def _reseal_row(raw: Any, sealer: Sealer, table: str, pk: tuple[str, ...], columns: tuple[str, ...],
                      row: dict[str, Any]) -> int:
    sets: list[str] = []
    args: list[object] = []
    guard: list[str] = []
    guard_args: list[object] = []
    for column in columns:
        value = row[column]
        if value is None or value in ("", "{}") or sealer.kid_of(value) == sealer.current_kid:
            continue
        plain = sealer.open(column, value)
        sets.append(f"{column} = ?")
        args.append(seal_value(sealer, column, plain))
        guard.append(f"{column} = ?")
        guard_args.append(value)
        if table == "users":
            sets.append("name_index = ?")
            args.append(sealer.name_index(plain))
    if table == "users" and not sets and row["display_name"] and row.get("name_index") is None:
        sets.append("name_index = ?")
        args.append(sealer.name_index(sealer.open("display_name", row["display_name"])))
    if not sets:
        return 0
    where = " AND ".join([f"{c} = ?" for c in pk] + guard)
    return await raw.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {where}",
                             (*args, *(row[c] for c in pk), *guard_args))


async def key_census(store: SealedStore) -> dict[str, int]:
    """How many stored values each key id seals (``plain`` for plaintext rows)."""
    counts: Counter[str] = Counter()
    async with store.transaction() as tx:
        raw = tx._c.raw  # noqa: SLF001
        for table, (_, columns) in SEALED.items():
            for column in columns:
                rows = await raw.fetchall(
                    f"SELECT substr({column}, 1, 13) AS head, COUNT(*) AS n FROM {table}"
                    f" WHERE {column} IS NOT NULL AND {column} NOT IN ('', '{{}}') GROUP BY substr({column}, 1, 13)")
                for r in rows:
                    head = str(r["head"])
                    kid = head[len(PREFIX):len(PREFIX) + 8] if head.startswith(PREFIX) and head[12:13] == ":" else "plain"
                    counts[kid] += int(r["n"])
    return dict(counts)


async def check_keys(store: SealedStore) -> None:
    """Open the newest sealed value of every sealed column.

    Raises:
        SealError: one of them is sealed with a key the keyring lacks, or does not open.
    """
    async with store.transaction() as tx:
        conn: SealingConnection = tx._c  # type: ignore[assignment]  # noqa: SLF001
        for table, (pk, columns) in SEALED.items():
            for column in columns:
                await conn.fetchone(
                    f"SELECT {column} FROM {table} WHERE {column} LIKE ? ORDER BY {', '.join(pk)} DESC LIMIT 1",
                    (PREFIX + "%",))
