"""Which parts of a long message the platform already took, per outbox row, in this process.

A text over a platform's limit goes out as several messages. When part 3 is refused (a 429:
another process used the chat's window) the row is retried; without this the retry would send
parts 1 and 2 again. The record lives in the process that sent them: a retry picked up by
another worker (after a crash) still starts at part 1, the at-least-once the outbox promises.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["SentParts"]


class SentParts:
    """Args:
        max_rows: rows remembered at most (the oldest are forgotten first).
    """

    def __init__(self, max_rows: int = 10_000) -> None:
        self.max_rows = max_rows
        self._rows: OrderedDict[int, tuple[int, str | None]] = OrderedDict()

    def done(self, row: int | None) -> tuple[int, str | None]:
        """(parts already sent, the platform's id of the last of them) for outbox row ``row``."""
        if not row:
            return 0, None
        return self._rows.get(row, (0, None))

    def took(self, row: int | None, parts: int, last_ref: str | None) -> None:
        """The platform took the first ``parts`` parts of ``row``, the last one as ``last_ref``."""
        if not row:
            return
        self._rows[row] = (parts, last_ref)
        self._rows.move_to_end(row)
        while len(self._rows) > self.max_rows:
            self._rows.popitem(last=False)

    def finished(self, row: int | None) -> None:
        if row:
            self._rows.pop(row, None)
