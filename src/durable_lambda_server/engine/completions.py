"""Service-side transitions: operations completed by the service, executions finishing.

Each function works on an ``ExecutionWriter`` inside the caller's transaction and records the
history event of what it changed. A completion the handler has not seen marks the execution for
re-invocation (``ExecutionWriter.service_change``).
"""

from __future__ import annotations

import json
from typing import Any

from durable_lambda_server.engine.effects import ChildExecutionFinished
from durable_lambda_server.engine.execution_writer import (
    ExecutionWriter,
    error_details,
    payload_details,
)
from durable_lambda_server.wire.vocabulary import EventType

__all__ = [
    "CALLBACK_HEARTBEAT",
    "CALLBACK_TIMEOUT",
    "EXECUTION_TIMEOUT",
    "complete_operation",
    "finish_execution",
]

_FINISH_EVENT = {
    "SUCCEEDED": EventType.EXECUTION_SUCCEEDED,
    "FAILED": EventType.EXECUTION_FAILED,
    "TIMED_OUT": EventType.EXECUTION_TIMED_OUT,
    "STOPPED": EventType.EXECUTION_STOPPED,
}
CALLBACK_TIMEOUT = {"ErrorType": "Callback.Timeout", "ErrorMessage": "Callback timed out"}
CALLBACK_HEARTBEAT = {
    "ErrorType": "Callback.Heartbeat",
    "ErrorMessage": "Callback timed out on heartbeat",
}
EXECUTION_TIMEOUT = {"ErrorType": "Execution.Timeout", "ErrorMessage": "Execution timed out"}


def finish_execution(
    w: ExecutionWriter,
    status: str,
    *,
    result: str | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    """Ends the execution with ``status``: its operation, event, row, and cancelled timers.

    A child of a CHAINED_INVOKE also asks (an effect) for its caller's operation to complete.
    """
    ex = w.ex
    op = w.get_op(ex.execution_id)
    if op is not None:
        w.put_op(dict(op, Status=status, EndTimestamp=w.now), new=False)
    details: dict[str, Any]
    if status == "SUCCEEDED":
        details = {"Result": payload_details(result)}
    else:
        details = {"Error": error_details(error)}
    w.event(_FINISH_EVENT[status], details, op)
    w.tx.cancel_timers(ex.arn)
    w.changes.update(
        {
            "status": status,
            "end_ms": w.now,
            "result": result if status == "SUCCEEDED" else None,
            "error": json.dumps(error) if status != "SUCCEEDED" and error is not None else None,
            "needs_invoke": 0,
            "checkpoint_token": None,
            "pending_outcome": None,
        }
    )
    if ex.parent_arn and ex.parent_op_id:
        w.effects.append(ChildExecutionFinished())


def complete_operation(
    w: ExecutionWriter,
    op: dict[str, Any],
    status: str,
    event_type: EventType,
    *,
    details_key: str,
    result: str | None = None,
    error: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Closes a WAIT, CALLBACK or CHAINED_INVOKE operation from the service side."""
    new = dict(op, Status=status, EndTimestamp=w.now)
    sub = dict(new.get(details_key) or {})
    if result is not None:
        sub["Result"] = result
    if error is not None:
        sub["Error"] = error
    new[details_key] = sub
    w.put_op(new, new=False)
    event_details = dict(details or {})
    if status == "SUCCEEDED" and details is None:
        event_details["Result"] = payload_details(result)
    elif error is not None and details is None:
        event_details["Error"] = error_details(error)
    w.event(event_type, event_details, new)
    w.tx.cancel_timers(w.ex.arn, op["Id"])
    w.service_change()
