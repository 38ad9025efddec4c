"""Deterministic operation ids (sdk-spec.md §11).

Owns the id formula and the per-context counter. Invariant: the n-th operation call of a context
whose step-id prefix is ``p`` always gets ``blake2b(f"{p}-{n}")[:64]`` (``blake2b(str(n))`` at the
root), so ids depend only on the position of the call in the code, never on timing or threads.
Map/parallel branches use ``branch_operation_id`` instead of the counter.
"""

from __future__ import annotations

import hashlib
import threading

__all__ = ["OrderedCounter", "branch_operation_id", "make_operation_id"]

_ID_LENGTH = 64


def _hash(raw: str) -> str:
    # Python's default blake2b (64-byte digest) truncated to 64 hex chars, as AWS does (§11).
    return hashlib.blake2b(raw.encode("utf-8")).hexdigest()[:_ID_LENGTH]


def make_operation_id(prefix: str | None, counter: int) -> str:
    """The id of the ``counter``-th (1-based) operation of a context with id prefix ``prefix``."""
    return _hash(f"{prefix}-{counter}" if prefix else str(counter))


def branch_operation_id(batch_operation_id: str, index: int) -> str:
    """The id of map/parallel branch ``index`` (0-based): independent of execution order."""
    return _hash(f"{batch_operation_id}-{index}")


class OrderedCounter:
    """A thread-safe monotonically increasing counter starting at 0."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    def increment(self) -> int:
        with self._lock:
            self._value += 1
            return self._value

    @property
    def value(self) -> int:
        with self._lock:
            return self._value
