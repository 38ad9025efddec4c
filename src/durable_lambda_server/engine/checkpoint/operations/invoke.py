"""CHAINED_INVOKE: START records the call; the engine runs the target after commit."""

from __future__ import annotations

from typing import Any

from durable_lambda.lambda_service import OperationAction, OperationUpdate
from durable_lambda_server.engine.checkpoint.operations._common import (
    base_operation,
    reject,
    require_status,
)
from durable_lambda_server.engine.effects import StartChainedInvoke
from durable_lambda_server.engine.execution_writer import ExecutionWriter, payload_details
from durable_lambda_server.wire.vocabulary import EventType

ACTIONS = frozenset({OperationAction.START, OperationAction.CANCEL})
ARN_FUNCTION_PARTS = 7  # arn:aws:lambda:region:account:function:name (then :qualifier)


def validate(update: OperationUpdate, current: dict[str, Any] | None) -> None:
    """Accepts START naming a target function and CANCEL of a started invoke; raises to reject."""
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


def process(
    w: ExecutionWriter, update: OperationUpdate, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Stops a cancelled invoke, or starts one: names the child and asks to run it after commit."""
    if update.action is OperationAction.CANCEL:
        assert current is not None
        op = dict(current, Status="STOPPED", EndTimestamp=w.now)
        w.put_op(op, new=False)
        w.event(
            EventType.CHAINED_INVOKE_STOPPED,
            {"Error": {"Payload": {"ErrorType": "Cancelled"}, "Truncated": False}},
            op,
        )
        return op
    options = update.chained_invoke_options
    assert options is not None
    op = base_operation(update, w.now, "STARTED")
    op["ChainedInvokeDetails"] = {}
    w.put_op(op, new=True)
    details: dict[str, Any] = {
        "FunctionName": options.function_name,
        "Input": payload_details(update.payload),
    }
    if options.tenant_id:
        details["TenantId"] = options.tenant_id
    child: dict[str, Any] = {}
    target = _resolve(w, options.function_name)
    if target is not None:
        # The child execution's identity is fixed now so the start event can name it
        # (conformance.md §7.2: ExecutedVersion and DurableExecutionArn on ChainedInvokeStarted);
        # an alias is resolved once, here, so the event and the child agree on the version.
        child = {
            "execution_name": w.ids.execution_id(),
            "execution_id": w.ids.execution_id(),
            "version": target.version,
        }
        details["ExecutedVersion"] = target.version
        if target.durable:
            details["DurableExecutionArn"] = (
                f"{target.function_arn}:{target.version}/durable-execution/"
                f"{child['execution_name']}/{child['execution_id']}"
            )
    w.event(EventType.CHAINED_INVOKE_STARTED, details, op)
    w.effects.append(
        StartChainedInvoke(
            op_id=op["Id"],
            function_name=options.function_name,
            payload=update.payload,
            execution_name=child.get("execution_name"),
            execution_id=child.get("execution_id"),
            version=child.get("version"),
        )
    )
    return op


def _resolve(w: ExecutionWriter, function_name: str) -> Any:
    from durable_lambda_server.engine.functions import parse_function_ref, resolve_function

    try:
        name, qualifier = parse_function_ref(function_name)
        function_arn = w.ex.function_arn.rsplit(":function:", 1)[0] + f":function:{name}"
        return resolve_function(w.tx, name, qualifier, function_arn, w.ids)
    except Exception:  # unknown target: the engine fails the operation after commit
        return None


def resolve_target(function_name: str) -> tuple[str, str] | None:
    """``name``, ``name:qualifier`` or a function ARN -> (name, qualifier); None if malformed."""
    text = function_name
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) < ARN_FUNCTION_PARTS or parts[5] != "function":
            return None
        name = parts[6]
        qualifier = parts[7] if len(parts) > ARN_FUNCTION_PARTS else "$LATEST"
    else:
        name, _, qualifier = text.partition(":")
        qualifier = qualifier or "$LATEST"
    if not name:
        return None
    return name, qualifier
