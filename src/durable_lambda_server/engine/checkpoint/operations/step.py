"""STEP (and wait_for_condition): START, SUCCEED, FAIL, RETRY (lambda-api.md §3.5).

``Attempt`` counts finished attempts: RETRY, SUCCEED and FAIL each add one, so the event's
``RetryDetails.CurrentAttempt`` is the attempt that just ended (conformance.md §8.3). A RETRY
carrying an error is a ``StepFailed`` with the next delay; a RETRY carrying a payload is a
``StepSucceeded`` with the next delay (wait_for_condition polling).
"""

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
from durable_lambda_server.store.base import TimerKind
from durable_lambda_server.wire.vocabulary import EventType

ACTIONS = frozenset(
    {OperationAction.START, OperationAction.SUCCEED, OperationAction.FAIL, OperationAction.RETRY}
)


def validate(update: OperationUpdate, current: dict[str, Any] | None) -> None:
    """Accepts the step actions allowed from its current status; raises to reject."""
    match update.action:
        case OperationAction.START:
            require_status(update, current, {None, "READY"})  # type: ignore[arg-type]
        case OperationAction.SUCCEED | OperationAction.FAIL | OperationAction.RETRY:
            require_status(update, current, {"STARTED", "READY"})
            if update.action is OperationAction.SUCCEED and update.error is not None:
                raise reject(update, "SUCCEED must not carry an Error")
            if update.action is OperationAction.FAIL and update.payload is not None:
                raise reject(update, "FAIL must not carry a Payload")
            if update.action is OperationAction.RETRY:
                if update.step_options is None:
                    raise reject(update, "RETRY requires StepOptions")
                if update.error is not None and update.payload is not None:
                    raise reject(update, "RETRY carries an Error or a Payload, not both")
        case _:
            raise reject(update, "action not allowed for STEP")


def process(
    w: ExecutionWriter, update: OperationUpdate, current: dict[str, Any] | None
) -> dict[str, Any]:
    """Applies a step's START, SUCCEED, FAIL or RETRY; a RETRY schedules the next attempt."""
    now = w.now
    if update.action is OperationAction.START:
        op = dict(current) if current else base_operation(update, now, "STARTED")
        op["Status"] = "STARTED"
        details = dict(op.get("StepDetails") or {"Attempt": 0})
        details.pop("NextAttemptTimestamp", None)
        op["StepDetails"] = details
        w.put_op(op, new=current is None)
        w.event(EventType.STEP_STARTED, {}, op)
        return op
    assert current is not None
    op = dict(current)
    details = dict(op.get("StepDetails") or {})
    attempt = int(details.get("Attempt", 0)) + 1
    details["Attempt"] = attempt
    details.pop("NextAttemptTimestamp", None)
    retry: dict[str, Any] = {"CurrentAttempt": attempt}
    if update.action is OperationAction.SUCCEED:
        op["Status"] = "SUCCEEDED"
        op["EndTimestamp"] = now
        _set(details, "Result", update.payload)
        details.pop("Error", None)
        op["StepDetails"] = details
        w.put_op(op, new=False)
        w.event(
            EventType.STEP_SUCCEEDED,
            {"Result": payload_details(update.payload), "RetryDetails": retry},
            op,
        )
    elif update.action is OperationAction.FAIL:
        op["Status"] = "FAILED"
        op["EndTimestamp"] = now
        _set(details, "Error", error_dict(update))
        op["StepDetails"] = details
        w.put_op(op, new=False)
        w.event(
            EventType.STEP_FAILED,
            {"Error": error_details(error_dict(update)), "RetryDetails": retry},
            op,
        )
    else:
        assert update.step_options is not None
        delay = max(0, update.step_options.next_attempt_delay_seconds)
        due = now + delay * 1000
        op["Status"] = "PENDING"
        details["NextAttemptTimestamp"] = due
        _set(details, "Result", update.payload)
        _set(details, "Error", error_dict(update))
        op["StepDetails"] = details
        w.put_op(op, new=False)
        retry["NextAttemptDelaySeconds"] = delay
        if update.payload is not None:
            w.event(
                EventType.STEP_SUCCEEDED,
                {"Result": payload_details(update.payload), "RetryDetails": retry},
                op,
            )
        else:
            w.event(
                EventType.STEP_FAILED,
                {"Error": error_details(error_dict(update)), "RetryDetails": retry},
                op,
            )
        w.tx.schedule_timer(w.ex.arn, op["Id"], TimerKind.RETRY, due)
    return op


def _set(details: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        details.pop(key, None)
    else:
        details[key] = value
