"""``context.map`` and ``context.parallel`` (sdk-spec.md §4.7, §4.8, §15).

Owns the batch coordinator: one parent CONTEXT (SubType Map/Parallel) whose body admits branches
strictly in index order up to ``max_concurrency``, has runner threads (``runners.py``) execute
each as its own CONTEXT (MapIteration/ParallelBranch, id ``blake2b(f"{batch_id}-{i}")``) or as a
virtual level (FLAT), and evaluates the completion policy (§15.4) after every branch event.

Invariants:
- Only the coordinator (the calling thread) mutates batch bookkeeping; runners report events.
- A suspended branch keeps its slot; when every in-flight branch is suspended and nothing can be
  admitted, the whole batch suspends with the earliest timed resume (conformance 8-14, 9-15).
- A suspended branch runs again (replaying what it did) as soon as the operation it waits on (a
  wait, callback, chained invoke, step retry or wait_for_condition poll) is seen completed by the
  service in a checkpoint answer of this invocation; before the batch suspends, queued updates are
  flushed and every suspended branch is checked once more. So no completion that reached this
  invocation is left unused, whatever the backend does (decision 0015).
- Item failures never raise: the batch returns a ``BatchResult`` (use ``throw_if_error()``);
  ``ExecutionError`` and retryable ``InvocationError`` in a branch escape the batch.
- Branches still running at early completion are left to finish or be orphaned; the runners
  are registered with ``ExecutionState`` so the invocation joins it before returning.

Deliberately not implemented (yet): polling for a timed resume via a scheduled refresh (§15.3);
a timed wait resumes in process only when another branch's checkpoint answer shows it done; and
rebuilding a large result from its summary record on replay (§15.5): a ReplayChildren batch
re-runs the coordinator, whose terminal branches replay from their own checkpoints.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from durable_lambda._sdk.identifier import branch_operation_id
from durable_lambda._sdk.operations.completion import decide_completion
from durable_lambda._sdk.operations.runners import BranchRunners
from durable_lambda._sdk.state import completed_by_service
from durable_lambda._sdk.suspend import waiting_on, with_waiting_on
from durable_lambda.concurrency.models import BatchItem, BatchResult, CompletionReason
from durable_lambda.config import (
    BatchItemStatus,
    CompletionConfig,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
)
from durable_lambda.exceptions import (
    ChildContextError,
    ExecutionError,
    InvocationError,
    OrphanedChildException,
    SuspendExecution,
    TimedSuspendExecution,
    ValidationError,
)
from durable_lambda.lambda_service import ErrorObject, OperationSubType

if TYPE_CHECKING:
    from durable_lambda.context import DurableContext

__all__ = ["run_map", "run_parallel"]


@dataclass(frozen=True)
class BranchSpec:
    index: int
    name: str | None
    func: Callable[[DurableContext], Any]


class _Kind(Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SUSPENDED = "SUSPENDED"
    ORPHANED = "ORPHANED"
    RAISE = "RAISE"  # fatal or retryable: re-raised on the calling thread
    WAKE = "WAKE"  # the service completed operations: suspended branches may go on


@dataclass(frozen=True)
class _Event:
    index: int
    kind: _Kind
    result: Any = None
    error: ErrorObject | None = None
    resume_at: float | None = None
    exception: BaseException | None = None
    waiting_on: frozenset[str] | None = None  # SUSPENDED: what the branch waits for (None: unknown)


@dataclass(frozen=True)
class BatchSettings:
    sub_type: str
    branch_sub_type: str
    max_concurrency: int | None
    completion: CompletionConfig
    item_serdes: Any
    nesting: NestingType


def _validate(settings: BatchSettings, total: int) -> None:
    if settings.max_concurrency is not None and settings.max_concurrency < 1:
        raise ValidationError("max_concurrency must be at least 1")
    validate_for_total = getattr(settings.completion, "_validate_for_total", None)
    if callable(validate_for_total):
        validate_for_total(total)
    elif (
        settings.completion.min_successful is not None
        and settings.completion.min_successful > total
    ):
        raise ValidationError("min_successful cannot exceed the number of items")


def run_map(
    context: DurableContext,
    inputs: Sequence[Any],
    func: Callable[[DurableContext, Any, int, Sequence[Any]], Any],
    name: str | None,
    config: MapConfig[Any] | None,
) -> BatchResult[Any]:
    config = config or MapConfig()
    # Rejected before any operation id is allocated, like AWS's other argument errors (§4.7):
    # a string or mapping would silently map over characters or keys.
    if isinstance(inputs, str | bytes | bytearray | Mapping) or not isinstance(inputs, Iterable):
        raise ValidationError(
            f"map inputs must be a sequence of items (a list or tuple), got {type(inputs).__name__}"
        )
    if not callable(func):
        raise ValidationError("map function must be callable")
    items = list(inputs)
    namer = config.item_namer
    # item_namer runs eagerly for every input on every run, as in AWS (§4.7).
    names = [namer(item, i) if namer else f"map-item-{i}" for i, item in enumerate(items)]

    def bind(item: Any, index: int) -> Callable[[DurableContext], Any]:
        return lambda branch_context: func(branch_context, item, index, inputs)

    branches = [BranchSpec(i, names[i], bind(item, i)) for i, item in enumerate(items)]
    settings = BatchSettings(
        sub_type=str(OperationSubType.MAP),
        branch_sub_type=str(OperationSubType.MAP_ITERATION),
        max_concurrency=config.max_concurrency,
        completion=config.completion_config,
        item_serdes=config.item_serdes or config.serdes,
        nesting=config.nesting_type,
    )
    return _run_batch(context, branches, name, settings, config=config, result_type="MapResult")


def run_parallel(
    context: DurableContext,
    functions: Sequence[Callable[[DurableContext], Any] | ParallelBranch[Any]],
    name: str | None,
    config: ParallelConfig | None,
) -> BatchResult[Any]:
    config = config or ParallelConfig()
    if isinstance(functions, str | bytes | Mapping) or not isinstance(functions, Iterable):
        raise ValidationError(
            f"parallel takes a sequence of functions, got {type(functions).__name__}"
        )
    functions = list(functions)
    for i, function in enumerate(functions):
        if not callable(function) and not isinstance(function, ParallelBranch):
            raise ValidationError(f"parallel branch {i} is not callable")
    branches = []
    for i, function in enumerate(functions):
        branch_name = function.name if isinstance(function, ParallelBranch) else None
        body = function.func if isinstance(function, ParallelBranch) else function
        branches.append(BranchSpec(i, branch_name or f"parallel-branch-{i}", body))
    settings = BatchSettings(
        sub_type=str(OperationSubType.PARALLEL),
        branch_sub_type=str(OperationSubType.PARALLEL_BRANCH),
        max_concurrency=config.max_concurrency,
        completion=config.completion_config,
        item_serdes=config.item_serdes or config.serdes,
        nesting=config.nesting_type,
    )
    return _run_batch(
        context, branches, name, settings, config=config, result_type="ParallelResult"
    )


def _run_batch(
    context: DurableContext,
    branches: list[BranchSpec],
    name: str | None,
    settings: BatchSettings,
    *,
    config: Any,
    result_type: str,
) -> BatchResult[Any]:
    _validate(settings, len(branches))
    user_summary = config.summary_generator

    def summarize(result: BatchResult[Any]) -> str:
        return _summary_record(result, result_type, user_summary)

    def body(batch_context: DurableContext) -> BatchResult[Any]:
        return BatchCoordinator(batch_context, branches, settings).run()

    result: BatchResult[Any] = context._run_child(
        body, name, sub_type=settings.sub_type, serdes=config.serdes, summary_generator=summarize
    )
    return result


def _summary_record(
    result: BatchResult[Any], result_type: str, user_summary: Callable[[Any], str] | None
) -> str:
    """The SDK-owned record stored instead of a >256 KiB BatchResult (§15.5)."""
    started = [item.index for item in result.all if item.status is BatchItemStatus.STARTED]
    completed = [item.index for item in result.all if item.status is not BatchItemStatus.STARTED]
    record: dict[str, Any] = {
        "type": result_type,
        "totalCount": len(result.all),
        "completionReason": result.completion_reason.value,
        "startedCount": len(started),
        "successCount": sum(1 for i in result.all if i.status is BatchItemStatus.SUCCEEDED),
        "failureCount": sum(1 for i in result.all if i.status is BatchItemStatus.FAILED),
        "status": "FAILED"
        if any(i.status is BatchItemStatus.FAILED for i in result.all)
        else "SUCCEEDED",
    }
    if len(started) <= len(completed):
        record["startedIndexes"] = started
    else:
        record["completedIndexes"] = completed
    if user_summary is not None:
        record["summary"] = user_summary(result)
    return json.dumps(record)


class BatchCoordinator:
    """Admits, runs and tracks the branches of one batch on behalf of the calling thread."""

    def __init__(
        self, batch_context: DurableContext, branches: list[BranchSpec], settings: BatchSettings
    ) -> None:
        self.context = batch_context
        self.branches = branches
        self.settings = settings
        self.batch_id = batch_context.parent_id or ""
        self.items: dict[int, BatchItem[Any]] = {}
        self.in_flight: set[int] = set()
        self.suspended: dict[int, float | None] = {}
        self.waiting: dict[int, frozenset[str] | None] = {}  # suspended branch -> its operations
        # Kept as counters so deciding completion after each branch event is O(1), not O(n):
        # map over 1,000 items would otherwise rescan every item 1,000 times.
        self.succeeded = 0
        self.failed = 0

    def run(self) -> BatchResult[Any]:
        total = len(self.branches)
        if total == 0:
            return BatchResult([], CompletionReason.ALL_COMPLETED)
        workers = min(self.settings.max_concurrency or total, total)
        # Admission (up to ``workers`` branches in flight, in index order, §15.2) is the
        # coordinator's; the runner threads that execute admitted branches are elastic and
        # capped. A suspended branch gives its runner back (it keeps its slot), so only branches
        # blocked inside user code hold runners: with more than _MAX_BRANCH_THREADS of those, the
        # rest queue. See docs/decisions/0003-bounded-branch-threads.md and 0006-map-fast-path.md.
        runners: BranchRunners[BranchSpec, _Event] = BranchRunners(
            self._run_branch, _crash_event, min(workers, _MAX_BRANCH_THREADS)
        )
        state = self.context.state
        state.register_pool(runners.join)

        def on_completed(op_ids: list[str]) -> None:
            runners.post(_WAKE)

        state.add_completion_listener(on_completed)
        try:
            reason = self._loop(runners, workers)
        finally:
            state.remove_completion_listener(on_completed)
            runners.close()
        items = [self.items[i] for i in sorted(self.items)]
        started: list[BatchItem[Any]] = [
            BatchItem(i, BatchItemStatus.STARTED) for i in sorted(self.in_flight)
        ]
        return BatchResult(sorted(items + started, key=lambda item: item.index), reason)

    def _loop(self, runners: BranchRunners[BranchSpec, _Event], slots: int) -> CompletionReason:
        next_index = 0
        reason = self._decide()
        events: deque[_Event] = deque()  # reported outcomes taken from the runners, not yet applied
        while reason is None:
            admitted = []
            while len(self.in_flight) < slots and next_index < len(self.branches):
                branch = self.branches[next_index]
                self.in_flight.add(branch.index)
                admitted.append(branch)
                next_index += 1
            runners.submit(admitted)
            if self.in_flight and len(self.suspended) == len(self.in_flight):
                # Everything in flight waits. Let what is queued reach the service (its answer
                # may complete what a branch waits on), then suspend only if nothing can go on.
                self.context.state.flush()
                if not self._resume(runners, list(self.suspended)):
                    self._suspend()
            if not events:
                events.extend(runners.next_events())
            event = events.popleft()
            if event.kind is _Kind.WAKE:
                self._resume(runners, list(self.suspended))
                continue
            if event.kind is _Kind.RAISE and event.exception is not None:
                raise event.exception
            if event.kind is _Kind.ORPHANED:
                return CompletionReason.ALL_COMPLETED
            self._apply(event)
            if event.kind is _Kind.SUSPENDED:
                self._resume(runners, [event.index])
                continue
            reason = self._decide()
        return reason

    def _resume(self, runners: BranchRunners[BranchSpec, _Event], indexes: list[int]) -> bool:
        """Re-runs suspended branches whose awaited operation the service completed.

        Only branches among ``indexes`` are considered; returns True if any was resumed.
        """
        state = self.context.state
        resumed = []
        for index in indexes:
            ops = self.waiting.get(index)
            if ops and any(completed_by_service(state.get_checkpoint_result(op)) for op in ops):
                del self.suspended[index]
                del self.waiting[index]
                resumed.append(self.branches[index])
        runners.submit(resumed)
        return bool(resumed)

    def _apply(self, event: _Event) -> None:
        if event.kind is _Kind.SUSPENDED:
            self.suspended[event.index] = event.resume_at
            self.waiting[event.index] = event.waiting_on
            return
        self.in_flight.discard(event.index)
        if event.kind is _Kind.SUCCEEDED:
            self.items[event.index] = BatchItem(
                event.index, BatchItemStatus.SUCCEEDED, event.result
            )
            self.succeeded += 1
        else:
            self.items[event.index] = BatchItem(
                event.index, BatchItemStatus.FAILED, error=event.error
            )
            self.failed += 1

    def _suspend(self) -> None:
        ops: set[str] | None = set()
        for waited in self.waiting.values():
            if waited is None:
                ops = None
                break
            ops.update(waited)  # type: ignore[union-attr]
        timed = [t for t in self.suspended.values() if t is not None]
        if timed:
            raise with_waiting_on(
                TimedSuspendExecution("All batch branches are waiting", min(timed)), ops
            )
        raise with_waiting_on(SuspendExecution("All batch branches are waiting"), ops)

    def _decide(self) -> CompletionReason | None:
        return decide_completion(
            self.settings.completion,
            self.succeeded,
            self.failed,
            len(self.branches),
            self._item_statuses,
        )

    def _item_statuses(self) -> list[tuple[int, str | None, Any]]:
        statuses = []
        for branch in self.branches:
            item = self.items.get(branch.index)
            status = (
                item.status
                if item
                else (BatchItemStatus.STARTED if branch.index in self.in_flight else None)
            )
            statuses.append((branch.index, branch.name, status))
        return statuses

    # ------------------------------------------------------------------ runner threads

    def _run_branch(self, branch: BranchSpec) -> _Event:
        virtual = self.settings.nesting is NestingType.FLAT
        try:
            result = self.context._run_branch(
                branch_operation_id(self.batch_id, branch.index),
                branch.name,
                branch.func,
                sub_type=self.settings.branch_sub_type,
                serdes=self.settings.item_serdes,
                is_virtual=virtual,
            )
        except BaseException as err:  # every outcome is reported; the coordinator decides
            return _event_for_error(branch.index, err, virtual=virtual)
        return _Event(branch.index, _Kind.SUCCEEDED, result=result)


_WAKE = _Event(-1, _Kind.WAKE)


def _crash_event(branch: BranchSpec, err: BaseException) -> _Event:
    return _Event(branch.index, _Kind.RAISE, exception=err)


def _event_for_error(index: int, err: BaseException, *, virtual: bool) -> _Event:
    """Classifies what escaped a branch (§15.2 event handling)."""
    if isinstance(err, TimedSuspendExecution):
        return _Event(
            index, _Kind.SUSPENDED, resume_at=err.scheduled_timestamp, waiting_on=waiting_on(err)
        )
    if isinstance(err, SuspendExecution):
        return _Event(index, _Kind.SUSPENDED, waiting_on=waiting_on(err))
    if isinstance(err, OrphanedChildException):
        return _Event(index, _Kind.ORPHANED)
    fatal = isinstance(err, ExecutionError) or not isinstance(err, Exception)
    if fatal or (isinstance(err, InvocationError) and err.is_retryable()):
        # Non-determinism, background failures and retryable errors escape the batch.
        return _Event(index, _Kind.RAISE, exception=err)
    if isinstance(err, ChildContextError) and not virtual:
        # A NESTED branch already recorded its FAIL; the item keeps the original error type.
        error = ErrorObject(err.message, err.error_type, err.data, err.stack_trace)
        return _Event(index, _Kind.FAILED, error=error)
    return _Event(index, _Kind.FAILED, error=ErrorObject.from_exception(err))


_MAX_BRANCH_THREADS = int(os.environ.get("DURABLE_LAMBDA_MAX_BRANCH_THREADS", "64"))
