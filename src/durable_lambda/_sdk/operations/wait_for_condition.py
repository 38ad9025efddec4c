"""``context.wait_for_condition`` executor (sdk-spec.md §4.9).

Owns the polling protocol on one STEP operation with SubType ``WaitForCondition``: the polled
state lives in ``StepDetails.Result``. Each poll runs the check once; "keep polling" is a sync
RETRY carrying the new state as Payload plus ``NextAttemptDelaySeconds`` (the backend records a
StepSucceeded with RetryDetails, conformance 6-1/6-5) and a timed suspension; "stop" is a sync
SUCCEED with the state; a failing check or strategy is a terminal FAIL (no internal retry, 6-7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from durable_lambda._sdk.operations.base import (
    OperationIdentifier,
    build_update,
    validate_checkpoint,
)
from durable_lambda._sdk.state import ExecutionState
from durable_lambda._sdk.suspend import (
    suspend_with_optional_resume_delay,
    suspend_with_optional_resume_timestamp,
)
from durable_lambda.exceptions import ExecutionError, InvocationError, WaitForConditionError
from durable_lambda.lambda_service import (
    ErrorObject,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    StepOptions,
)
from durable_lambda.logger import Logger, LogInfo
from durable_lambda.serdes import deserialize, serialize
from durable_lambda.types import WaitForConditionCheckContext
from durable_lambda.waits import WaitForConditionConfig

__all__ = ["WaitForConditionExecutor"]

_SUB_TYPE = str(OperationSubType.WAIT_FOR_CONDITION)
_RESUMABLE = frozenset({OperationStatus.STARTED, OperationStatus.READY})


@dataclass
class WaitForConditionExecutor:
    state: ExecutionState
    identifier: OperationIdentifier
    check: Callable[[Any, WaitForConditionCheckContext], Any]
    config: WaitForConditionConfig[Any]
    context_logger: Logger

    @property
    def _arn(self) -> str:
        return self.state.durable_execution_arn

    def execute(self) -> Any:
        op_id = self.identifier.operation_id
        checkpoint = self.state.get_checkpoint_result(op_id)
        validate_checkpoint(checkpoint, self.identifier, OperationType.STEP, _SUB_TYPE)
        details = checkpoint.step_details if checkpoint is not None else None
        if checkpoint is not None:
            if checkpoint.status is OperationStatus.SUCCEEDED:
                return self._deserialize(details.result if details else None)
            if checkpoint.status.is_terminal:
                raise WaitForConditionError.from_error_object(details.error if details else None)
            if checkpoint.status is OperationStatus.PENDING:
                suspend_with_optional_resume_timestamp(
                    f"wait_for_condition {op_id} polls again later",
                    details.next_attempt_timestamp if details else None,
                    waiting_on=op_id,
                )
        if checkpoint is None or checkpoint.status is not OperationStatus.STARTED:
            start = build_update(
                self.identifier, OperationType.STEP, OperationAction.START, _SUB_TYPE
            )
            self.state.create_checkpoint(start, is_sync=False)
        attempt = (details.attempt if details else 0) + 1
        if (
            checkpoint is not None
            and checkpoint.status in _RESUMABLE
            and details is not None
            and details.result is not None
        ):
            current = self._deserialize(details.result)
        else:
            # Round-trip the initial state so the first poll sees what a replay would see.
            initial = serialize(self.config.serdes, self.config.initial_state, op_id, self._arn)
            current = self._deserialize(initial)
        return self._poll(current, attempt)

    def _poll(self, current: Any, attempt: int) -> Any:
        info = LogInfo(
            self._arn,
            parent_id=self.identifier.parent_id,
            operation_id=self.identifier.operation_id,
            name=self.identifier.name,
            attempt=attempt,
        )
        check_context = WaitForConditionCheckContext(
            logger=self.context_logger.with_log_info(info), attempt=attempt
        )
        op_id = self.identifier.operation_id
        try:
            new_state = self.check(current, check_context)
            payload = serialize(self.config.serdes, new_state, op_id, self._arn)
            new_state = self._deserialize(payload)
            decision = self.config.wait_strategy(new_state, attempt)
        except ExecutionError:
            raise
        except InvocationError as err:
            if err.is_retryable():
                raise
            self._fail(err)
        except Exception as err:  # check or strategy failed: terminal (§4.9)
            self._fail(err)
        if not decision.should_continue:
            self._checkpoint(OperationAction.SUCCEED, payload=payload)
            return self._deserialize(payload)
        delay = max(1, int(decision.delay_seconds))
        self._checkpoint(OperationAction.RETRY, payload=payload, step_options=StepOptions(delay))
        suspend_with_optional_resume_delay(
            f"wait_for_condition {op_id} polls in {delay}s", delay, waiting_on=op_id
        )

    def _fail(self, err: Exception) -> NoReturn:
        error_object = ErrorObject.from_exception(err)
        self._checkpoint(OperationAction.FAIL, error=error_object)
        raise WaitForConditionError.from_error_object(error_object)

    def _checkpoint(self, action: OperationAction, **fields: Any) -> None:
        update = build_update(self.identifier, OperationType.STEP, action, _SUB_TYPE, **fields)
        self.state.create_checkpoint(update, is_sync=True)

    def _deserialize(self, payload: str | None) -> Any:
        if payload is None:
            return None
        return deserialize(self.config.serdes, payload, self.identifier.operation_id, self._arn)
