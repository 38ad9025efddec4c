"""Invocation outcomes: what an invocation's output or error does to its execution.

Every completion writes ``InvocationCompleted``; a handler error or crash schedules the next
attempt (bounded, ``leases.record_failed_invocation``), a SUCCEEDED/FAILED output closes the
execution, and a PENDING output leaves it suspended only if something can wake it (decision 0015).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from durable_lambda_server.engine import executions, leases
from durable_lambda_server.engine.chained_invokes import apply_finished_children
from durable_lambda_server.engine.completions import finish_execution
from durable_lambda_server.engine.effects import after_commit
from durable_lambda_server.engine.execution_writer import ExecutionWriter, error_details
from durable_lambda_server.engine.leases import record_failed_invocation
from durable_lambda_server.engine.messages import InvocationTicket
from durable_lambda_server.engine.resources import EngineResources
from durable_lambda_server.store.base import Transaction
from durable_lambda_server.wire.parse import scrub
from durable_lambda_server.wire.vocabulary import TERMINAL_STATUSES, EventType

__all__ = ["MAX_RESPONSE_BYTES", "complete", "complete_and_claim", "complete_invocation"]


_VALID_STATUS = frozenset({"SUCCEEDED", "FAILED", "PENDING"})


# Lambda's synchronous response limit (lambda-api.md §4 limits): the RIE's 6 MiB + 100 bytes
# cut-off.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100


# AWS's reference backend answers a PENDING output with nothing pending this way (decision 0015).
PENDING_WITH_NOTHING_PENDING = {
    "ErrorType": "InvalidParameterValueException",
    "ErrorMessage": "Cannot return PENDING status with no pending operations.",
}


def complete_invocation(
    r: EngineResources,
    ticket: InvocationTicket,
    *,
    output: Any = None,
    error: dict[str, Any] | None = None,
    started_ms: int | None = None,
    ended_ms: int | None = None,
    on_terminal: Callable[[dict[str, Any]], None] | None = None,
) -> bool:
    """Records an invocation's output or error; False if a newer lease fenced it off.

    ``on_terminal``: called after the commit with what ``get_execution`` would return now,
    when this completion finished the execution (a synchronous Invoke skips re-reading it).
    """
    summary = None
    with r.write() as tx:
        w = _complete_in(r, tx, ticket, output, error, started_ms=started_ms, ended_ms=ended_ms)
        if w is None:
            return False  # fenced: a newer attempt owns the execution
        if on_terminal is not None:
            after = tx.get_execution(ticket.arn)
            if after is not None and after.status in TERMINAL_STATUSES:
                summary = executions.execution_summary(after, full=True)
    if summary is not None and on_terminal is not None:
        on_terminal(summary)
    after_commit(r, w, ticket.arn)
    return True


def complete_and_claim(
    r: EngineResources,
    ticket: InvocationTicket,
    owner: str,
    lease_seconds: float,
    *,
    output: Any = None,
    error: dict[str, Any] | None = None,
    started_ms: int | None = None,
    ended_ms: int | None = None,
) -> InvocationTicket | None:
    """``complete_invocation`` and ``claim_invocation`` in one transaction.

    The dispatcher thread that ran an invocation records it and takes the next runnable one in
    one commit (a fenced completion records nothing but still claims). Returns the new ticket,
    if any.
    """
    claimed: tuple[InvocationTicket | None, ExecutionWriter] | None = None
    with r.write() as tx:
        w = _complete_in(r, tx, ticket, output, error, started_ms=started_ms, ended_ms=ended_ms)
        now = r.clock.now_ms()
        ex = tx.claimable_execution(
            now, None, exclude_functions=tx.functions_at_concurrency_limit(now)
        )
        if ex is not None:
            claimed = leases.claim(tx, ex, owner, lease_seconds, now=now, ids=r.ids)
    if w is not None:
        after_commit(r, w, ticket.arn, notify=False)
    if claimed is not None and claimed[0] is None:  # an expired lease recorded, nothing to run
        after_commit(r, claimed[1], claimed[1].ex.arn, notify=False)
    r.notify()
    return claimed[0] if claimed is not None else None


def _complete_in(
    r: EngineResources,
    tx: Transaction,
    ticket: InvocationTicket,
    output: Any,
    error: dict[str, Any] | None,
    *,
    started_ms: int | None,
    ended_ms: int | None,
) -> ExecutionWriter | None:
    """Records an invocation's outcome in ``tx``; None when fenced off (a newer lease)."""
    ex = tx.get_execution(ticket.arn)
    if ex is None or ex.lease_token != ticket.lease_token:
        return None
    w = ExecutionWriter(tx, ex, r.clock.now_ms(), r.ids)
    complete(w, ticket, scrub(output), scrub(error), started_ms=started_ms, ended_ms=ended_ms)
    w.flush()
    return w


def _too_large(size: int) -> dict[str, Any]:
    return {
        "ErrorType": "Function.ResponseSizeTooLarge",
        "ErrorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed "
        f"payload size ({MAX_RESPONSE_BYTES} bytes).",
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
    *,
    started_ms: int | None,
    ended_ms: int | None,
) -> None:
    """Applies an invocation's outcome to its execution in ``w``: the caller has fenced it.

    Writes ``InvocationCompleted``; then an error counts a failed attempt, SUCCEEDED or FAILED
    ends the execution, and PENDING leaves it suspended or re-invokes it (decision 0015).
    """
    ex = w.ex
    if ex.kind == "plain":
        _complete_plain(w, ticket, output, error, started_ms=started_ms, ended_ms=ended_ms)
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
    w.event(EventType.INVOCATION_COMPLETED, details)
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
    _apply_status(w, output, pending, reinvoke=reinvoke)


def _apply_status(
    w: ExecutionWriter, output: Any, pending: dict[str, Any] | None, *, reinvoke: bool
) -> None:
    """Ends the execution on SUCCEEDED or FAILED; on PENDING marks whether to re-invoke it.

    The outcome held on the execution (``pending``) fills in a missing result or error.
    """
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
    *,
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
    w.event(EventType.INVOCATION_COMPLETED, details)
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
