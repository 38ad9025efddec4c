"""One thread for every invocation's timeout (instead of a ``threading.Timer`` thread each).

``Watchdog.schedule(seconds, callback)`` returns a handle; ``cancel(handle)`` before the deadline
means the callback never runs. Deadlines sit in a heap; cancelled entries are dropped lazily (at
the top, or all at once when they outnumber the live ones). Callbacks run on the watchdog's
thread and must be short (killing a worker process).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Watchdog", "shared"]

log = logging.getLogger(__name__)

# Cancelled entries stay in the heap until more than this many (and half of it) are cancelled.
_COMPACT_AFTER_CANCELLED = 64


class _Entry:
    __slots__ = ("callback", "cancelled")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False


class Watchdog:
    """Runs callbacks at their deadlines on one daemon thread; see the module docstring."""

    def __init__(self) -> None:
        """Start empty; the thread starts with the first ``schedule``."""
        self._heap: list[tuple[float, int, _Entry]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None

    def schedule(self, seconds: float, callback: Callable[[], None]) -> _Entry:
        """Run ``callback`` on the watchdog thread in ``seconds``; returns a ``cancel`` handle."""
        entry = _Entry(callback)
        deadline = time.monotonic() + seconds
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="dl-watchdog", daemon=True)
                self._thread.start()
            earliest = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, next(self._seq), entry))
            if earliest:
                self._cond.notify()
        return entry

    def cancel(self, entry: _Entry) -> None:
        """Make sure ``entry``'s callback never runs; a no-op once it ran or was cancelled."""
        with self._cond:
            if entry.cancelled:
                return
            entry.cancelled = True
            self._cancelled += 1
            if self._cancelled > _COMPACT_AFTER_CANCELLED and self._cancelled * 2 > len(self._heap):
                self._heap = [item for item in self._heap if not item[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def pending(self) -> int:
        """Scheduled callbacks neither run nor cancelled (tests, diagnostics)."""
        with self._cond:
            return sum(1 for item in self._heap if not item[2].cancelled)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)
                        self._cancelled = max(0, self._cancelled - 1)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    delay = self._heap[0][0] - time.monotonic()
                    if delay <= 0:
                        entry = heapq.heappop(self._heap)[2]
                        entry.cancelled = True  # ran: a later cancel() is a no-op
                        break
                    self._cond.wait(delay)
            try:
                entry.callback()
            except Exception:
                log.exception("watchdog callback failed")


_shared: Watchdog | None = None
_shared_lock = threading.Lock()


def shared() -> Watchdog:
    """The process's watchdog (started on first use)."""
    global _shared  # noqa: PLW0603  (one watchdog per process, made under _shared_lock)
    with _shared_lock:
        if _shared is None:
            _shared = Watchdog()
        return _shared
