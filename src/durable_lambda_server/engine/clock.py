"""Time for the engine: injected, never read directly (style.md §0 rule 6).

``SkippingClock`` is real time plus an offset that only grows: ``advance_to`` jumps it to a due
timer so that waits and retry delays take no wall time (``durable-lambda run --skip-time``).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SkippingClock", "SystemClock"]


class Clock(Protocol):
    def now_ms(self) -> int: ...


@runtime_checkable
class AdjustableClock(Clock, Protocol):
    """A clock that can be moved forward (time skipping: ``SkippingClock``, ``FakeClock``)."""

    def advance_to(self, target_ms: int) -> None: ...


class SystemClock:
    def now_ms(self) -> int:
        return int(time.time() * 1000)


class SkippingClock:
    def __init__(self) -> None:
        self._offset_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self._offset_ms

    def advance_to(self, target_ms: int) -> None:
        with self._lock:
            gap = target_ms - self.now_ms()
            if gap > 0:
                self._offset_ms += gap


class FakeClock:
    """Fully manual time for unit tests."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        self._now += ms

    def advance_to(self, target_ms: int) -> None:
        self._now = max(self._now, target_ms)
