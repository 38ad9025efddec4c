"""The SDK's error tree, name for name with the AWS Durable Execution SDK 3.0.0 (sdk-spec.md §9).

Control-flow signals (suspension, background-thread failure, orphaned children) derive from
``BaseException`` so that a user's ``except Exception`` cannot swallow them.

Errors recorded in checkpoints are rebuilt through ``DurableOperationError.from_error_object``,
which looks the stored ``ErrorType`` up in a registry of our typed subclasses, so a first run and
a replay surface the same exception class with the same fields.
"""

from __future__ import annotations

import time
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from durable_lambda.lambda_service import ErrorObject

AWS_EXCEPTIONS_MODULE = "aws_durable_execution_sdk_python.exceptions"


class TerminationReason(Enum):
    """Why an execution was terminated, carried by every ``UnrecoverableError``."""

    UNHANDLED_ERROR = "UNHANDLED_ERROR"
    INVOCATION_ERROR = "INVOCATION_ERROR"
    EXECUTION_ERROR = "EXECUTION_ERROR"
    CHECKPOINT_FAILED = "CHECKPOINT_FAILED"
    NON_DETERMINISTIC_EXECUTION = "NON_DETERMINISTIC_EXECUTION"
    STEP_INTERRUPTED = "STEP_INTERRUPTED"
    SERIALIZATION_ERROR = "SERIALIZATION_ERROR"


class DurableApiErrorCategory(Enum):
    """Whether a failed Durable API call is retried by re-invoking (sdk-spec.md §9.4)."""

    INVOCATION = "INVOCATION"  # retryable: raise out of the handler
    EXECUTION = "EXECUTION"  # not retryable: the handler returns FAILED


class DurableExecutionsError(Exception):
    """Base of every SDK error."""

    def __init__(self, message: str = "", *args: Any) -> None:
        """Keeps ``message`` as an attribute, as AWS's errors do."""
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        """Returns the message alone, without the extra constructor arguments."""
        return self.message


class PluginLoadError(DurableExecutionsError):
    """A plugin factory could not be registered; raised at decoration time (cold start)."""


class ValidationError(DurableExecutionsError):
    """An operation was called with invalid arguments or configuration."""


class InvalidStateError(DurableExecutionsError):
    """Checkpointed state broke an invariant the SDK relies on (an internal error)."""


class OrderedLockError(DurableExecutionsError):
    """An earlier holder of an ordered lock failed, so later waiters cannot proceed.

    Kept for parity with AWS's exception tree; this SDK does not raise it.
    """

    def __init__(self, message: str, source_exception: BaseException | None = None) -> None:
        """Records the failure of the earlier holder as ``source_exception``."""
        super().__init__(message)
        self.source_exception = source_exception


class SerDesError(DurableExecutionsError):
    """Permanent serialization failure: checkpointed as FAIL, never retried."""

    FULL_TYPE_NAME: ClassVar[str] = f"{AWS_EXCEPTIONS_MODULE}.SerDesError"

    def __init__(
        self,
        message: str,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        """Builds the error; ``error_type`` defaults to AWS's qualified ``SerDesError`` name."""
        super().__init__(message)
        self.error_type = error_type or self.FULL_TYPE_NAME
        self.data = data
        self.stack_trace = stack_trace


class UnrecoverableError(DurableExecutionsError):
    """An error user code cannot recover from; ends the invocation with a termination reason."""

    termination_reason: TerminationReason = TerminationReason.UNHANDLED_ERROR

    def __init__(self, message: str, termination_reason: TerminationReason | None = None) -> None:
        """Builds the error; ``termination_reason`` overrides the class's default reason."""
        super().__init__(message)
        if termination_reason is not None:
            self.termination_reason = termination_reason


class ExecutionError(UnrecoverableError):
    """The handler returns FAILED; the invocation is not retried."""

    termination_reason = TerminationReason.EXECUTION_ERROR


class NonDeterministicExecutionError(ExecutionError):
    """Replay found checkpoints that do not match the operations the code now runs."""

    termination_reason = TerminationReason.NON_DETERMINISTIC_EXECUTION

    def __init__(self, message: str, step_id: str | None = None) -> None:
        """Builds the error; ``step_id`` is the operation where replay diverged."""
        super().__init__(message)
        self.step_id = step_id


class InvocationError(UnrecoverableError):
    """Raised out of the handler so the backend retries the invocation."""

    termination_reason = TerminationReason.INVOCATION_ERROR

    def is_retryable(self) -> bool:
        """Whether the backend should retry the invocation; always True here."""
        return True


class BotoClientError(InvocationError):
    """A Durable API call failed; classified per sdk-spec.md §9.4."""

    def __init__(
        self,
        message: str,
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        """Builds the error from the boto ``Error`` and ``ResponseMetadata`` of the response."""
        super().__init__(message)
        self.error_category = error_category
        self.error = error
        self.response_metadata = response_metadata

    def is_retryable(self) -> bool:
        """True for the INVOCATION category (5xx, 429, network, stale token), not EXECUTION."""
        return self.error_category is DurableApiErrorCategory.INVOCATION

    @classmethod
    def from_exception(cls, exception: BaseException) -> BotoClientError:
        """Wraps a botocore error, classifying it from its response (sdk-spec.md §9.4)."""
        response = getattr(exception, "response", None)
        error: dict[str, Any] | None = None
        metadata: dict[str, Any] | None = None
        if isinstance(response, dict):
            error = response.get("Error")
            metadata = response.get("ResponseMetadata")
        return cls(
            str(exception),
            error_category=classify_error_category(error, metadata),
            error=error,
            response_metadata=metadata,
        )

    def build_logger_extras(self) -> dict[str, Any]:
        """Returns the response's error and metadata as ``extra=`` fields for a log record."""
        return {"Error": self.error or {}, "ResponseMetadata": self.response_metadata or {}}


_KMS_CODES = frozenset(
    {
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    }
)


def classify_error_category(
    error: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> DurableApiErrorCategory:
    """sdk-spec.md §9.4: 4xx (but 429 and stale-token 400s) are not retryable."""
    code = (error or {}).get("Code")
    if code in _KMS_CODES:
        return DurableApiErrorCategory.EXECUTION
    status = (metadata or {}).get("HTTPStatusCode")
    # HTTP statuses as sdk-spec.md §9.4 states the rule: 4xx, except 429 (Too Many Requests).
    if error and isinstance(status, int) and 400 <= status < 500 and status != 429:  # noqa: PLR2004
        message = str(error.get("Message") or error.get("message") or "")
        if code == "InvalidParameterValueException" and message.startswith(
            "Invalid checkpoint token"
        ):
            return DurableApiErrorCategory.INVOCATION
        return DurableApiErrorCategory.EXECUTION
    return DurableApiErrorCategory.INVOCATION


class CheckpointError(BotoClientError):
    """A ``CheckpointDurableExecution`` call failed."""

    termination_reason = TerminationReason.CHECKPOINT_FAILED


class GetExecutionStateError(BotoClientError):
    """A ``GetDurableExecutionState`` call failed while loading the execution's operations."""

    termination_reason = TerminationReason.INVOCATION_ERROR


class StepInterruptedError(InvocationError):
    """An at-most-once step was found STARTED: its previous attempt was interrupted.

    The step handles it as a failed attempt rather than running user code again (sdk-spec.md
    §4.1).
    """

    termination_reason = TerminationReason.STEP_INTERRUPTED

    def __init__(self, message: str, step_id: str | None = None) -> None:
        """Builds the error; ``step_id`` is the interrupted step's operation id."""
        super().__init__(message)
        self.step_id = step_id


class RetryableSerDesError(InvocationError):
    """A transient serialization failure: the invocation is retried instead of failing."""

    termination_reason = TerminationReason.SERIALIZATION_ERROR


# --------------------------------------------------------------------------------------------
# typed operation failures

_REGISTRY: dict[str, type[DurableOperationError]] = {}


def register_operation_error(cls: type[DurableOperationError]) -> type[DurableOperationError]:
    """Registers ``cls`` under its AWS-qualified name for reconstruction from checkpoints."""
    _REGISTRY[f"{AWS_EXCEPTIONS_MODULE}.{cls.__qualname__}"] = cls
    _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return cls


class DurableOperationError(DurableExecutionsError):
    """A durable operation failed; ``error_type`` names the error that escaped user code."""

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        """Builds the error; ``error_type`` defaults to this class's AWS-qualified name."""
        super().__init__(message or "")
        self.error_type = error_type or f"{AWS_EXCEPTIONS_MODULE}.{type(self).__qualname__}"
        self.data = data
        self.stack_trace = stack_trace

    @classmethod
    def from_error_object(cls, error: ErrorObject | None) -> DurableOperationError:
        """``cls`` carrying the stored error, with ``__cause__`` rebuilt from its ErrorType."""
        if error is None:
            return cls("Unknown error")
        if error.type == SerDesError.FULL_TYPE_NAME:
            raise SerDesError(error.message or "", error.type, error.data, error.stack_trace)
        wrapper = cls(error.message, error.type, error.data, error.stack_trace)
        cause_cls = _REGISTRY.get(error.type or "", DurableOperationError)
        wrapper.__cause__ = cause_cls(error.message, error.type, error.data, error.stack_trace)
        return wrapper

    @classmethod
    def reconstruct(cls, error: ErrorObject | None) -> DurableOperationError:
        """The registered class for ``error.type`` (base class when unknown)."""
        if error is None:
            return DurableOperationError("Unknown error")
        target = _REGISTRY.get(error.type or "", DurableOperationError)
        return target(error.message, error.type, error.data, error.stack_trace)

    def to_error_object(self) -> ErrorObject:
        """Returns the wire ``ErrorObject`` to checkpoint for this error (sdk-spec.md §9.3)."""
        from durable_lambda.lambda_service import ErrorObject

        return ErrorObject.from_exception(self)


@register_operation_error
class StepError(DurableOperationError):
    """A step failed after its retries were exhausted."""


@register_operation_error
class InvokeError(DurableOperationError):
    """A chained invoke failed, timed out or was stopped."""


@register_operation_error
class ChildContextError(DurableOperationError):
    """A child context, map item or parallel branch failed."""


@register_operation_error
class WaitForConditionError(DurableOperationError):
    """A ``wait_for_condition`` check or its wait strategy failed."""


@register_operation_error
class CallbackError(DurableOperationError):
    """Base of callback failures; raised as is when a callback's state is missing."""


@register_operation_error
class CallbackExternalError(CallbackError):
    """The external system reported failure, or the callback was cancelled or stopped."""


@register_operation_error
class CallbackTimeoutError(CallbackError):
    """The callback's timeout or heartbeat timeout expired before it was answered."""


@register_operation_error
class CallbackSubmitterError(CallbackError):
    """The ``wait_for_callback`` submitter step failed after its retries."""


# --------------------------------------------------------------------------------------------
# control-flow signals (BaseException on purpose)


class SuspendExecution(BaseException):  # AWS's name
    """Ends the invocation with PENDING. Do not catch ``BaseException`` in handler code."""

    def __init__(self, message: str = "") -> None:
        """Keeps ``message`` as an attribute, like ``DurableExecutionsError``."""
        super().__init__(message)
        self.message = message


class TimedSuspendExecution(SuspendExecution):
    """A suspension with a known resume time, so map/parallel can resume a branch in-process.

    At the top level it ends the invocation with PENDING like any suspension (sdk-spec.md §15.3).
    """

    def __init__(self, message: str, scheduled_timestamp: float) -> None:
        """Builds the signal; ``scheduled_timestamp`` is the resume time in epoch seconds."""
        super().__init__(message)
        self.scheduled_timestamp = scheduled_timestamp

    @classmethod
    def from_delay(cls, message: str, delay_seconds: float) -> TimedSuspendExecution:
        """Suspends until ``delay_seconds`` from now."""
        return cls(message, time.time() + delay_seconds)

    @classmethod
    def from_datetime(cls, message: str, dt: datetime) -> TimedSuspendExecution:
        """Suspends until ``dt``, such as a step's ``NextAttemptTimestamp``."""
        return cls(message, dt.timestamp())


class BackgroundThreadError(BaseException):
    """The checkpoint thread failed; re-raised in the threads waiting on checkpoints.

    At the handler boundary the source error decides the outcome (sdk-spec.md §9.5).
    """

    def __init__(self, message: str, source_exception: BaseException | None = None) -> None:
        """Builds the signal; ``source_exception`` is what the checkpoint thread raised."""
        super().__init__(message)
        self.message = message
        self.source_exception = source_exception


class OrphanedChildException(BaseException):  # AWS's name
    """An operation tried to checkpoint after its parent context or the execution completed.

    It stops branches a finished map or parallel no longer waits for.
    """

    def __init__(self, message: str, operation_id: str | None = None) -> None:
        """Builds the signal; ``operation_id`` is the operation that was refused."""
        super().__init__(message)
        self.message = message
        self.operation_id = operation_id


__all__ = [
    "BackgroundThreadError",
    "BotoClientError",
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "CheckpointError",
    "ChildContextError",
    "DurableApiErrorCategory",
    "DurableExecutionsError",
    "DurableOperationError",
    "ExecutionError",
    "GetExecutionStateError",
    "InvalidStateError",
    "InvocationError",
    "InvokeError",
    "NonDeterministicExecutionError",
    "OrderedLockError",
    "OrphanedChildException",
    "PluginLoadError",
    "RetryableSerDesError",
    "SerDesError",
    "StepError",
    "StepInterruptedError",
    "SuspendExecution",
    "TerminationReason",
    "TimedSuspendExecution",
    "UnrecoverableError",
    "ValidationError",
    "WaitForConditionError",
    "register_operation_error",
]
