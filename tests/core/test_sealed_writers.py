"""Every store method that writes a sealed column seals it: a method of SqlTx (or one of
its row mixins) that puts a value into a sealed column must be overridden by SealedTx,
or the column would hold plaintext on a sealed store. And no query reads a sealed
column under an alias (the sealing connection opens values by column name). Fails
when a new query forgets."""

from __future__ import annotations

import inspect
import re

from core.storage.base import SqlTx
from core.storage.sealed_rows import SEALED, SealedTx


def _writes_sealed_value(source: str) -> list[str]:
    found = []
    for table, (_, columns) in SEALED.items():
        for m in re.finditer(rf"INSERT INTO {table}\s*\(([^)]*)\)", source):
            found += [f"{table}.{c}" for c in columns if re.search(rf"\b{c}\b", m.group(1))]
        if re.search(rf"UPDATE {table} SET", source):
            # a value from a parameter (NULL and the '{{}}' scrub marker are not text)
            found += [f"{table}.{c}" for c in columns if re.search(rf"\b{c} = \?", source)]
    return found


def test_every_writer_of_a_sealed_column_is_sealed() -> None:
    unsealed = {}
    for name, fn in inspect.getmembers(SqlTx, inspect.iscoroutinefunction):
        if getattr(SealedTx, name) is not fn:
            continue  # SealedTx overrides it
        columns = _writes_sealed_value(inspect.getsource(fn))
        if columns:
            unsealed[name] = columns
    assert not unsealed, f"these store methods write sealed columns in the clear: {unsealed}"


def test_the_check_sees_a_writer() -> None:
    assert _writes_sealed_value('"INSERT INTO ticket_events(ticket_id, body) VALUES (?, ?)"') == ["ticket_events.body"]
    assert _writes_sealed_value('"UPDATE tickets SET subject = ? WHERE id = ?"') == ["tickets.subject"]
    assert _writes_sealed_value('"UPDATE ticket_events SET body = NULL WHERE id = ?"') == []


_COLUMNS = sorted({c for _, cols in SEALED.values() for c in cols})
_ALIASED = re.compile(rf"\b(?:{'|'.join(_COLUMNS)})\s+AS\s+\w+", re.IGNORECASE)


def test_no_query_reads_a_sealed_column_under_an_alias() -> None:
    aliased = {name: _ALIASED.findall(inspect.getsource(fn))
               for name, fn in inspect.getmembers(SqlTx, inspect.iscoroutinefunction)}
    assert not {k: v for k, v in aliased.items() if v}, aliased
    assert _ALIASED.findall("SELECT body AS b FROM ticket_events") == ["body AS b"]
