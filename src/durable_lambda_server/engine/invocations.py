"""Invocation leases and outcomes, execution rows, and chained-invoke plumbing.

An invocation is dispatched under a lease recorded before the handler starts: a fresh checkpoint
token, a lease token and an expiry. Completing requires the lease token (fencing). Every
completion writes ``InvocationCompleted``; a handler error or crash schedules the next attempt
(bounded), a SUCCEEDED/FAILED output closes the execution, PENDING waits for the next completion.
A lease that runs out (its holder died) is a failed attempt too: ``InvocationCompleted`` with
``Runtime.ExitError``, counted against the same budget, so an execution whose invocations keep
dying fails instead of being re-dispatched forever.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from durable_lambda_server.engine.completions import complete_operation, finish_execution
from durable_lambda_server.engine.events import ExecutionWriter, error_details
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.engine.records import FunctionRecord, InvocationTicket, StartExecution
from durable_lambda_server.store.base import ExecutionRow, Transaction
from durable_lambda_server.wire.errors import ResourceNotFoundException

if TYPE_CHECKING:
    from durable_lambda_server.engine.service import Engine

__all__ = [
    "MAX_FAILED_INVOCATIONS",
    "claim",
    "complete",
    "execution_summary",
    "new_execution_row",
    "record_failed_invocation",
    "record_runtime_death",
    "strip_payloads",
]

MAX_FAILED_INVOCATIONS = 6
_IMMEDIATE_RETRIES = 3
_STATE_PAGE = 1000
_VALID_STATUS = frozenset({"SUCCEEDED", "FAILED", "PENDING"})
# Lambda's synchronous response limit (lambda-api.md §4 limits): the RIE's 6 MiB + 100 bytes cut-off.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100
# AWS's reference backend answers a PENDING output with nothing pending this way (decision 0015).
PENDING_WITH_NOTHING_PENDING = {
    "ErrorType": "InvalidParameterValueException",
    "ErrorMessage": "Cannot return PENDING status with no pending operations.",
}
LEASE_EXPIRED = {
    "ErrorType": "Runtime.ExitError",
    "ErrorMessage": "invocation lease expired: the runtime stopped responding",
}


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


def claim(
    tx: Transaction, ex: ExecutionRow, owner: str, lease_seconds: float, now: int, ids: IdSource
) -> tuple[InvocationTicket | None, ExecutionWriter]:
    """Dispatches ``ex`` under a new lease. A lease that ran out first is recorded as a failed
    attempt; when that attempt's retry is delayed (or the budget is spent) nothing is
    dispatched and the ticket is ``None``."""
    w = ExecutionWriter(tx, ex, now, ids)
    if ex.lease_token is not None:
        # The previous attempt's lease ran out without a completion: its runtime died.
        w.event(
            "InvocationCompleted",
            {
                "StartTimestamp": ex.invocation_start_ms,
                "EndTimestamp": now,
                "RequestId": ex.request_id,
                "Error": error_details(LEASE_EXPIRED),
            },
        )
        w.changes.update(
            {
                "lease_token": None,
                "lease_owner": None,
                "lease_expires_ms": None,
                "checkpoint_token": None,
                "needs_invoke": 0,
            }
        )
        if not record_failed_invocation(w, dict(LEASE_EXPIRED)):
            w.flush()
            return None, w
    token = ids.token()
    lease = ids.token()
    request_id = ids.request_id()
    ops = tx.all_operations(ex.arn, limit=_STATE_PAGE + 1)
    state: dict[str, Any] = {"Operations": ops[:_STATE_PAGE], "NextMarker": ""}
    if len(ops) > _STATE_PAGE:
        state["NextMarker"] = str(_STATE_PAGE)
    w.changes.update(
        {
            "checkpoint_token": token,
            "lease_token": lease,
            "lease_owner": owner,
            "lease_expires_ms": now + int(lease_seconds * 1000),
            "attempt": ex.attempt + 1,
            "needs_invoke": 0,
            "seen_seq": ex.change_seq,
            "invocation_start_ms": now,
            "request_id": request_id,
            "last_request_token": None,
            "last_client_token": None,
            "last_response": None,
            # An outcome checkpointed by an attempt that never completed cleanly (it crashed or
            # returned an error) is not the execution's outcome: this attempt replays and decides.
            "pending_outcome": None,
        }
    )
    w.flush()
    durable = ex.kind == "durable"
    event: Any = {
        "DurableExecutionArn": ex.arn,
        "CheckpointToken": token,
        "InitialExecutionState": state,
    }
    if not durable:
        # A plain function receives the caller's payload itself, as any Lambda function does.
        event = (
            json.loads(ex.input_payload) if ex.input_payload and ex.input_payload.strip() else None
        )
    ticket = InvocationTicket(
        arn=ex.arn,
        function_name=ex.function_name,
        request_id=request_id,
        lease_token=lease,
        attempt=ex.attempt + 1,
        event=event,
        version=ex.version,
        durable=durable,
        claim_seq=ex.change_seq,
    )
    return ticket, w


def record_failed_invocation(w: ExecutionWriter, error: dict[str, Any]) -> bool:
    """Counts one failed attempt (handler error, crash, lost lease); True when the next attempt
    may be dispatched at once, False when it waits for a retry timer or the execution failed."""
    failed = w.ex.failed_invocations + 1
    w.changes["failed_invocations"] = failed
    if failed >= MAX_FAILED_INVOCATIONS:
        finish_execution(w, "FAILED", error=error)
        return False
    if failed <= _IMMEDIATE_RETRIES:
        w.changes["needs_invoke"] = 1
        return True
    delay_ms = min(2 ** (failed - _IMMEDIATE_RETRIES), 60) * 1000
    w.tx.schedule_timer(w.ex.arn, "", "invocation_retry", w.now + delay_ms)
    return False


RUNTIME_DIED = {
    "ErrorType": "Runtime.ExitError",
    "ErrorMessage": "invocation lost: the runtime running it died",
}


def record_runtime_death(w: ExecutionWriter) -> None:
    """Ends an attempt whose runtime provably died while handlers ran only in its worker
    processes: the service failed, not the function, so the attempt is recorded but not
    charged to the invocation retry budget, and the next one is dispatched at once."""
    w.event(
        "InvocationCompleted",
        {
            "StartTimestamp": w.ex.invocation_start_ms,
            "EndTimestamp": w.now,
            "RequestId": w.ex.request_id,
            "Error": error_details(RUNTIME_DIED),
        },
    )
    w.changes.update(
        {
            "lease_token": None,
            "lease_owner": None,
            "lease_expires_ms": None,
            "checkpoint_token": None,
            "needs_invoke": 1,
        }
    )


def _too_large(size: int) -> dict[str, Any]:
    return {
        "ErrorType": "Function.ResponseSizeTooLarge",
        "ErrorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
    }


def _output_error(output: Any) -> dict[str, Any] | None:
    if not isinstance(output, dict) or output.get("Status") not in _VALID_STATUS:
        return {
            "ErrorType": "Runtime.InvalidResponse",
            "ErrorMessage": "durable handler returned an invalid response",
        }
    result = output.get("Result")
    if isinstance(result, str) and len(result) > MAX_RESPONSE_BYTES // 4:
        size = len(json.dumps(output).encode())
        if size > MAX_RESPONSE_BYTES:
            return _too_large(size)
    return None


def complete(
    w: ExecutionWriter,
    ticket: InvocationTicket,
    output: Any,
    error: dict[str, Any] | None,
    started_ms: int | None,
    ended_ms: int | None,
) -> None:
    ex = w.ex
    if ex.kind == "plain":
        _complete_plain(w, ticket, output, error, started_ms, ended_ms)
        return
    if error is None:
        error = _output_error(output)
    reinvoke = False
    if error is None and output["Status"] == "PENDING" and ex.status == "RUNNING":
        reinvoke, error = _pending_outcome(w, ticket)
    details: dict[str, Any] = {
        "StartTimestamp": started_ms if started_ms is not None else ex.invocation_start_ms,
        "EndTimestamp": ended_ms if ended_ms is not None else w.now,
        "RequestId": ticket.request_id,
    }
    if error is not None:
        details["Error"] = error_details(error)
    w.event("InvocationCompleted", details)
    w.changes.update(
        {
            "lease_token": None,
            "lease_owner": None,
            "lease_expires_ms": None,
            "checkpoint_token": None,
        }
    )
    if ex.status != "RUNNING":
        return  # stopped or timed out while the invocation ran
    pending = json.loads(ex.pending_outcome) if ex.pending_outcome else None
    if error is not None:
        record_failed_invocation(w, error)
        return
    w.changes["failed_invocations"] = 0
    status = output["Status"]
    if status == "SUCCEEDED":
        result = output.get("Result")
        if (result is None or result == "") and pending and pending["Status"] == "SUCCEEDED":
            result = pending.get("Result")
        finish_execution(w, "SUCCEEDED", result=result)
    elif status == "FAILED":
        err = output.get("Error")
        if not err and pending and pending["Status"] == "FAILED":
            err = pending.get("Error")
        finish_execution(
            w, "FAILED", error=err or {"ErrorType": "Unknown", "ErrorMessage": "execution failed"}
        )
    else:
        applied = apply_finished_children(w)
        w.changes["needs_invoke"] = 1 if applied or reinvoke else 0


def _pending_outcome(
    w: ExecutionWriter, ticket: InvocationTicket
) -> tuple[bool, dict[str, Any] | None]:
    """Decides what follows a PENDING output (decision 0015): ``(re-invoke at once, error)``.

    The execution must never be left suspended with nothing that can wake it:
    - a completion the handler was never handed (``service_seq > seen_seq``) re-invokes;
    - otherwise, with no operation pending (AWS's rule: a STARTED wait, callback or chained
      invoke, or a PENDING step retry), the handler suspended on something that already ended.
      If a service-side completion raced this invocation (numbered after its claim), that is the
      race of a handler that suspended before it saw the answer arrive: re-invoke, uncharged.
      Without such a race the output is invalid: a failed attempt, charged to the bounded retry
      budget, so a handler that keeps returning PENDING wrongly fails instead of hanging.
    """
    ex = w.ex
    if ex.service_seq > ex.seen_seq:
        return True, None
    if w.tx.has_pending_operations(ex.arn):
        return False, None
    if ex.service_seq > ticket.claim_seq:
        return True, None
    return False, dict(PENDING_WITH_NOTHING_PENDING)


def _complete_plain(
    w: ExecutionWriter,
    ticket: InvocationTicket,
    output: Any,
    error: dict[str, Any] | None,
    started_ms: int | None,
    ended_ms: int | None,
) -> None:
    """A plain function's single invocation: its return value (or error) is the outcome."""
    details: dict[str, Any] = {
        "StartTimestamp": started_ms if started_ms is not None else w.ex.invocation_start_ms,
        "EndTimestamp": ended_ms if ended_ms is not None else w.now,
        "RequestId": ticket.request_id,
    }
    if error is not None:
        details["Error"] = error_details(error)
    w.event("InvocationCompleted", details)
    w.changes.update(
        {
            "lease_token": None,
            "lease_owner": None,
            "lease_expires_ms": None,
            "checkpoint_token": None,
        }
    )
    if w.ex.status != "RUNNING":
        return
    result = json.dumps(output) if error is None else None
    if (
        result is not None
        and len(result) > MAX_RESPONSE_BYTES // 4
        and len(result.encode()) > MAX_RESPONSE_BYTES
    ):
        error = _too_large(len(result.encode()))
    if error is not None:
        finish_execution(w, "FAILED", error=error)
    else:
        finish_execution(w, "SUCCEEDED", result=result)


# ----------------------------------------------------------------------------------------------
# chained invoke: a durable target runs as its own execution, linked to the caller's operation


def start_chained_invoke(engine: Engine, arn: str, info: dict[str, Any]) -> None:
    from durable_lambda_server.engine.checkpoint.operations.invoke import resolve_target

    target = resolve_target(str(info["function_name"]))
    try:
        if target is None:
            raise ResourceNotFoundException(f"Function not found: {info['function_name']}")
        engine.start_execution(
            StartExecution(
                function_name=target[0],
                input_payload=info.get("payload"),
                qualifier=info.get("version") or target[1],
                execution_name=info.get("execution_name"),
                execution_id=info.get("execution_id"),
            ),
            parent=(arn, info["op_id"]),
        )
    except (
        Exception
    ) as err:  # unknown function, bad payload: the operation fails, the caller continues
        error = {
            "ErrorType": type(err).__name__,
            "ErrorMessage": getattr(err, "message", None) or str(err),
        }
        with engine.store.transaction() as tx:
            ex = tx.get_execution(arn)
            op = tx.get_operations(arn, [info["op_id"]]).get(info["op_id"]) if ex else None
            if ex is None or op is None or op["Status"] != "STARTED":
                return
            w = ExecutionWriter(tx, ex, engine.clock.now_ms(), engine.ids)
            complete_operation(
                w,
                op,
                "FAILED",
                "ChainedInvokeFailed",
                details_key="ChainedInvokeDetails",
                error=error,
            )
            w.flush()


_CHILD_EVENT = {
    "SUCCEEDED": "ChainedInvokeSucceeded",
    "FAILED": "ChainedInvokeFailed",
    "TIMED_OUT": "ChainedInvokeTimedOut",
    "STOPPED": "ChainedInvokeStopped",
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


def finish_chained_invoke(engine: Engine, child: ExecutionRow, info: dict[str, Any]) -> None:
    del info
    parent_arn, op_id = child.parent_arn, child.parent_op_id
    if not parent_arn or not op_id:
        return
    with engine.store.transaction() as tx:
        ex = tx.get_execution(parent_arn)
        op = tx.get_operations(parent_arn, [op_id]).get(op_id) if ex else None
        if ex is None or op is None or ex.status != "RUNNING" or op["Status"] != "STARTED":
            return
        now = engine.clock.now_ms()
        if ex.lease_token is not None and (ex.lease_expires_ms or 0) > now:
            return  # recorded when the caller's invocation completes (apply_finished_children)
        finished = tx.get_execution(child.arn)
        if finished is None:
            return
        w = ExecutionWriter(tx, ex, now, engine.ids)
        _record_child_outcome(w, op, finished)
        w.flush()
