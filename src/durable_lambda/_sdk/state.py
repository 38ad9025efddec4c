"""Per-invocation execution state and the background checkpoint batcher (sdk-spec.md §14).

Owns: the map of operations by id (seeded from the invocation event and every checkpoint
response), the checkpoint token, the queue of pending updates and the background batcher thread.

Invariants:
- One sender at a time (``_sending``, taken under the lock) talks to ``checkpoint`` and rotates
  the token (§10.7), so requests are strictly sequential and each uses the token returned by the
  previous one. The sender is the batcher thread, or a synchronous caller that found no request
  in flight (it sends the queue itself instead of waking the batcher and sleeping: decision 0007).
- Updates leave in the order they were enqueued; a sync caller returns only after the response
  *and* any further state pages were merged into ``operations``. Asynchronous updates wait for
  company at most ``max_batch_time_seconds`` from their enqueueing, or until a synchronous one
  (or a full batch) flushes the queue.
- Once checkpointing failed, the token was revoked, or the execution completed, nothing else is
  sent: callers get ``BackgroundThreadError`` / ``SuspendExecution`` / ``OrphanedChildException``.
- An update whose context (or any ancestor context) has already been closed by a SUCCEED/FAIL in
  this invocation is an orphan and is refused (§14, "orphan tracking").

It deliberately knows nothing about operation semantics; executors in ``operations/`` decide what
to send and whether to wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from durable_lambda._sdk.blocking import has_block_hook
from durable_lambda._sdk.checkpoint_queue import (
    CheckpointBatcherConfig,
    CompletionEvent,
    QueuedOperation,
    update_size,
)
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
    OperationStatus,
    OperationType,
    OperationUpdate,
)

__all__ = [
    "CheckpointBatcherConfig",
    "CompletionEvent",
    "ExecutionState",
    "QueuedOperation",
    "completed_by_service",
]

logger = logging.getLogger(__name__)

# The idle batcher looks at the queue this often, so an asynchronous update needs no wake-up of
# its own (it may wait for company up to the batch time anyway); shorter batch times wake it.
_IDLE_POLL_SECONDS = 0.1
# AWS waits 1 ms for company once a synchronous caller is in the batch (sdk-spec.md §14). We send
# what is queued at once instead: START+SUCCEED of a step are enqueued back to back and travel
# together, and a blocked caller never pays a fixed delay per step.


_SERVICE_COMPLETED = frozenset(
    {OperationType.WAIT, OperationType.CALLBACK, OperationType.CHAINED_INVOKE}
)


def completed_by_service(op: Operation | None) -> bool:
    """Whether the service, not this process, completed ``op`` so suspended code can go on.

    That is a wait, callback or chained invoke that ended, or a step whose retry came due (READY).
    """
    if op is None:
        return False
    if op.operation_type is OperationType.STEP:
        return op.status is OperationStatus.READY
    return op.operation_type in _SERVICE_COMPLETED and op.status.is_terminal


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
        self._wake = threading.Condition(self._lock)  # the batcher waits on it
        self._pending: deque[QueuedOperation] = deque()  # all under the lock
        self._pending_size = 0
        self._pending_sync = 0
        self._sending = False  # a request is in flight (batcher thread or a sync caller)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._failure: BackgroundThreadError | None = None
        self._revoked = False
        self._completed = False
        # orphan tracking: parent id -> child ids seen in updates; closed contexts and their subtree
        self._children: dict[str, set[str]] = {}
        self._closed: set[str] = set()
        self._pools: list[Callable[[], None]] = []
        # Called (outside the lock) with the ids of operations a checkpoint response or state
        # page showed completed by the service: map/parallel coordinators resume branches on them.
        self._listeners: list[Callable[[list[str]], None]] = []

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
        completed: list[str] = []
        with self._lock:
            known = self.operations
            if not self._listeners:
                for op in operations:
                    known[op.operation_id] = op
                return
            for op in operations:
                if completed_by_service(op):
                    before = known.get(op.operation_id)
                    if before is None or before.status is not op.status:
                        completed.append(op.operation_id)
                known[op.operation_id] = op
            listeners = list(self._listeners) if completed else []
        for listener in listeners:
            listener(completed)

    def add_completion_listener(self, listener: Callable[[list[str]], None]) -> None:
        """Registers ``listener(op_ids)`` for operations newly completed by the service.

        It runs on the thread that merged state, after the merge, once per batch of operations
        that ``completed_by_service`` accepts.
        """
        with self._lock:
            self._listeners.append(listener)

    def remove_completion_listener(self, listener: Callable[[list[str]], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def flush(self) -> None:
        """Waits until every queued update is acknowledged and its answer merged.

        Sends no request when nothing is queued or in flight.
        """
        with self._lock:
            busy = bool(self._pending) or self._sending
        if busy:
            self.create_checkpoint(None, is_sync=True)

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
        """Queues ``update`` (``None`` = empty checkpoint); waits for it when ``is_sync``.

        A synchronous caller that finds no request in flight sends the queue itself (in order,
        holding the send role), which saves two thread switches per call. Branch runners of a
        map/parallel (threads with a block hook) leave it to the batcher instead, so that other
        branches run meanwhile and their updates share requests (decision 0006).
        """
        completion = CompletionEvent() if is_sync else None
        item = QueuedOperation(update, completion, update_size(update), time.monotonic())
        # Checked and enqueued under the lock the batcher holds while it shuts checkpointing
        # down, so no caller can slip an item into a queue nobody will drain.
        with self._lock:
            self._check_can_checkpoint(update)
            if update is not None:
                self._track(update)
            self._pending.append(item)
            self._pending_size += item.size
            if completion is None:
                if self._async_needs_wake():
                    self._wake.notify()
                return
            self._pending_sync += 1
            run_here = not self._sending and not has_block_hook()
            if run_here:
                self._sending = True
            else:
                self._wake.notify()
        if run_here:
            self._send_as_caller(completion)
        completion.wait()

    def _async_needs_wake(self) -> bool:
        return (
            self._stopping
            or self._batch_full()
            or (
                len(self._pending) == 1 and self._config.max_batch_time_seconds < _IDLE_POLL_SECONDS
            )
        )

    def _batch_full(self) -> bool:
        """The queue holds a whole batch: by count or by size (lock held)."""
        config = self._config
        return (
            len(self._pending) >= config.max_batch_operations
            or self._pending_size >= config.max_batch_size_bytes
        )

    def _send_as_caller(self, completion: CompletionEvent) -> None:
        """Sends queued batches on the calling thread until ``completion`` is settled."""
        try:
            while not completion.is_set():
                with self._lock:
                    batch = self._take_batch()
                if not batch or not self._send(batch):
                    break
        finally:
            with self._lock:
                self._sending = False
                if self._pending or self._stopping:
                    self._wake.notify()

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
        """Joins branch pools, then stops the checkpoint thread once it sent what was queued.

        Pools are joined repeatedly, because joined branches may start nested pools.
        """
        while True:
            with self._lock:
                pools, self._pools = self._pools, []
            if not pools:
                break
            for join in pools:
                join()
        with self._lock:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    # ------------------------------------------------------------------ the batcher thread

    def checkpoint_batches_forever(self) -> None:
        while True:
            with self._lock:
                while not self._batch_due():
                    if self._is_finished():
                        return
                    self._wake.wait(self._idle_wait())
                self._sending = True
                batch = self._take_batch()
            try:
                sent = self._send(batch)
            finally:
                with self._lock:
                    self._sending = False
            if not sent:
                return

    def _is_finished(self) -> bool:
        if self._failure is not None or self._revoked or self._completed:
            return True
        return self._stopping and not self._pending and not self._sending

    def _batch_due(self) -> bool:
        """Whether the batcher should send now (lock held)."""
        if self._sending or not self._pending or self._failure is not None:
            return False
        if self._revoked or self._completed:
            return False
        if self._stopping or self._pending_sync or self._batch_full():
            return True
        return (
            time.monotonic() >= self._pending[0].enqueued_at + self._config.max_batch_time_seconds
        )

    def _idle_wait(self) -> float:
        if self._pending and not self._sending:
            due = self._pending[0].enqueued_at + self._config.max_batch_time_seconds
            return max(0.0, min(_IDLE_POLL_SECONDS, due - time.monotonic()))
        return _IDLE_POLL_SECONDS

    def _take_batch(self) -> list[QueuedOperation]:
        """Pops the next batch off the queue, oldest first, within the limits (lock held)."""
        pending = self._pending
        max_items = self._config.max_batch_operations
        max_bytes = self._config.max_batch_size_bytes
        batch: list[QueuedOperation] = []
        size = syncs = 0
        while pending and len(batch) < max_items:
            item = pending[0]
            if batch and size + item.size > max_bytes:
                break
            pending.popleft()
            batch.append(item)
            size += item.size
            if item.completion is not None:
                syncs += 1
        self._pending_size -= size
        self._pending_sync -= syncs
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
        pending, self._pending = self._pending, deque()
        self._pending_size = self._pending_sync = 0
        for item in pending:
            if item.completion is not None:
                item.completion.set(pending_error)
