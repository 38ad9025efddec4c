"""``context.create_callback`` executor and the ``Callback`` handle (sdk-spec.md §4.3).

Owns the CALLBACK protocol: a sync START with ``CallbackOptions``, reading the backend-assigned
``CallbackId``, and ``Callback.result()``.

Invariant: errors are deferred. ``create_callback`` never raises for a failed or timed-out
callback, so the code between creation and ``result()`` runs identically on every replay; the
outcome surfaces only in ``result()``.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from durable_lambda._sdk.operations.base import (
    OperationIdentifier,
    build_update,
    validate_checkpoint,
)
from durable_lambda._sdk.state import ExecutionState
from durable_lambda._sdk.suspend import suspend_with_optional_resume_delay
from durable_lambda.config import CallbackConfig
from durable_lambda.exceptions import CallbackError, CallbackExternalError, CallbackTimeoutError
from durable_lambda.lambda_service import (
    CallbackOptions,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.serdes import deserialize

__all__ = ["Callback", "execute_create_callback"]

T = TypeVar("T")

_EXTERNAL_FAILURE = frozenset(
    {OperationStatus.FAILED, OperationStatus.CANCELLED, OperationStatus.STOPPED}
)


class Callback(Generic[T]):
    """Handle of a created callback, returned by ``create_callback``.

    Hand ``callback_id`` to the external system, then ``result()`` suspends until it answers.
    """

    def __init__(
        self,
        callback_id: str,
        operation_id: str,
        state: ExecutionState,
        serdes: Any = None,
    ) -> None:
        self.callback_id = callback_id
        self.operation_id = operation_id
        self.state = state
        self.serdes = serdes

    def result(self) -> T | None:
        op = self.state.get_checkpoint_result(self.operation_id)
        if op is None:
            raise CallbackError("Callback operation must exist")
        details = op.callback_details
        if op.status is OperationStatus.SUCCEEDED:
            if details is None or details.result is None:
                return None
            if self.serdes is None:
                # Pass-through by default: the external caller's payload, unparsed (§4.3).
                return details.result  # type: ignore[return-value]  # raw str by contract
            value: T = deserialize(
                self.serdes, details.result, self.operation_id, self.state.durable_execution_arn
            )
            return value
        error = details.error if details is not None else None
        if op.status is OperationStatus.TIMED_OUT:
            raise CallbackTimeoutError(
                (error.message if error else None) or "Callback timed out",
                data=error.data if error else None,
                stack_trace=error.stack_trace if error else None,
            )
        if op.status in _EXTERNAL_FAILURE:
            raise CallbackExternalError(
                (error.message if error else None) or "Callback failed",
                data=error.data if error else None,
                stack_trace=error.stack_trace if error else None,
            )
        suspend_with_optional_resume_delay(
            f"Callback result not received yet for {self.operation_id}",
            waiting_on=self.operation_id,
        )


def execute_create_callback(
    state: ExecutionState, identifier: OperationIdentifier, config: CallbackConfig
) -> Callback[Any]:
    sub_type = config.sub_type or str(OperationSubType.CALLBACK)
    op_id = identifier.operation_id
    checkpoint = state.get_checkpoint_result(op_id)
    validate_checkpoint(checkpoint, identifier, OperationType.CALLBACK, sub_type)
    if checkpoint is None:
        start = build_update(
            identifier,
            OperationType.CALLBACK,
            OperationAction.START,
            sub_type,
            callback_options=CallbackOptions(
                timeout_seconds=config.timeout_seconds,
                heartbeat_timeout_seconds=config.heartbeat_timeout_seconds,
            ),
        )
        state.create_checkpoint(start, is_sync=True)
        checkpoint = state.get_checkpoint_result(op_id)
    if checkpoint is None or checkpoint.callback_details is None:
        raise CallbackError(f"Missing callback details for operation: {op_id}")
    return Callback(checkpoint.callback_details.callback_id, op_id, state, config.serdes)
