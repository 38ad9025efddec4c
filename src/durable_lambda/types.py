"""Shared SDK types, name for name with AWS SDK 3.0.0 ``types`` (sdk-spec.md §1).

Owns the small context objects handed to user functions (``StepContext`` & co), the structural
protocols user code may type against (``LoggerInterface``, ``LambdaContext``, ``Callback``,
``BatchResult``, ``DurableContext``) and the durable execution ARN parser.

The protocols are typing aids only: the concrete classes live in ``context``, ``logger`` and
``concurrency.models``, and this module imports none of them at run time, so every SDK module
can import ``types`` without creating a cycle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from durable_lambda.concurrency.models import CompletionReason
    from durable_lambda.config import (
        BatchItemStatus,
        CallbackConfig,
        ChildConfig,
        Duration,
        InvokeConfig,
        MapConfig,
        ParallelBranch,
        ParallelConfig,
        StepConfig,
        WaitForCallbackConfig,
    )
    from durable_lambda.lambda_service import ErrorObject
    from durable_lambda.waits import WaitForConditionConfig

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
C_contra = TypeVar("C_contra", contravariant=True)

__all__ = [
    "BatchResult",
    "Callback",
    "DurableContext",
    "DurableExecutionArn",
    "LambdaContext",
    "LoggerInterface",
    "OperationContext",
    "StepContext",
    "SummaryGenerator",
    "WaitForCallbackContext",
    "WaitForConditionCheckContext",
]


@runtime_checkable
class LoggerInterface(Protocol):
    """What the SDK needs from a logger: the stdlib ``logging.Logger`` and Powertools fit."""

    def debug(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        """Logs at DEBUG."""

    def info(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        """Logs at INFO."""

    def warning(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None:
        """Logs at WARNING."""

    def error(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        """Logs at ERROR."""

    def exception(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None:
        """Logs at ERROR with the current exception."""


class LambdaContext(Protocol):
    """The Lambda runtime's context object, as far as the SDK and handlers read it."""

    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    function_name: str
    memory_limit_in_mb: int
    function_version: str
    invoked_function_arn: str
    client_context: Any
    identity: Any

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out."""
        ...


class SummaryGenerator(Protocol[C_contra]):
    """Turns a result too large to checkpoint (> 256 KiB) into a short string (§4.6)."""

    def __call__(self, result: C_contra) -> str:
        """The summary stored instead of ``result``."""
        ...


# --------------------------------------------------------------------------------------------
# contexts handed to user functions


@dataclass(frozen=True)
class OperationContext:
    """Base of the contexts passed to user functions: a logger enriched for the operation."""

    logger: LoggerInterface


@dataclass(frozen=True)
class StepContext(OperationContext):
    """Passed to a step function; ``attempt`` is 1-based (checkpointed ``Attempt`` + 1)."""

    attempt: int = 1


@dataclass(frozen=True)
class WaitForCallbackContext(OperationContext):
    """Passed to a ``wait_for_callback`` submitter with the callback id."""


@dataclass(frozen=True)
class WaitForConditionCheckContext(OperationContext):
    """Passed to a ``wait_for_condition`` check; ``attempt`` is 1-based."""

    attempt: int = 1


# --------------------------------------------------------------------------------------------
# durable execution ARN

# sdk-spec.md §10.1: the last "/" segment is the EXECUTION operation's id. Lenient on purpose
# (any partition/region/version text) so self-hosted ARNs parse too.
_ARN_PATTERN = re.compile(
    r"^arn:(?P<partition>[^:]+):lambda:(?P<region>[^:]+):(?P<account_id>[^:]+):"
    r"function:(?P<function_name>[^:/]+):(?P<version>[^/]+)/durable-execution/"
    r"(?P<execution_name>[^/]+)/(?P<invocation_id>[^/]+)$"
)


@dataclass(frozen=True)
class DurableExecutionArn:
    """The parts of a durable execution ARN."""

    partition: str
    region: str
    account_id: str
    function_name: str
    version: str
    execution_name: str
    invocation_id: str

    @classmethod
    def from_arn(cls, arn: str) -> DurableExecutionArn:
        """Parses ``arn:<p>:lambda:<r>:<acct>:function:<fn>:<ver>/durable-execution/<name>/<id>``.

        Raises:
            ValueError: ``arn`` does not have that shape.
        """
        match = _ARN_PATTERN.match(arn)
        if match is None:
            raise ValueError(f"Invalid durable execution ARN: {arn!r}")
        return cls(**match.groupdict())

    def __str__(self) -> str:
        """The ARN this was parsed from."""
        return (
            f"arn:{self.partition}:lambda:{self.region}:{self.account_id}:function:"
            f"{self.function_name}:{self.version}/durable-execution/{self.execution_name}/"
            f"{self.invocation_id}"
        )


# --------------------------------------------------------------------------------------------
# structural protocols of the concrete SDK classes


class Callback(Protocol[T_co]):
    """A created callback: hand ``callback_id`` to an external system, then ``result()``."""

    callback_id: str

    def result(self) -> T_co | None:
        """The callback result; suspends until it arrives, raises if it failed or timed out."""
        ...


class BatchResult(Protocol[T]):
    """The outcome of ``map``/``parallel`` (concrete class: ``concurrency.models.BatchResult``)."""

    @property
    def completion_reason(self) -> CompletionReason:
        """Why the batch stopped."""
        ...

    @property
    def status(self) -> BatchItemStatus:
        """SUCCEEDED or FAILED."""
        ...

    def get_results(self) -> list[T]:
        """Results of the succeeded items, in index order."""
        ...

    def get_errors(self) -> list[ErrorObject | None]:
        """One error per failed item."""
        ...

    def throw_if_error(self) -> None:
        """Raises the first item failure."""
        ...


class DurableContext(Protocol):
    """The operations available inside a durable function (concrete: ``context.DurableContext``)."""

    @property
    def logger(self) -> LoggerInterface:
        """The replay-aware logger."""
        ...

    def set_logger(self, new_logger: LoggerInterface) -> None:
        """Replaces the underlying logger, keeping enrichment and replay muting."""
        ...

    def is_replaying(self) -> bool:
        """Whether this context is replaying recorded operations."""
        ...

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T:
        """Runs ``func`` once, durably."""
        ...

    def wait(self, duration: Duration, name: str | None = None) -> None:
        """Suspends for ``duration``."""
        ...

    def create_callback(
        self, name: str | None = None, config: CallbackConfig | None = None
    ) -> Callback[Any]:
        """Creates a callback an external system completes."""
        ...

    def wait_for_callback(
        self,
        submitter: Callable[[str, WaitForCallbackContext], None],
        name: str | None = None,
        config: WaitForCallbackConfig | None = None,
    ) -> Any:
        """Creates a callback, hands its id to ``submitter`` and waits for the result."""
        ...

    def invoke(
        self,
        function_name: str,
        payload: Any,
        name: str | None = None,
        config: InvokeConfig[Any, Any] | None = None,
    ) -> Any:
        """Invokes another function and waits for its result."""
        ...

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig[T] | None = None,
    ) -> T:
        """Runs ``func`` in its own context."""
        ...

    def map(
        self,
        inputs: Sequence[Any],
        func: Callable[[DurableContext, Any, int, Sequence[Any]], T],
        name: str | None = None,
        config: MapConfig[Any] | None = None,
    ) -> BatchResult[T]:
        """Runs ``func`` once per input, concurrently."""
        ...

    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]:
        """Runs ``functions`` concurrently."""
        ...

    def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T:
        """Polls ``check`` until the wait strategy stops."""
        ...
