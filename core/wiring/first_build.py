"""What `walletdesk run` shows while it builds the FAQ index for the first time.

A cached index never reports progress, so nothing is shown on later starts. The
build runs in a worker thread: every method here is called from it."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["FirstBuildNotice"]


class FirstBuildNotice:
    """A ``Progress`` callback (``done, total``): one line when the build starts, then
    a bar with the time left on a terminal, or one line with the time taken elsewhere."""

    def __init__(self, console: Console, cache_dir: Path) -> None:
        self.console = console
        self.cache_dir = cache_dir
        self._bar: Progress | None = None
        self._task = 0
        self._started = 0.0

    def __call__(self, done: int, total: int) -> None:
        if done == 0:
            self._start(total)
        elif self._bar is not None:
            self._bar.update(self._task, completed=done)
        if done >= total:
            self._finish()

    def _start(self, total: int) -> None:
        self._started = time.monotonic()
        self.console.print(f"First start: building the FAQ index (10 s to a minute; later starts "
                           f"reuse it from {self.cache_dir}).", highlight=False)
        if self.console.is_terminal:
            self._bar = Progress(TextColumn("  FAQ index"), BarColumn(), TimeElapsedColumn(),
                                 TextColumn("left:"), TimeRemainingColumn(), console=self.console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task("build", total=total)

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        self.console.print(f"FAQ index built in {time.monotonic() - self._started:.1f} s.", highlight=False)
