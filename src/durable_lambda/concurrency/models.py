"""Results of ``map``/``parallel``, name for name with AWS SDK 3.0.0 ``concurrency.models``.

Owns ``BatchItem``/``BatchResult`` (sdk-spec.md §7), their dict form (the payload behind the
extended-types tag ``br``, §8.2), ``BatchCompletionError`` and ``CompletionPolicy``, the pure
completion decision of §15.4 that the batch coordinator evaluates after every branch event and
that ``BatchResult.from_items`` uses to infer a missing completion reason.

Deliberately not here: scheduling branches (``_sdk/operations/concurrency.py``). Invariant:
``BatchResult.all`` is in index order and holds only branches that were started.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar, cast

from durable_lambda import exceptions
from durable_lambda.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
)
from durable_lambda.exceptions import (
    ChildContextError,
    DurableOperationError,
    ValidationError,
    register_operation_error,
)
from durable_lambda.lambda_service import ErrorObject, qualified_type_name

R = TypeVar("R")

__all__ = [
    "BatchCompletionError",
    "BatchItem",
    "BatchResult",
    "CompletionPolicy",
    "CompletionReason",
]

logger = logging.getLogger(__name__)


class CompletionReason(Enum):
    """Why a batch stopped (§7); the last two come from a ``should_complete`` predicate."""

    ALL_COMPLETED = "ALL_COMPLETED"
    MIN_SUCCESSFUL_REACHED = "MIN_SUCCESSFUL_REACHED"
    FAILURE_TOLERANCE_EXCEEDED = "FAILURE_TOLERANCE_EXCEEDED"
    CUSTOM_COMPLETION_SUCCEEDED = "CUSTOM_COMPLETION_SUCCEEDED"
    CUSTOM_COMPLETION_FAILED = "CUSTOM_COMPLETION_FAILED"


class BatchCompletionError(DurableOperationError):
    """Raised by ``throw_if_error`` when ``should_complete`` completed the batch as FAILED."""

    def __init__(
        self,
        completion_reason: CompletionReason | str | None = (
            CompletionReason.CUSTOM_COMPLETION_FAILED
        ),
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        """Builds the error; also accepts ``(message, error_type, data, stack_trace)``.

        The second form is how the reconstruction registry in ``exceptions`` rebuilds every
        registered class from a checkpointed ``ErrorObject``.
        """
        if not isinstance(completion_reason, CompletionReason):
            shifted_trace = cast("list[str] | None", data)
            message, error_type, data = completion_reason, message, error_type
            stack_trace = shifted_trace
            completion_reason = CompletionReason.CUSTOM_COMPLETION_FAILED
        self.completion_reason = completion_reason
        super().__init__(
            message or f"Batch completed as failed by should_complete ({completion_reason.value})",
            error_type or qualified_type_name(BatchCompletionError),
            data,
            stack_trace,
        )


register_operation_error(BatchCompletionError)
# ErrorObject.from_exception writes AWS's module path for this class
# ("aws_durable_execution_sdk_python.concurrency.models.BatchCompletionError"), which
# register_operation_error does not cover; register it so replays rebuild the typed error (§9.2).
exceptions._REGISTRY[qualified_type_name(BatchCompletionError)] = BatchCompletionError


# --------------------------------------------------------------------------------------------
# completion policy (§15.4)


@dataclass(frozen=True)
class CompletionPolicy:
    """The completion decision for a batch of ``total`` branches under ``config``."""

    config: CompletionConfig
    total: int

    @classmethod
    def from_config(cls, config: CompletionConfig | None, total: int) -> CompletionPolicy:
        """The policy for ``config`` (``None`` = ``CompletionConfig()``, i.e. fail-fast)."""
        return cls(config if config is not None else CompletionConfig(), total)

    def is_tolerance_exceeded(self, failure_count: int) -> bool:
        """Whether failures already exceed what the config tolerates.

        Never with a predicate; fail-fast (any failure) when no threshold is set at all, so
        setting only ``min_successful`` disables fail-fast. A percentage exactly equal to the
        tolerated one does not exceed it (conformance "pct boundary").
        """
        cfg = self.config
        if cfg.should_complete is not None:
            return False
        if not cfg.has_thresholds:
            return failure_count > 0
        count = cfg.tolerated_failure_count
        if count is not None and failure_count > count:
            return True
        percentage = cfg.tolerated_failure_percentage
        return (
            percentage is not None
            and self.total > 0
            and failure_count / self.total * 100 > percentage
        )

    def is_min_successful_reached(self, success_count: int) -> bool:
        """Whether ``min_successful`` is set and reached."""
        minimum = self.config.min_successful
        return minimum is not None and success_count >= minimum

    def completion_status(
        self, success_count: int, failure_count: int, items: Sequence[CompletionItemStatus] = ()
    ) -> CompletionStatus:
        """The progress record handed to ``should_complete``."""
        return CompletionStatus(
            success_count=success_count,
            failure_count=failure_count,
            completed_count=success_count + failure_count,
            total_count=self.total,
            items=tuple(items),
        )

    def should_complete(
        self, success_count: int, failure_count: int, items: Sequence[CompletionItemStatus] = ()
    ) -> CompletionDecision | None:
        """The predicate's decision, or ``None`` when the config has no predicate.

        Raises:
            ValidationError: the predicate returned something other than a CompletionDecision.
        """
        predicate = self.config.should_complete
        if predicate is None:
            return None
        decision = predicate(self.completion_status(success_count, failure_count, items))
        if not isinstance(decision, CompletionDecision):
            raise ValidationError(
                "should_complete must return a CompletionDecision "
                "(use continue_batch() or complete_batch())"
            )
        return decision

    def evaluate(
        self, success_count: int, failure_count: int, items: Sequence[CompletionItemStatus] = ()
    ) -> CompletionReason | None:
        """The completion reason if the batch must stop now, else ``None`` (§15.4 order)."""
        if self.is_tolerance_exceeded(failure_count):
            return CompletionReason.FAILURE_TOLERANCE_EXCEEDED
        decision = self.should_complete(success_count, failure_count, items)
        if decision is not None and decision.complete:
            if decision.outcome is CompletionOutcome.FAILED:
                return CompletionReason.CUSTOM_COMPLETION_FAILED
            return CompletionReason.CUSTOM_COMPLETION_SUCCEEDED
        if success_count + failure_count >= self.total:
            return CompletionReason.ALL_COMPLETED
        if self.is_min_successful_reached(success_count):
            return CompletionReason.MIN_SUCCESSFUL_REACHED
        return None

    def infer_reason(self, items: Sequence[BatchItem[Any]]) -> CompletionReason:
        """The reason a batch holding ``items`` stopped; ``ALL_COMPLETED`` if undecidable."""
        succeeded = sum(1 for item in items if item.status is BatchItemStatus.SUCCEEDED)
        failed = sum(1 for item in items if item.status is BatchItemStatus.FAILED)
        statuses = [CompletionItemStatus(index=item.index, status=item.status) for item in items]
        return self.evaluate(succeeded, failed, statuses) or CompletionReason.ALL_COMPLETED


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class BatchItem(Generic[R]):
    """One started branch: its index, status and result or error."""

    index: int
    status: BatchItemStatus
    result: R | None = None
    error: ErrorObject | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"index", "status", "result", "error"}`` with the error in wire form."""
        return {
            "index": self.index,
            "status": self.status.value,
            "result": self.result,
            "error": self.error.to_dict() if self.error is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchItem[Any]:
        """The item ``to_dict`` produced."""
        error = data.get("error")
        return cls(
            index=int(data["index"]),
            status=BatchItemStatus(data["status"]),
            result=data.get("result"),
            error=ErrorObject.from_dict(error) if error is not None else None,
        )


@dataclass(frozen=True)
class BatchResult(Generic[R]):
    """What ``map``/``parallel`` return; item failures are data until ``throw_if_error``."""

    all: list[BatchItem[R]]
    completion_reason: CompletionReason

    @classmethod
    def from_items(
        cls, items: Sequence[BatchItem[R]], completion_config: CompletionConfig | None = None
    ) -> BatchResult[R]:
        """A result whose reason is inferred by ``CompletionPolicy`` over ``items``."""
        ordered = sorted(items, key=lambda item: item.index)
        policy = CompletionPolicy.from_config(completion_config, len(ordered))
        return cls(ordered, policy.infer_reason(ordered))

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], completion_config: CompletionConfig | None = None
    ) -> BatchResult[Any]:
        """The result ``to_dict`` produced; a missing reason is inferred (with a warning)."""
        items = [BatchItem.from_dict(item) for item in data.get("all") or []]
        reason = data.get("completionReason")
        if reason is None:
            logger.warning("BatchResult without completionReason; inferring it from its items")
            return BatchResult.from_items(items, completion_config)
        return cls(items, CompletionReason(reason))

    def to_dict(self) -> dict[str, Any]:
        """``{"all": [...], "completionReason": "..."}``."""
        return {
            "all": [item.to_dict() for item in self.all],
            "completionReason": self.completion_reason.value,
        }

    def _with_status(self, status: BatchItemStatus) -> list[BatchItem[R]]:
        return [item for item in self.all if item.status is status]

    def succeeded(self) -> list[BatchItem[R]]:
        """Succeeded items (including those whose result is ``None``)."""
        return self._with_status(BatchItemStatus.SUCCEEDED)

    def failed(self) -> list[BatchItem[R]]:
        """Failed items (including those without an error object)."""
        return self._with_status(BatchItemStatus.FAILED)

    def started(self) -> list[BatchItem[R]]:
        """Items still running or suspended when the batch completed."""
        return self._with_status(BatchItemStatus.STARTED)

    def get_results(self) -> list[R | None]:
        """Results of the succeeded items, in index order."""
        return [item.result for item in self.succeeded()]

    def get_errors(self) -> list[ErrorObject | None]:
        """One entry per failed item, in index order."""
        return [item.error for item in self.failed()]

    def throw_if_error(self) -> None:
        """Raises the first item failure as ``ChildContextError`` (cause rebuilt from its type).

        Raises:
            ChildContextError: an item failed.
            BatchCompletionError: no item failed but ``should_complete`` completed as FAILED.
        """
        for item in self.all:
            if item.status is not BatchItemStatus.FAILED:
                continue
            if item.error is None:
                raise ChildContextError(f"Batch item {item.index} failed without an ErrorObject.")
            raise ChildContextError.from_error_object(item.error)
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            raise BatchCompletionError(self.completion_reason)

    @property
    def status(self) -> BatchItemStatus:
        """FAILED/SUCCEEDED as decided by a predicate, else FAILED iff any item failed."""
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED:
            return BatchItemStatus.FAILED
        if self.completion_reason is CompletionReason.CUSTOM_COMPLETION_SUCCEEDED:
            return BatchItemStatus.SUCCEEDED
        return BatchItemStatus.FAILED if self.has_failure else BatchItemStatus.SUCCEEDED

    @property
    def has_failure(self) -> bool:
        """Whether any item failed."""
        return any(item.status is BatchItemStatus.FAILED for item in self.all)

    @property
    def success_count(self) -> int:
        """Number of succeeded items."""
        return len(self.succeeded())

    @property
    def failure_count(self) -> int:
        """Number of failed items."""
        return len(self.failed())

    @property
    def started_count(self) -> int:
        """Number of items still started."""
        return len(self.started())

    @property
    def total_count(self) -> int:
        """Number of items (``len(all)``; never-started branches are omitted)."""
        return len(self.all)
