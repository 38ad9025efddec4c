"""``context.invoke`` executor (sdk-spec.md §4.5).

Owns the CHAINED_INVOKE protocol: a sync START carrying the JSON payload and
``ChainedInvokeOptions``, then suspension until the backend records the target's outcome. The
SDK never retries an invoke; a failed, timed-out or stopped target surfaces as ``InvokeError``.
"""

from __future__ import annotations

from typing import Any

from durable_lambda._sdk.operations.base import (
    OperationIdentifier,
    build_update,
    validate_checkpoint,
)
from durable_lambda._sdk.state import ExecutionState
from durable_lambda._sdk.suspend import suspend_with_optional_resume_delay
from durable_lambda.config import InvokeConfig
from durable_lambda.exceptions import InvokeError
from durable_lambda.lambda_service import (
    ChainedInvokeOptions,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from durable_lambda.serdes import DEFAULT_JSON_SERDES, deserialize, serialize

__all__ = ["execute_invoke"]

_SUB_TYPE = str(OperationSubType.CHAINED_INVOKE)
_FAILED = frozenset({OperationStatus.FAILED, OperationStatus.TIMED_OUT, OperationStatus.STOPPED})


def execute_invoke(
    state: ExecutionState,
    identifier: OperationIdentifier,
    function_name: str,
    payload: Any,
    config: InvokeConfig[Any, Any],
) -> Any:
    op_id = identifier.operation_id
    arn = state.durable_execution_arn
    checkpoint = state.get_checkpoint_result(op_id)
    validate_checkpoint(checkpoint, identifier, OperationType.CHAINED_INVOKE, _SUB_TYPE)
    if checkpoint is None:
        # Invoke payloads are plain JSON by default, not the extended envelope (§8.3).
        body = serialize(config.serdes_payload or DEFAULT_JSON_SERDES, payload, op_id, arn)
        start = build_update(
            identifier,
            OperationType.CHAINED_INVOKE,
            OperationAction.START,
            _SUB_TYPE,
            payload=body,
            chained_invoke_options=ChainedInvokeOptions(
                function_name=function_name, tenant_id=config.tenant_id
            ),
        )
        state.create_checkpoint(start, is_sync=True)
        # Re-read: the backend may fail the invoke at once (e.g. unknown function).
        checkpoint = state.get_checkpoint_result(op_id)
    details = checkpoint.chained_invoke_details if checkpoint is not None else None
    if checkpoint is not None and checkpoint.status is OperationStatus.SUCCEEDED:
        if details is None or details.result is None:
            return None
        return deserialize(config.serdes_result or DEFAULT_JSON_SERDES, details.result, op_id, arn)
    if checkpoint is not None and checkpoint.status in _FAILED:
        raise InvokeError.from_error_object(details.error if details else None)
    suspend_with_optional_resume_delay(
        f"Invoke {op_id} of {function_name} still running", waiting_on=op_id
    )
