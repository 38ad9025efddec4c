"""WAIT: START (the service owns the timer) and CANCEL."""

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

ACTIONS = frozenset({OperationAction.START, OperationAction.CANCEL})
MAX_WAIT_SECONDS = 31_622_400  # 366 days (sdk-spec.md §4.2)


def validate(update: OperationUpdate, current: dict[str, Any] | None) -> None:
    """Accepts START with 1 s to 366 days and CANCEL of a started wait; raises to reject."""
    match update.action:
        case OperationAction.START:
            require_status(update, current, {None})  # type: ignore[arg-type]
            seconds = update.wait_options.wait_seconds if update.wait_options else 0
            if not 1 <= seconds <= MAX_WAIT_SECONDS:
                raise reject(update, f"WaitOptions.WaitSeconds must be 1..{MAX_WAIT_SECONDS}")
        case OperationAction.CANCEL:
            require_status(update, current, {"STARTED"})
        case _:
            raise reject(update, "action not allowed for WAIT")


def process(
    w: ExecutionWriter, update: OperationUpdate, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Starts the wait with its timer, or cancels it and its timer."""
    if update.action is OperationAction.CANCEL:
        assert current is not None
        op = dict(current, Status="CANCELLED", EndTimestamp=w.now)
        w.put_op(op, new=False)
        w.tx.cancel_timers(w.ex.arn, op["Id"], [TimerKind.WAIT])
        w.event(EventType.WAIT_CANCELLED, {}, op)
        return op
    assert update.wait_options is not None
    seconds = update.wait_options.wait_seconds
    due = w.now + seconds * 1000
    op = base_operation(update, w.now, "STARTED")
    op["WaitDetails"] = {"ScheduledEndTimestamp": due}
    w.put_op(op, new=True)
    w.tx.schedule_timer(w.ex.arn, op["Id"], TimerKind.WAIT, due)
    w.event(EventType.WAIT_STARTED, {"Duration": seconds, "ScheduledEndTimestamp": due}, op)
    return op
