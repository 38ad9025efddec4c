"""CHAINED_INVOKE: START records the call; the engine runs the target after commit."""

from __future__ import annotations

from typing import Any

from durable_lambda.engine.checkpoint.operations._common import base_operation, reject, require_status
from durable_lambda.engine.events import ExecutionWriter, payload_details
from durable_lambda.lambda_service import OperationAction, OperationUpdate

ACTIONS = frozenset({OperationAction.START, OperationAction.CANCEL})


def validate(update: OperationUpdate, current: dict[str, Any] | None) -> None:
    match update.action:
        case OperationAction.START:
            require_status(update, current, {None})  # type: ignore[arg-type]
            options = update.chained_invoke_options
            if options is None or not options.function_name:
                raise reject(update, "ChainedInvokeOptions.FunctionName is required")
        case OperationAction.CANCEL:
            require_status(update, current, {"STARTED"})
        case _:
            raise reject(update, "action not allowed for CHAINED_INVOKE")


def process(w: ExecutionWriter, update: OperationUpdate, current: dict[str, Any] | None) -> dict[str, Any]:
    if update.action is OperationAction.CANCEL:
        assert current is not None
        op = dict(current, Status="STOPPED", EndTimestamp=w.now)
        w.put_op(op, new=False)
        w.event("ChainedInvokeStopped", {"Error": {"Payload": {"ErrorType": "Cancelled"}, "Truncated": False}}, op)
        return op
    options = update.chained_invoke_options
    assert options is not None
    op = base_operation(update, w.now, "STARTED")
    op["ChainedInvokeDetails"] = {}
    w.put_op(op, new=True)
    details: dict[str, Any] = {"FunctionName": options.function_name, "Input": payload_details(update.payload)}
    if options.tenant_id:
        details["TenantId"] = options.tenant_id
    event = w.event("ChainedInvokeStarted", details, op)
    w.effects.append(
        (
            "invoke",
            {
                "op_id": op["Id"],
                "function_name": options.function_name,
                "payload": update.payload,
                "tenant_id": options.tenant_id,
                "event_id": event["EventId"],
            },
        )
    )
    return op
