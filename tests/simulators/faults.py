"""Fault injection shared by the HTTP simulators: fail the next N calls of some
methods, or every matching call for a while. Each simulator turns a taken
:class:`Fault` into its platform's own error response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Fault", "FaultPlan"]


@dataclass
class Fault:
    """One injected fault: a number of failures, or a time window of failures."""

    methods: frozenset[str] | None  # None: every method the plan does not spare
    status: int
    retry_after: int
    message: str | None  # the platform's error text (Slack ``error``, Telegram ``description``)
    remaining: int | None  # None: unlimited until ``until``
    until: float | None  # loop time; None: no window
    hits: int = 0

    def live(self, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        return self.remaining is None or self.remaining > 0


class FaultPlan:
    """Args:
    normalise: how method names compare (Telegram's are case-insensitive).
    spared: methods a fault for "every method" leaves alone (Telegram's polling).
    """

    def __init__(self, *, normalise: Callable[[str], str] = str, spared: frozenset[str] = frozenset()) -> None:
        self.normalise = normalise
        self.spared = spared
        self.faults: list[Fault] = []

    def add(self, method: str | Iterable[str] | None, status: int, retry_after: int, message: str | None, *,
            times: int | None = None, seconds: float | None = None) -> Fault:
        methods = None
        if method is not None:
            methods = frozenset(self.normalise(m) for m in ([method] if isinstance(method, str) else method))
        until = asyncio.get_running_loop().time() + seconds if seconds is not None else None
        fault = Fault(methods, status, retry_after, message, times, until)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str) -> Fault | None:
        """The first fault that applies to a call of ``method``, counted as used."""
        method = self.normalise(method)
        now = asyncio.get_running_loop().time()
        for fault in self.faults:
            if fault.methods is None and method in self.spared:
                continue
            if fault.methods is not None and method not in fault.methods:
                continue
            if fault.live(now):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None
