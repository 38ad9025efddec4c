"""``context.step`` executor (sdk-spec.md §4.1, §16.1, §16.2).

Owns the step protocol: replay of terminal checkpoints, START (sync for at-most-once, async for
at-least-once), running the user function, SUCCEED with the round-tripped payload, and the retry
handler (RETRY + timed suspension, or FAIL + ``StepError``).

Invariants: a SUCCEEDED/FAILED step never re-runs user code; an at-most-once attempt found
STARTED is never re-run — it is fed to the retry strategy as ``StepInterruptedError`` and the
resulting RETRY/FAIL is sent without a new START (conformance 1-17, 1-18); an at-least-once
attempt found STARTED re-runs without a new START (conformance 3-12).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from durable_lambda import plugin
from durable_lambda._sdk.blocking import about_to_block
from durable_lambda._sdk.operations.base import (
    OperationIdentifier,
    build_update,
    validate_checkpoint,
)
from durable_lambda._sdk.roundtrip import round_trip_is_identity
from durable_lambda._sdk.state import ExecutionState
from durable_lambda._sdk.suspend import (
    suspend_with_optional_resume_delay,
    suspend_with_optional_resume_timestamp,
)
from durable_lambda.config import StepConfig, StepSemantics
from durable_lambda.exceptions import (
    ExecutionError,
    InvalidStateError,
    RetryableSerDesError,
    SerDesError,
    StepError,
    StepInterruptedError,
)
from durable_lambda.lambda_service import (
    ErrorObject,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    StepOptions,
)
from durable_lambda.logger import Logger, LogInfo
from durable_lambda.retries import RetryPresets
from durable_lambda.serdes import deserialize, serialize
from durable_lambda.types import StepContext

__all__ = ["StepExecutor"]


@dataclass
class StepExecutor:
    """Runs one ``step`` call; ``context_logger`` is the owning context's replay-aware logger."""

    state: ExecutionState
    identifier: OperationIdentifier
    func: Callable[[StepContext], Any]
    config: StepConfig
    context_logger: Logger

    @property
    def sub_type(self) -> str:
        return self.config.sub_type or str(OperationSubType.STEP)

    @property
    def _arn(self) -> str:
        return self.state.durable_execution_arn

    def execute(self) -> Any:
        op_id = self.identifier.operation_id
        checkpoint = self.state.get_checkpoint_result(op_id)
        validate_checkpoint(checkpoint, self.identifier, OperationType.STEP, self.sub_type)
        at_most_once = self.config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
        if checkpoint is not None:
            status = checkpoint.status
            if status is OperationStatus.SUCCEEDED:
                return self._deserialize(_result(checkpoint))
            if status.is_terminal:
                raise StepError.from_error_object(_error(checkpoint))
            if status is OperationStatus.PENDING:
                details = checkpoint.step_details
                suspend_with_optional_resume_timestamp(
                    f"Retry scheduled for step {op_id}",
                    details.next_attempt_timestamp if details else None,
                    waiting_on=op_id,
                )
            if status is OperationStatus.STARTED:
                attempt = _attempt(checkpoint)
                self._hook(
                    "on_operation_start", plugin.OperationStartInfo, attempt, status, replayed=True
                )
                if at_most_once:
                    # §16.2: the previous at-most-once attempt was interrupted; never re-run it.
                    interrupted = StepInterruptedError(
                        f"Step operation_id={op_id} name={self.identifier.name} "
                        "was previously interrupted",
                        step_id=op_id,
                    )
                    self._handle_failure(interrupted, attempt)
                return self._run(attempt)
        # absent or READY: a new attempt starts
        attempt = _attempt(checkpoint)
        self._hook(
            "on_operation_start",
            plugin.OperationStartInfo,
            attempt,
            checkpoint.status if checkpoint else None,
            replayed=checkpoint is not None,
        )
        start = build_update(
            self.identifier, OperationType.STEP, OperationAction.START, self.sub_type
        )
        self.state.create_checkpoint(start, is_sync=at_most_once)
        if at_most_once:
            current = self.state.get_checkpoint_result(op_id)
            if current is None or current.status is not OperationStatus.STARTED:
                raise InvalidStateError(f"Step {op_id} was not STARTED after a synchronous START")
        return self._run(attempt)

    def _run(self, attempt: int) -> Any:
        info = LogInfo(
            self._arn,
            parent_id=self.identifier.parent_id,
            operation_id=self.identifier.operation_id,
            name=self.identifier.name,
            attempt=attempt,
        )
        step_context = StepContext(logger=self.context_logger.with_log_info(info), attempt=attempt)
        self._hook(
            "on_user_function_start", plugin.UserFunctionStartInfo, attempt, OperationStatus.STARTED
        )
        outcome = plugin.UserFunctionOutcome.INCOMPLETE
        failure: Exception | None
        serdes_failure: SerDesError | None
        try:
            try:
                about_to_block()  # step bodies do I/O: let a batch run its other branches meanwhile
                raw = self.func(step_context)
            except (ExecutionError, RetryableSerDesError):
                raise  # non-determinism and retryable serdes failures end the invocation
            except SerDesError as err:  # permanent: FAIL without asking the retry strategy
                outcome = plugin.UserFunctionOutcome.FAILED
                failure = None
                serdes_failure = err
            except Exception as err:  # user code failed: the retry strategy decides (§16.1)
                outcome = plugin.UserFunctionOutcome.FAILED
                failure = err
                serdes_failure = None
            else:
                outcome = plugin.UserFunctionOutcome.SUCCEEDED
                failure = serdes_failure = None
        finally:
            self._hook(
                "on_user_function_end",
                plugin.UserFunctionEndInfo,
                attempt,
                OperationStatus.STARTED,
                outcome=outcome,
            )
        if failure is not None:
            self._handle_failure(failure, attempt)
        if serdes_failure is not None:
            self._checkpoint(OperationAction.FAIL, error=ErrorObject.from_exception(serdes_failure))
            self._hook("on_operation_end", plugin.OperationEndInfo, attempt, OperationStatus.FAILED)
            raise serdes_failure
        try:
            payload = serialize(self.config.serdes, raw, self.identifier.operation_id, self._arn)
            # The round trip is skipped only where it provably returns ``raw`` (_sdk/roundtrip.py).
            value = (
                raw
                if round_trip_is_identity(self.config.serdes, raw)
                else self._deserialize(payload)
            )
        except (ExecutionError, RetryableSerDesError):
            # Non-determinism and retryable serdes failures end the invocation, unrecorded.
            raise
        except SerDesError as err:
            self._checkpoint(OperationAction.FAIL, error=ErrorObject.from_exception(err))
            self._hook("on_operation_end", plugin.OperationEndInfo, attempt, OperationStatus.FAILED)
            raise
        self._checkpoint(OperationAction.SUCCEED, payload=payload)
        self._hook(
            "on_operation_end",
            plugin.OperationEndInfo,
            attempt,
            OperationStatus.SUCCEEDED,
            result=value,
        )
        return value

    def _handle_failure(self, error: Exception, attempt: int) -> NoReturn:
        error_object = ErrorObject.from_exception(error)
        strategy = self.config.retry_strategy or RetryPresets.default()
        decision = strategy(error, attempt)
        if decision.should_retry:
            # The backend needs whole seconds >= 1 (§16.1, gotcha 14).
            delay = max(1, int(decision.delay_seconds))
            self._checkpoint(
                OperationAction.RETRY, error=error_object, step_options=StepOptions(delay)
            )
            suspend_with_optional_resume_delay(
                f"Retry scheduled for step {self.identifier.operation_id}",
                delay,
                waiting_on=self.identifier.operation_id,
            )
        self._checkpoint(OperationAction.FAIL, error=error_object)
        self._hook(
            "on_operation_end",
            plugin.OperationEndInfo,
            attempt,
            OperationStatus.FAILED,
            error=error_object,
        )
        raise StepError.from_error_object(error_object)

    def _hook(
        self,
        hook: str,
        info_type: Any,
        attempt: int,
        status: Any,
        *,
        replayed: bool = False,
        **extra: Any,
    ) -> None:
        plugins = self.state.plugins
        if not plugins:
            return
        plugins.call(
            hook,
            info_type(
                operation_id=self.identifier.operation_id,
                operation_type=str(OperationType.STEP),
                sub_type=self.sub_type,
                name=self.identifier.name,
                parent_id=self.identifier.parent_id,
                is_replayed=replayed,
                status=status,
                attempt=attempt,
                **extra,
            ),
        )

    def _checkpoint(self, action: OperationAction, **fields: Any) -> None:
        update = build_update(self.identifier, OperationType.STEP, action, self.sub_type, **fields)
        self.state.create_checkpoint(update, is_sync=True)

    def _deserialize(self, payload: str | None) -> Any:
        if payload is None:
            return None
        return deserialize(self.config.serdes, payload, self.identifier.operation_id, self._arn)


def _attempt(checkpoint: Operation | None) -> int:
    """The 1-based attempt about to run: completed attempts (``StepDetails.Attempt``) + 1."""
    details = checkpoint.step_details if checkpoint is not None else None
    return (details.attempt if details else 0) + 1


def _result(checkpoint: Operation) -> str | None:
    return checkpoint.step_details.result if checkpoint.step_details else None


def _error(checkpoint: Operation) -> ErrorObject | None:
    return checkpoint.step_details.error if checkpoint.step_details else None
