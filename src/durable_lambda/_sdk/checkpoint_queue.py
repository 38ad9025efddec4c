"""What the checkpoint queue holds (sdk-spec.md §14).

Batch limits, queued updates, and the completion a synchronous caller waits on. The queue itself
and its senders live in ``state.py``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from durable_lambda._sdk.blocking import about_to_block
from durable_lambda.lambda_service import OperationUpdate

__all__ = ["CheckpointBatcherConfig", "CompletionEvent", "QueuedOperation", "update_size"]


@dataclass(frozen=True)
class CheckpointBatcherConfig:
    """Batching limits of one ``CheckpointDurableExecution`` request (§14)."""

    max_batch_size_bytes: int = 750 * 1024
    max_batch_time_seconds: float = 1.0
    max_batch_operations: int = 250


# Guards the hand-over between ``set`` and a ``wait`` that has to sleep; held only briefly.
_HANDOVER = threading.Lock()


class CompletionEvent:
    """Wakes one synchronous checkpoint caller, with an error to raise or none.

    The ``threading.Event`` is created only when the caller really has to sleep: a caller that
    sent its own update (decision 0007) finds the completion settled and never needs one.
    """

    __slots__ = ("_done", "_error", "_event")

    def __init__(self) -> None:
        self._done = False
        self._error: BaseException | None = None
        self._event: threading.Event | None = None

    def is_set(self) -> bool:
        return self._done

    def set(self, error: BaseException | None = None) -> None:
        with _HANDOVER:
            if self._done:
                return
            self._error = error
            self._done = True
            event = self._event
        if event is not None:
            event.set()

    def wait(self) -> None:
        if not self._done:
            about_to_block()  # a batch branch runner hands its pending branches on meanwhile
            with _HANDOVER:
                event = None if self._done else threading.Event()
                self._event = event
            if event is not None:
                event.wait()
        if self._error is not None:
            raise self._error


@dataclass
class QueuedOperation:
    update: OperationUpdate | None
    completion: CompletionEvent | None = None
    size: int = field(default=0)
    enqueued_at: float = 0.0  # time.monotonic()


# keys, ids, type, action, options: generous, so batches never overflow
_UPDATE_OVERHEAD_BYTES = 512


def update_size(update: OperationUpdate | None) -> int:
    """An upper estimate of the update's JSON size for the 750 KiB batch limit (§14).

    Encoding every update to JSON just to measure it was the largest SDK cost of a big ``map``;
    the variable parts are the payload and the error, so those are measured and the rest is
    bounded by a constant (ids are at most 64 characters, names at most 256).
    """
    if update is None:
        return 0
    size = _UPDATE_OVERHEAD_BYTES + len(update.name or "")
    if update.payload is not None:
        size += len(update.payload) + update.payload.count('"') + update.payload.count("\\")
    if update.error is not None:
        size += len(json.dumps(update.error.to_dict()))
    return size
