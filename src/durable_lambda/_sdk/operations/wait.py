"""``context.wait`` executor (sdk-spec.md §4.2).

Owns the WAIT protocol: a sync START with ``WaitOptions.WaitSeconds``, then suspension until the
backend completes the operation at ``ScheduledEndTimestamp``. The SDK never sends SUCCEED or
CANCEL for a wait (§10.5): the backend owns the timer.
"""

from __future__ import annotations

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
from durable_lambda.lambda_service import (
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    WaitOptions,
)

__all__ = ["execute_wait"]

_SUB_TYPE = str(OperationSubType.WAIT)


def execute_wait(state: ExecutionState, identifier: OperationIdentifier, seconds: int) -> None:
    """Returns once the WAIT is complete; otherwise suspends the invocation."""
    op_id = identifier.operation_id
    checkpoint = state.get_checkpoint_result(op_id)
    validate_checkpoint(checkpoint, identifier, OperationType.WAIT, _SUB_TYPE)
    if checkpoint is None:
        start = build_update(
            identifier,
            OperationType.WAIT,
            OperationAction.START,
            _SUB_TYPE,
            wait_options=WaitOptions(seconds),
        )
        state.create_checkpoint(start, is_sync=True)
        checkpoint = state.get_checkpoint_result(op_id)
        if checkpoint is None or not checkpoint.status.is_terminal:
            suspend_with_optional_resume_delay(
                f"Wait {op_id} for {seconds}s", seconds, waiting_on=op_id
            )
    if checkpoint.status is OperationStatus.SUCCEEDED or checkpoint.status.is_terminal:
        # A CANCELLED wait (only possible through the API) also lets the code continue.
        return
    details = checkpoint.wait_details
    suspend_with_optional_resume_timestamp(
        f"Wait {op_id} not finished",
        details.scheduled_end_timestamp if details else None,
        waiting_on=op_id,
    )
