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
    UNHANDLED_ERROR = "UNHANDLED_ERROR"
    INVOCATION_ERROR = "INVOCATION_ERROR"
    EXECUTION_ERROR = "EXECUTION_ERROR"
    CHECKPOINT_FAILED = "CHECKPOINT_FAILED"
    NON_DETERMINISTIC_EXECUTION = "NON_DETERMINISTIC_EXECUTION"
    STEP_INTERRUPTED = "STEP_INTERRUPTED"
    SERIALIZATION_ERROR = "SERIALIZATION_ERROR"


class DurableApiErrorCategory(Enum):
    INVOCATION = "INVOCATION"  # retryable: raise out of the handler
    EXECUTION = "EXECUTION"  # not retryable: the handler returns FAILED


class DurableExecutionsError(Exception):
    """Base of every SDK error."""

    def __init__(self, message: str = "", *args: Any) -> None:
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message


class PluginLoadError(DurableExecutionsError):
    pass


class ValidationError(DurableExecutionsError):
    pass


class InvalidStateError(DurableExecutionsError):
    pass


class OrderedLockError(DurableExecutionsError):
    def __init__(self, message: str, source_exception: BaseException | None = None) -> None:
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
        super().__init__(message)
        self.error_type = error_type or self.FULL_TYPE_NAME
        self.data = data
        self.stack_trace = stack_trace


class UnrecoverableError(DurableExecutionsError):
    termination_reason: TerminationReason = TerminationReason.UNHANDLED_ERROR

    def __init__(self, message: str, termination_reason: TerminationReason | None = None) -> None:
        super().__init__(message)
        if termination_reason is not None:
            self.termination_reason = termination_reason


class ExecutionError(UnrecoverableError):
    """The handler returns FAILED; the invocation is not retried."""

    termination_reason = TerminationReason.EXECUTION_ERROR


class NonDeterministicExecutionError(ExecutionError):
    termination_reason = TerminationReason.NON_DETERMINISTIC_EXECUTION

    def __init__(self, message: str, step_id: str | None = None) -> None:
        super().__init__(message)
        self.step_id = step_id


class InvocationError(UnrecoverableError):
    """Raised out of the handler so the backend retries the invocation."""

    termination_reason = TerminationReason.INVOCATION_ERROR

    def is_retryable(self) -> bool:
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
        super().__init__(message)
        self.error_category = error_category
        self.error = error
        self.response_metadata = response_metadata

    def is_retryable(self) -> bool:
        return self.error_category is DurableApiErrorCategory.INVOCATION

    @classmethod
    def from_exception(cls, exception: BaseException) -> BotoClientError:
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
    if error and isinstance(status, int) and 400 <= status < 500 and status != 429:
        message = str(error.get("Message") or error.get("message") or "")
        if code == "InvalidParameterValueException" and message.startswith(
            "Invalid checkpoint token"
        ):
            return DurableApiErrorCategory.INVOCATION
        return DurableApiErrorCategory.EXECUTION
    return DurableApiErrorCategory.INVOCATION


class CheckpointError(BotoClientError):
    termination_reason = TerminationReason.CHECKPOINT_FAILED


class GetExecutionStateError(BotoClientError):
    termination_reason = TerminationReason.INVOCATION_ERROR


class StepInterruptedError(InvocationError):
    termination_reason = TerminationReason.STEP_INTERRUPTED

    def __init__(self, message: str, step_id: str | None = None) -> None:
        super().__init__(message)
        self.step_id = step_id


class RetryableSerDesError(InvocationError):
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
        from durable_lambda.lambda_service import ErrorObject

        return ErrorObject.from_exception(self)


@register_operation_error
class StepError(DurableOperationError):
    pass


@register_operation_error
class InvokeError(DurableOperationError):
    pass


@register_operation_error
class ChildContextError(DurableOperationError):
    pass


@register_operation_error
class WaitForConditionError(DurableOperationError):
    pass


@register_operation_error
class CallbackError(DurableOperationError):
    pass


@register_operation_error
class CallbackExternalError(CallbackError):
    pass


@register_operation_error
class CallbackTimeoutError(CallbackError):
    pass


@register_operation_error
class CallbackSubmitterError(CallbackError):
    pass


# --------------------------------------------------------------------------------------------
# control-flow signals (BaseException on purpose)


class SuspendExecution(BaseException):  # AWS's name
    """Ends the invocation with PENDING. Do not catch ``BaseException`` in handler code."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class TimedSuspendExecution(SuspendExecution):
    def __init__(self, message: str, scheduled_timestamp: float) -> None:
        super().__init__(message)
        self.scheduled_timestamp = scheduled_timestamp

    @classmethod
    def from_delay(cls, message: str, delay_seconds: float) -> TimedSuspendExecution:
        return cls(message, time.time() + delay_seconds)

    @classmethod
    def from_datetime(cls, message: str, dt: datetime) -> TimedSuspendExecution:
        return cls(message, dt.timestamp())


class BackgroundThreadError(BaseException):
    def __init__(self, message: str, source_exception: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source_exception = source_exception


class OrphanedChildException(BaseException):  # AWS's name
    def __init__(self, message: str, operation_id: str | None = None) -> None:
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
