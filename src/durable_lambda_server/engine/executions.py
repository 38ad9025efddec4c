"""Executions: start and stop, their rows and their summaries.

StartDurableExecution via Invoke, StopDurableExecution, GetDurableExecution's shape.

A start is one transaction: the row, the EXECUTION operation holding the input, ``ExecutionStarted``
(EventId 1) and the execution-timeout timer; with ``claim_for`` the first invocation is claimed in
the same commit (a synchronous Invoke runs it on its own thread).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from durable_lambda_server.engine import leases, registry
from durable_lambda_server.engine.completions import finish_execution
from durable_lambda_server.engine.effects import after_commit
from durable_lambda_server.engine.execution_writer import ExecutionWriter, payload_details
from durable_lambda_server.engine.messages import FunctionRecord, StartExecution, StartResult
from durable_lambda_server.engine.resources import NAME, EngineResources, require_execution
from durable_lambda_server.store.base import ExecutionRow, TimerKind, Transaction
from durable_lambda_server.wire.errors import (
    DurableExecutionAlreadyStartedException,
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    TooManyRequestsException,
)
from durable_lambda_server.wire.parse import parse_error_object
from durable_lambda_server.wire.vocabulary import TERMINAL_STATUSES, EventType

__all__ = [
    "execution_summary",
    "new_execution_row",
    "start_execution",
    "stop_execution",
    "strip_payloads",
]


# -- executions --------------------------------------------------------------------------
def start_execution(
    r: EngineResources,
    request: StartExecution,
    *,
    parent: tuple[str, str] | None = None,
    claim_for: tuple[str, float] | None = None,
) -> StartResult:
    """Starts a durable execution (or a plain invocation) of the requested function.

    Idempotent by name: the same name and payload return the existing execution, another
    payload is a 409. ``claim_for=(owner, lease_seconds)``: a new execution is also claimed in
    the same transaction (unless its function is at its reserved concurrency), and the ticket
    returned instead of waking the listeners (a synchronous Invoke runs it on its own thread).
    """
    function = registry.get_function(r, request.function_name, request.qualifier)
    payload = request.input_payload
    if payload is not None and payload.strip():
        _check_payload(payload)
    name = request.execution_name or r.ids.execution_id()
    if not NAME.match(name):
        raise InvalidParameterValueException(
            "DurableExecutionName must be 1-64 characters of [a-zA-Z0-9-_]"
        )
    now = r.clock.now_ms()
    execution_id = request.execution_id or r.ids.execution_id()
    arn = f"{function.function_arn}:{function.version}/durable-execution/{name}/{execution_id}"
    timeout = request.execution_timeout_seconds or function.execution_timeout_seconds
    with r.write() as tx:
        if request.synchronous:
            _check_throttle(tx, function.name, durable=function.durable)
        existing = tx.find_execution(function.name, name) if function.durable else None
        if existing is not None:
            if existing.input_payload == payload:
                return StartResult(
                    existing.arn, created=False, version=existing.version, durable=True
                )
            raise DurableExecutionAlreadyStartedException(
                f"Durable execution with name {name} already exists with a different input"
            )
        row = new_execution_row(
            arn=arn,
            function=function,
            name=name,
            execution_id=execution_id,
            payload=payload,
            now=now,
            timeout=timeout,
            qualifier=function.version,
            parent=parent,
        )
        tx.insert_execution(row)
        w = ExecutionWriter(tx, row, now, r.ids)
        op = {
            "Id": execution_id,
            "Type": "EXECUTION",
            "Status": "STARTED",
            "StartTimestamp": now,
            "Name": name,
            "ExecutionDetails": {"InputPayload": payload} if payload is not None else {},
        }
        w.put_op(op, new=True)
        w.event(
            EventType.EXECUTION_STARTED,
            {"Input": payload_details(payload), "ExecutionTimeout": timeout},
            op,
        )
        tx.schedule_timer(arn, "", TimerKind.EXECUTION_TIMEOUT, now + timeout * 1000)
        w.flush()
        ticket = None
        if claim_for is not None and function.name not in tx.functions_at_concurrency_limit(now):
            inserted = tx.get_execution(arn)
            assert inserted is not None  # inserted above, in this transaction
            ticket, _ = leases.claim(tx, inserted, claim_for[0], claim_for[1], now=now, ids=r.ids)
    if ticket is None:
        r.notify()
    return StartResult(
        arn, created=True, version=function.version, durable=function.durable, ticket=ticket
    )


def stop_execution(
    r: EngineResources, arn: str, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    """StopDurableExecution: ends a running execution as STOPPED; repeating it is a no-op."""
    err = (
        parse_error_object(error)
        if error is not None
        else {"ErrorType": "Execution.Stopped", "ErrorMessage": "Execution stopped"}
    )
    with r.write() as tx:
        ex = require_execution(tx, arn)
        if ex.status == "STOPPED":
            return {"StopTimestamp": ex.end_ms}
        if ex.status in TERMINAL_STATUSES:
            raise InvalidParameterValueException(f"Durable execution is already {ex.status}: {arn}")
        w = ExecutionWriter(tx, ex, r.clock.now_ms(), r.ids)
        finish_execution(w, "STOPPED", error=err)
        w.changes.update({"lease_token": None, "lease_owner": None, "lease_expires_ms": None})
        w.flush()
    after_commit(r, w, arn)
    return {"StopTimestamp": w.now}


def new_execution_row(
    *,
    arn: str,
    function: FunctionRecord,
    name: str,
    execution_id: str,
    payload: str | None,
    now: int,
    timeout: int,
    qualifier: str,
    parent: tuple[str, str] | None,
) -> ExecutionRow:
    """The row of a new RUNNING execution that wants its first invocation."""
    return ExecutionRow(
        arn=arn,
        function_name=function.name,
        function_arn=function.function_arn,
        version=qualifier,
        name=name,
        execution_id=execution_id,
        status="RUNNING",
        input_payload=payload,
        result=None,
        error=None,
        pending_outcome=None,
        start_ms=now,
        end_ms=None,
        timeout_seconds=timeout,
        checkpoint_token=None,
        last_request_token=None,
        last_client_token=None,
        last_response=None,
        event_seq=0,
        op_seq=0,
        change_seq=0,
        seen_seq=0,
        service_seq=0,
        needs_invoke=1,
        attempt=0,
        failed_invocations=0,
        lease_token=None,
        lease_owner=None,
        lease_expires_ms=None,
        invocation_start_ms=None,
        request_id=None,
        parent_arn=parent[0] if parent else None,
        parent_op_id=parent[1] if parent else None,
        kind="durable" if function.durable else "plain",
        retention_days=function.retention_period_days,
    )


def execution_summary(ex: ExecutionRow, *, full: bool = False) -> dict[str, Any]:
    """The execution as ListDurableExecutionsByFunction lists it; ``full``: GetDurableExecution."""
    out: dict[str, Any] = {
        "DurableExecutionArn": ex.arn,
        "DurableExecutionName": ex.name,
        "FunctionArn": f"{ex.function_arn}:{ex.version}",
        "Status": ex.status,
        "StartTimestamp": ex.start_ms,
    }
    if ex.end_ms is not None:
        out["EndTimestamp"] = ex.end_ms
    if full:
        if ex.input_payload is not None:
            out["InputPayload"] = ex.input_payload
        if ex.status == "SUCCEEDED" and ex.result is not None:
            out["Result"] = ex.result
        if ex.error is not None:
            out["Error"] = json.loads(ex.error)
        out["Version"] = ex.version
    return out


def strip_payloads(event: dict[str, Any]) -> dict[str, Any]:
    """History without execution data: payload bodies removed, everything else kept."""
    out = copy.deepcopy(event)
    details = out.get(f"{out.get('EventType')}Details")
    if isinstance(details, dict):
        for key in ("Input", "Result", "Error"):
            part = details.get(key)
            if isinstance(part, dict):
                part.pop("Payload", None)
    return out


def _check_throttle(tx: Transaction, function_name: str, *, durable: bool) -> None:
    """A synchronous Invoke beyond the function's reserved concurrency is throttled (429).

    With 0 always; for a plain function when that many invocations are already running or
    queued (durable executions queue instead: the dispatcher starts them as slots free up).
    """
    reserved = tx.get_reserved_concurrency(function_name)
    if reserved is None:
        return
    if reserved == 0 or (not durable and tx.count_running(function_name) >= reserved):
        raise TooManyRequestsException(
            "Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
        )


def _check_payload(payload: str) -> None:
    """An Invoke payload must be at most 6 MB of JSON that Python's parser accepts."""
    if len(payload.encode()) > 6 * 1024 * 1024:
        raise RequestTooLargeException(
            "Request must be smaller than 6291456 bytes for the Invoke operation"
        )
    try:
        json.loads(payload)
    except json.JSONDecodeError as err:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {err.msg}"
        ) from err
    except (RecursionError, ValueError):  # too deeply nested; an integer of too many digits
        raise InvalidRequestContentException(
            "Could not parse request body into json: Could not parse payload into json: "
            "nesting too deep or a number too long"
        ) from None
