"""Callbacks answered from outside: SendDurableExecutionCallbackSuccess / Failure / Heartbeat.

An answer completes the CALLBACK operation, appends its event and wakes the execution (at once
when no invocation holds a live lease, else when that invocation completes). A heartbeat moves the
heartbeat-timeout timer.
"""

from __future__ import annotations

from typing import Any

from durable_lambda_server.engine.completions import complete_operation
from durable_lambda_server.engine.effects import after_commit
from durable_lambda_server.engine.execution_writer import ExecutionWriter
from durable_lambda_server.engine.resources import EngineResources
from durable_lambda_server.store.base import ExecutionRow, TimerKind, Transaction
from durable_lambda_server.wire.errors import (
    CallbackTimeoutException,
    InvalidParameterValueException,
    RequestTooLargeException,
)
from durable_lambda_server.wire.parse import MAX_PAYLOAD_BYTES, parse_error_object
from durable_lambda_server.wire.vocabulary import EventType

__all__ = ["send_callback_failure", "send_callback_heartbeat", "send_callback_success"]


# -- callbacks ---------------------------------------------------------------------------
def _callback_op(tx: Transaction, callback_id: Any) -> tuple[ExecutionRow, dict[str, Any]]:
    if not isinstance(callback_id, str) or not callback_id:
        raise InvalidParameterValueException("CallbackId is required")
    found = tx.get_callback(callback_id)
    if found is None:
        raise InvalidParameterValueException("Invalid callback id")
    arn, op_id, _ = found
    ex = tx.get_execution(arn)
    op = tx.get_operations(arn, [op_id]).get(op_id)
    if ex is None or op is None or ex.status != "RUNNING" or op["Status"] != "STARTED":
        state = op["Status"] if op else "closed"
        raise CallbackTimeoutException(f"Callback {callback_id} is already {state}")
    return ex, op


def send_callback_success(
    r: EngineResources, callback_id: str, result: bytes | None = None
) -> None:
    """SendDurableExecutionCallbackSuccess: completes the callback with ``result`` (UTF-8)."""
    if result is not None and len(result) > MAX_PAYLOAD_BYTES:
        raise RequestTooLargeException(f"Callback result is larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        text = result.decode("utf-8") if result is not None else None
    except UnicodeDecodeError as err:
        raise InvalidParameterValueException("Callback result must be UTF-8") from err
    with r.write() as tx:
        ex, op = _callback_op(tx, callback_id)
        w = ExecutionWriter(tx, ex, r.clock.now_ms(), r.ids)
        complete_operation(
            w,
            op,
            "SUCCEEDED",
            EventType.CALLBACK_SUCCEEDED,
            details_key="CallbackDetails",
            result=text,
        )
        w.flush()
    after_commit(r, w, ex.arn)


def send_callback_failure(
    r: EngineResources, callback_id: str, error: dict[str, Any] | None = None
) -> None:
    """SendDurableExecutionCallbackFailure: fails the callback with ``error``."""
    err = parse_error_object(error) if error is not None else {}
    with r.write() as tx:
        ex, op = _callback_op(tx, callback_id)
        w = ExecutionWriter(tx, ex, r.clock.now_ms(), r.ids)
        complete_operation(
            w, op, "FAILED", EventType.CALLBACK_FAILED, details_key="CallbackDetails", error=err
        )
        w.flush()
    after_commit(r, w, ex.arn)


def send_callback_heartbeat(r: EngineResources, callback_id: str) -> None:
    """SendDurableExecutionCallbackHeartbeat: restarts the callback's heartbeat timeout, if any."""
    with r.write() as tx:
        ex, op = _callback_op(tx, callback_id)
        found = tx.get_callback(callback_id)
        heartbeat = found.heartbeat_seconds if found is not None else 0
        if heartbeat > 0:
            tx.schedule_timer(
                ex.arn, op["Id"], TimerKind.CALLBACK_HEARTBEAT, r.clock.now_ms() + heartbeat * 1000
            )
