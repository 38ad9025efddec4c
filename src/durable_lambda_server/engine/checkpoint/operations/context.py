"""CONTEXT (child contexts, map, parallel, wait_for_callback): START, SUCCEED, FAIL."""

from __future__ import annotations

from typing import Any

from durable_lambda.lambda_service import OperationAction, OperationUpdate
from durable_lambda_server.engine.checkpoint.operations._common import (
    base_operation,
    error_dict,
    reject,
    require_status,
)
from durable_lambda_server.engine.execution_writer import (
    ExecutionWriter,
    error_details,
    payload_details,
)
from durable_lambda_server.wire.vocabulary import EventType

ACTIONS = frozenset({OperationAction.START, OperationAction.SUCCEED, OperationAction.FAIL})


def validate(update: OperationUpdate, current: dict[str, Any] | None) -> None:
    """Accepts START of a new context and SUCCEED / FAIL of a started one; raises to reject."""
    match update.action:
        case OperationAction.START:
            require_status(update, current, {None})  # type: ignore[arg-type]
        case OperationAction.SUCCEED | OperationAction.FAIL:
            require_status(update, current, {"STARTED"})
            if update.action is OperationAction.SUCCEED and update.error is not None:
                raise reject(update, "SUCCEED must not carry an Error")
            if update.action is OperationAction.FAIL and update.payload is not None:
                raise reject(update, "FAIL must not carry a Payload")
        case _:
            raise reject(update, "action not allowed for CONTEXT")


def process(
    w: ExecutionWriter, update: OperationUpdate, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Starts, succeeds or fails the context and records its event."""
    if update.action is OperationAction.START:
        op = base_operation(update, w.now, "STARTED")
        op["ContextDetails"] = {}
        w.put_op(op, new=True)
        w.event(EventType.CONTEXT_STARTED, {}, op)
        return op
    assert current is not None
    op = dict(current, EndTimestamp=w.now)
    details: dict[str, Any] = {}
    if update.context_options is not None:
        details["ReplayChildren"] = update.context_options.replay_children
    if update.action is OperationAction.SUCCEED:
        op["Status"] = "SUCCEEDED"
        if update.payload is not None:
            details["Result"] = update.payload
        op["ContextDetails"] = details
        w.put_op(op, new=False)
        w.event(EventType.CONTEXT_SUCCEEDED, {"Result": payload_details(update.payload)}, op)
    else:
        op["Status"] = "FAILED"
        if update.error is not None:
            details["Error"] = error_dict(update)
        op["ContextDetails"] = details
        w.put_op(op, new=False)
        w.event(EventType.CONTEXT_FAILED, {"Error": error_details(error_dict(update))}, op)
    return op
