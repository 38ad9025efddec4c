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
    """The engine's source of time; injected so tests and time skipping can control it."""

    def now_ms(self) -> int:
        """The current time in epoch milliseconds."""
        ...


@runtime_checkable
class AdjustableClock(Clock, Protocol):
    """A clock that can be moved forward (time skipping: ``SkippingClock``, ``FakeClock``)."""

    def advance_to(self, target_ms: int) -> None: ...


class SystemClock:
    """Wall-clock time: the default outside tests."""

    def now_ms(self) -> int:
        """The current wall-clock time in epoch milliseconds."""
        return int(time.time() * 1000)


class SkippingClock:
    """Real time plus an offset that only grows, for ``durable-lambda run --skip-time``."""

    def __init__(self) -> None:
        """Starts at real time (no offset)."""
        self._offset_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """Real time plus the skipped offset, in epoch milliseconds."""
        return int(time.time() * 1000) + self._offset_ms

    def advance_to(self, target_ms: int) -> None:
        """Jumps forward to ``target_ms`` (a due timer); never moves back."""
        with self._lock:
            gap = target_ms - self.now_ms()
            if gap > 0:
                self._offset_ms += gap


class FakeClock:
    """Fully manual time for unit tests."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        """Starts at ``start_ms`` (default 2026-01-01T00:00:00Z)."""
        self._now = start_ms

    def now_ms(self) -> int:
        """The set time, in epoch milliseconds."""
        return self._now

    def advance(self, ms: int) -> None:
        """Moves time forward by ``ms`` milliseconds."""
        self._now += ms

    def advance_to(self, target_ms: int) -> None:
        """Moves time to ``target_ms``, or leaves it if that is in the past."""
        self._now = max(self._now, target_ms)
