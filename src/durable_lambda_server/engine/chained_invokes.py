"""Chained invokes: run a CHAINED_INVOKE's target, then complete the operation with its outcome.

A durable target runs as its own execution, a plain one as one invocation, and the child's
outcome completes the caller's CHAINED_INVOKE operation.

A child that finishes while its caller still holds a live lease is not recorded at once: on
Lambda the result arrives after the caller's invocation has ended, and the history must show
``InvocationCompleted`` before ``ChainedInvokeSucceeded`` (conformance.md §5.3 item 8).
"""

from __future__ import annotations

import json
from typing import Any

from durable_lambda_server.engine.completions import complete_operation
from durable_lambda_server.engine.effects import StartChainedInvoke
from durable_lambda_server.engine.execution_writer import ExecutionWriter
from durable_lambda_server.engine.messages import StartExecution
from durable_lambda_server.engine.resources import EngineResources
from durable_lambda_server.store.base import ExecutionRow
from durable_lambda_server.wire.errors import ResourceNotFoundException
from durable_lambda_server.wire.vocabulary import EventType

__all__ = ["apply_finished_children", "finish", "start"]


def start(r: EngineResources, arn: str, effect: StartChainedInvoke) -> None:
    """Starts the target of execution ``arn``'s CHAINED_INVOKE ``effect.op_id``.

    A target that cannot start (unknown function, bad payload) fails the operation and the
    caller goes on.
    """
    from durable_lambda_server.engine.checkpoint.operations.invoke import resolve_target
    from durable_lambda_server.engine.executions import start_execution

    target = resolve_target(effect.function_name)
    try:
        if target is None:
            raise ResourceNotFoundException(f"Function not found: {effect.function_name}")
        start_execution(
            r,
            StartExecution(
                function_name=target[0],
                input_payload=effect.payload,
                qualifier=effect.version or target[1],
                execution_name=effect.execution_name,
                execution_id=effect.execution_id,
            ),
            parent=(arn, effect.op_id),
        )
    except (
        Exception
    ) as err:  # unknown function, bad payload: the operation fails, the caller continues
        error = {
            "ErrorType": type(err).__name__,
            "ErrorMessage": getattr(err, "message", None) or str(err),
        }
        with r.write() as tx:
            ex = tx.get_execution(arn)
            op = tx.get_operations(arn, [effect.op_id]).get(effect.op_id) if ex else None
            if ex is None or op is None or op["Status"] != "STARTED":
                return
            w = ExecutionWriter(tx, ex, r.clock.now_ms(), r.ids)
            complete_operation(
                w,
                op,
                "FAILED",
                EventType.CHAINED_INVOKE_FAILED,
                details_key="ChainedInvokeDetails",
                error=error,
            )
            w.flush()


_CHILD_EVENT = {
    "SUCCEEDED": EventType.CHAINED_INVOKE_SUCCEEDED,
    "FAILED": EventType.CHAINED_INVOKE_FAILED,
    "TIMED_OUT": EventType.CHAINED_INVOKE_TIMED_OUT,
    "STOPPED": EventType.CHAINED_INVOKE_STOPPED,
}


def _record_child_outcome(w: ExecutionWriter, op: dict[str, Any], child: ExecutionRow) -> None:
    status = child.status
    error = json.loads(child.error) if child.error else {}
    complete_operation(
        w,
        op,
        status,
        _CHILD_EVENT[status],
        details_key="ChainedInvokeDetails",
        result=child.result if status == "SUCCEEDED" else None,
        error=None if status == "SUCCEEDED" else error,
    )


def apply_finished_children(w: ExecutionWriter) -> int:
    """Records results of chained invokes that finished while the caller's invocation ran.

    A child that finishes while its caller still holds a live lease is not recorded at once: on
    Lambda the result arrives after the caller's invocation has ended, and the history must show
    ``InvocationCompleted`` before ``ChainedInvokeSucceeded`` (conformance.md §5.3 item 8).
    """
    children = w.tx.finished_children(w.ex.arn)
    if not children:
        return 0
    ops = w.tx.get_operations(w.ex.arn, [c.parent_op_id for c in children if c.parent_op_id])
    applied = 0
    for child in children:
        op = ops.get(child.parent_op_id or "")
        if op is not None and op["Status"] == "STARTED":
            _record_child_outcome(w, op, child)
            applied += 1
    return applied


def finish(r: EngineResources, child: ExecutionRow) -> None:
    """Records the outcome of ``child`` (just finished) on its caller's CHAINED_INVOKE.

    Unless the caller's invocation still runs: then ``apply_finished_children`` records it when
    that invocation completes.
    """
    parent_arn, op_id = child.parent_arn, child.parent_op_id
    if not parent_arn or not op_id:
        return
    with r.write() as tx:
        ex = tx.get_execution(parent_arn)
        op = tx.get_operations(parent_arn, [op_id]).get(op_id) if ex else None
        if ex is None or op is None or ex.status != "RUNNING" or op["Status"] != "STARTED":
            return
        now = r.clock.now_ms()
        if ex.lease_token is not None and (ex.lease_expires_ms or 0) > now:
            return  # recorded when the caller's invocation completes (apply_finished_children)
        finished = tx.get_execution(child.arn)
        if finished is None:
            return
        w = ExecutionWriter(tx, ex, now, r.ids)
        _record_child_outcome(w, op, finished)
        w.flush()
