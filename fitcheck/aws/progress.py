"""Progress of a long AWS task, reported through an object the caller passes in.

API functions take a :class:`Reporter` (or ``None``: silent) and never build a display
themselves. :class:`PlainReporter` writes plain periodic lines, for logs and pipes where a
progress bar would not show; the command line uses a live bar on a terminal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, TextIO


class Reporter(Protocol):
    """What a long task tells about itself."""

    def start(self, task: str, total: int | None = None) -> None: ...

    def advance(self, task: str, amount: int = 1) -> None: ...

    def finish(self, task: str) -> None: ...


class NullReporter:
    """Says nothing."""

    def start(self, task: str, total: int | None = None) -> None:
        return None

    def advance(self, task: str, amount: int = 1) -> None:
        return None

    def finish(self, task: str) -> None:
        return None


class PlainReporter:
    """One line per task at its start, then at most one every ``every_s`` seconds, then at its end.

    ``describing training jobs: 1200/10000 (12%) after 9 s``. Thread-safe: workers advance it.
    """

    def __init__(
        self, stream: TextIO, every_s: float = 10.0, clock: Callable[[], float] | None = None
    ) -> None:
        self._stream = stream
        self._every = every_s
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._tasks: dict[str, tuple[int | None, int, float, float]] = {}

    def _line(self, task: str, total: int | None, done: int, began: float) -> None:
        elapsed = self._clock() - began
        shown = f"{done}/{total} ({100 * done / total:.0f}%)" if total else f"{done}"
        self._stream.write(f"{task}: {shown} after {elapsed:.0f} s\n")
        self._stream.flush()

    def start(self, task: str, total: int | None = None) -> None:
        with self._lock:
            now = self._clock()
            self._tasks[task] = (total, 0, now, now)
            self._stream.write(f"{task}: started" + (f" ({total} to do)" if total else "") + "\n")
            self._stream.flush()

    def advance(self, task: str, amount: int = 1) -> None:
        with self._lock:
            total, done, began, last = self._tasks.get(task, (None, 0, self._clock(), self._clock()))
            done += amount
            now = self._clock()
            if now - last >= self._every:
                self._line(task, total, done, began)
                last = now
            self._tasks[task] = (total, done, began, last)

    def finish(self, task: str) -> None:
        with self._lock:
            if task in self._tasks:
                total, done, began, _ = self._tasks.pop(task)
                self._line(task, total, done, began)
