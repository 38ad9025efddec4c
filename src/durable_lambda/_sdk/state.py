"""Per-invocation execution state and the background checkpoint batcher (sdk-spec.md §14).

Owns: the map of operations by id (seeded from the invocation event and every checkpoint
response), the checkpoint token, and the one thread that calls ``CheckpointDurableExecution``.

Invariants:
- Only the batcher thread talks to ``checkpoint`` and rotates the token (§10.7), so requests are
  strictly sequential and each uses the token returned by the previous one.
- Updates leave in the order they were enqueued; a sync caller returns only after the response
  *and* any further state pages were merged into ``operations``.
- Once checkpointing failed, the token was revoked, or the execution completed, nothing else is
  sent: callers get ``BackgroundThreadError`` / ``SuspendExecution`` / ``OrphanedChildException``.
- An update whose context (or any ancestor context) has already been closed by a SUCCEED/FAIL in
  this invocation is an orphan and is refused (§14, "orphan tracking").

It deliberately knows nothing about operation semantics; executors in ``operations/`` decide what
to send and whether to wait.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from durable_lambda._sdk.blocking import about_to_block
from durable_lambda._sdk.plugins import PluginRunner
from durable_lambda.exceptions import (
    BackgroundThreadError,
    GetExecutionStateError,
    OrphanedChildException,
    SuspendExecution,
)
from durable_lambda.lambda_service import (
    DurableServiceClient,
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
)

__all__ = ["CheckpointBatcherConfig", "CompletionEvent", "ExecutionState", "QueuedOperation"]

logger = logging.getLogger(__name__)

_STOP_POLL_SECONDS = 0.1
# AWS waits 1 ms for company once a synchronous caller is in the batch (sdk-spec.md §14). We flush
# as soon as the queue is momentarily empty instead: START+SUCCEED of a step are still enqueued
# back to back and travel together, and a blocked caller never pays a fixed delay per step.
_SYNC_FLUSH_SECONDS = 0.0
# Put on the queue by close() so the batcher wakes at once instead of at its next stop poll.
_WAKE: Any = object()


@dataclass(frozen=True)
class CheckpointBatcherConfig:
    """Batching limits of one ``CheckpointDurableExecution`` request (§14)."""

    max_batch_size_bytes: int = 750 * 1024
    max_batch_time_seconds: float = 1.0
    max_batch_operations: int = 250


class CompletionEvent:
    """Wakes one synchronous checkpoint caller, with an error to raise or none."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._error: BaseException | None = None

    def set(self, error: BaseException | None = None) -> None:
        if not self._event.is_set():
            self._error = error
            self._event.set()

    def wait(self) -> None:
        if not self._event.is_set():
            about_to_block()  # a batch branch runner hands its pending branches on meanwhile
            self._event.wait()
        if self._error is not None:
            raise self._error


@dataclass
class QueuedOperation:
    update: OperationUpdate | None
    completion: CompletionEvent | None = None
    size: int = field(default=0)


_UPDATE_OVERHEAD_BYTES = 512  # keys, ids, type, action, options: generous, so batches never overflow


def _update_size(update: OperationUpdate | None) -> int:
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


class ExecutionState:
    """Operations, token and checkpoint thread of one invocation."""

    def __init__(
        self,
        durable_execution_arn: str,
        initial_checkpoint_token: str,
        operations: dict[str, Operation] | None = None,
        service_client: DurableServiceClient | None = None,
        batcher_config: CheckpointBatcherConfig | None = None,
    ) -> None:
        self.plugins = PluginRunner()  # replaced per invocation by durable_execution (§17)
        self.durable_execution_arn = durable_execution_arn
        self._token: str | None = initial_checkpoint_token
        self.operations: dict[str, Operation] = dict(operations or {})
        self._client = service_client
        self._config = batcher_config or CheckpointBatcherConfig()
        self._lock = threading.RLock()
        self._queue: queue.SimpleQueue[QueuedOperation] = queue.SimpleQueue()
        self._overflow: deque[QueuedOperation] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BackgroundThreadError | None = None
        self._revoked = False
        self._completed = False
        # orphan tracking: parent id -> child ids seen in updates; closed contexts and their subtree
        self._children: dict[str, set[str]] = {}
        self._closed: set[str] = set()
        self._pools: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ reading state

    @property
    def checkpoint_token(self) -> str | None:
        return self._token

    @property
    def is_token_revoked(self) -> bool:
        return self._revoked

    @property
    def is_execution_completed(self) -> bool:
        return self._completed

    def get_checkpoint_result(self, operation_id: str) -> Operation | None:
        with self._lock:
            return self.operations.get(operation_id)

    def has_operation(self, operation_id: str) -> bool:
        with self._lock:
            return operation_id in self.operations

    def upsert_operations(self, operations: Iterable[Operation]) -> None:
        with self._lock:
            for op in operations:
                self.operations[op.operation_id] = op

    def fetch_paginated_operations(self, checkpoint_token: str, next_marker: str | None) -> None:
        """Loads every further state page (§10.4); merges what arrived even if a page fails."""
        marker = next_marker
        while marker:
            if not checkpoint_token:
                raise GetExecutionStateError(
                    "Cannot get execution state without a checkpoint token."
                )
            if self._client is None:
                raise GetExecutionStateError("No service client to page execution state.")
            page = self._client.get_execution_state(
                self.durable_execution_arn, checkpoint_token, next_marker=marker, max_items=1000
            )
            self.upsert_operations(page.operations)
            marker = page.next_marker

    # ------------------------------------------------------------------ enqueueing

    def create_checkpoint(
        self, update: OperationUpdate | None = None, *, is_sync: bool = True
    ) -> None:
        """Queues ``update`` (``None`` = empty checkpoint); waits for it when ``is_sync``."""
        completion = CompletionEvent() if is_sync else None
        # Checked and enqueued under the lock the batcher holds while it shuts checkpointing
        # down, so no caller can slip an item into a queue nobody will drain.
        with self._lock:
            self._check_can_checkpoint(update)
            if update is not None:
                self._track(update)
            self._queue.put(QueuedOperation(update, completion, _update_size(update)))
        if completion is not None:
            completion.wait()

    def _check_can_checkpoint(self, update: OperationUpdate | None) -> None:
        if self._failure is not None:
            raise BackgroundThreadError(self._failure.message, self._failure.source_exception)
        if self._revoked:
            raise SuspendExecution("Checkpoint token revoked; ending the invocation.")
        op_id = update.operation_id if update is not None else None
        if self._completed:
            raise OrphanedChildException("Execution already completed.", op_id)
        if update is not None and update.parent_id is not None and update.parent_id in self._closed:
            raise OrphanedChildException("Parent context already completed.", op_id)

    def _track(self, update: OperationUpdate) -> None:
        if update.parent_id:
            self._children.setdefault(update.parent_id, set()).add(update.operation_id)
        if update.operation_type is OperationType.CONTEXT and update.action in (
            OperationAction.SUCCEED,
            OperationAction.FAIL,
        ):
            self._close_subtree(update.operation_id)

    def _close_subtree(self, root: str) -> None:
        pending = [root]
        while pending:
            op_id = pending.pop()
            if op_id in self._closed:
                continue
            self._closed.add(op_id)
            pending.extend(self._children.get(op_id, ()))

    def mark_parent_done(self, parent_id: str) -> None:
        """Closes a (virtual) context's subtree without checkpointing it."""
        with self._lock:
            self._close_subtree(parent_id)

    # ------------------------------------------------------------------ thread lifecycle

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.checkpoint_batches_forever, name="dex-checkpoint", daemon=True
            )
            self._thread.start()

    def register_pool(self, join: Callable[[], None]) -> None:
        """Registers a map/parallel branch pool to be joined before the invocation ends."""
        with self._lock:
            self._pools.append(join)

    def close(self) -> None:
        """Joins branch pools (repeatedly: joined branches may start nested pools), then stops
        the checkpoint thread after it sent what was queued."""
        while True:
            with self._lock:
                pools, self._pools = self._pools, []
            if not pools:
                break
            for join in pools:
                join()
        self._stop.set()
        self._queue.put(_WAKE)
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    # ------------------------------------------------------------------ the batcher thread

    def checkpoint_batches_forever(self) -> None:
        while True:
            batch = self._collect_batch()
            if not batch:
                if self._stop.is_set() and self._queue.empty() and not self._overflow:
                    return
                continue
            if not self._send(batch):
                return

    def _next_item(self, timeout: float) -> QueuedOperation | None:
        if self._overflow:
            return self._overflow.popleft()
        try:
            item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None
        return None if item is _WAKE else item

    def _collect_batch(self) -> list[QueuedOperation]:
        first = self._next_item(_STOP_POLL_SECONDS)
        if first is None:
            return []
        batch = [first]
        size = first.size
        has_sync = first.completion is not None
        deadline = time.monotonic() + self._config.max_batch_time_seconds
        while len(batch) < self._config.max_batch_operations:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # A blocked caller should not wait out the window: flush once the queue pauses.
            # While stopping, drain what is queued without waiting for more.
            wait = 0.0 if self._stop.is_set() else (_SYNC_FLUSH_SECONDS if has_sync else remaining)
            item = self._next_item(wait)
            if item is None:
                break
            if size + item.size > self._config.max_batch_size_bytes:
                self._overflow.appendleft(item)
                break
            batch.append(item)
            size += item.size
            has_sync = has_sync or item.completion is not None
        return batch

    def _send(self, batch: list[QueuedOperation]) -> bool:
        updates = [item.update for item in batch if item.update is not None]
        waiters = [item.completion for item in batch if item.completion is not None]
        try:
            if self._client is None or not self._token:
                from durable_lambda.exceptions import CheckpointError

                raise CheckpointError("Cannot checkpoint without a checkpoint token.")
            output = self._client.checkpoint(self.durable_execution_arn, self._token, updates)
            self._token = output.checkpoint_token
            self.upsert_operations(output.new_execution_state.operations)
            has_execution = any(u.operation_type is OperationType.EXECUTION for u in updates)
            if self._token is None:
                with self._lock:
                    if has_execution:
                        self._completed = True
                        orphan = OrphanedChildException("Execution completed.")
                        self._settle_all(waiters, None, orphan)
                    else:
                        # §10.7: no token, no EXECUTION update -> revoked; the invocation pends.
                        self._revoked = True
                        revoked = SuspendExecution("Checkpoint token revoked.")
                        self._settle_all(waiters, revoked, None)
                return False
            if output.new_execution_state.next_marker:
                self.fetch_paginated_operations(self._token, output.new_execution_state.next_marker)
        except Exception as err:  # boundary: any checkpoint failure ends checkpointing (§14)
            logger.debug("checkpoint failed", exc_info=True)
            failure = BackgroundThreadError(f"Checkpoint failed: {err}", err)
            with self._lock:
                self._failure = failure
                self._settle_all(waiters, failure, None)
            return False
        for waiter in waiters:
            waiter.set()
        return True

    def _settle_all(
        self,
        batch_waiters: list[CompletionEvent],
        batch_error: BaseException | None,
        queued_error: BaseException | None,
    ) -> None:
        for waiter in batch_waiters:
            waiter.set(batch_error)
        pending_error = queued_error if queued_error is not None else batch_error
        while True:
            item = self._next_item(0)
            if item is None:
                break
            if item.completion is not None:
                item.completion.set(pending_error)
