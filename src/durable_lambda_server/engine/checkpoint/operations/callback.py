"""CALLBACK: START only; the service assigns the CallbackId and owns completion and timeouts."""

from __future__ import annotations

from typing import Any

from durable_lambda.lambda_service import OperationAction, OperationUpdate
from durable_lambda_server.engine.checkpoint.operations._common import (
    base_operation,
    reject,
    require_status,
)
from durable_lambda_server.engine.execution_writer import ExecutionWriter
from durable_lambda_server.store.base import TimerKind
from durable_lambda_server.wire.vocabulary import EventType

ACTIONS = frozenset({OperationAction.START})


def validate(update: OperationUpdate, current: dict[str, Any] | None) -> None:
    """Accepts a START of a new callback only; raises to reject the checkpoint."""
    if update.action is not OperationAction.START:
        raise reject(update, "only START is allowed for CALLBACK")
    require_status(update, current, {None})  # type: ignore[arg-type]


def process(
    w: ExecutionWriter, update: OperationUpdate, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Starts the callback: assigns its id and schedules its timeout and heartbeat timers."""
    options = update.callback_options
    timeout = options.timeout_seconds if options else 0
    heartbeat = options.heartbeat_timeout_seconds if options else 0
    callback_id = w.ids.callback_id()
    op = base_operation(update, w.now, "STARTED")
    op["CallbackDetails"] = {"CallbackId": callback_id}
    w.put_op(op, new=True)
    w.tx.insert_callback(callback_id, w.ex.arn, op["Id"], heartbeat)
    details: dict[str, Any] = {"CallbackId": callback_id}
    if timeout > 0:
        details["Timeout"] = timeout
        w.tx.schedule_timer(w.ex.arn, op["Id"], TimerKind.CALLBACK_TIMEOUT, w.now + timeout * 1000)
    if heartbeat > 0:
        details["HeartbeatTimeout"] = heartbeat
        w.tx.schedule_timer(
            w.ex.arn, op["Id"], TimerKind.CALLBACK_HEARTBEAT, w.now + heartbeat * 1000
        )
    w.event(EventType.CALLBACK_STARTED, details, op)
    return op
