"""Invocation leases: claiming, renewing and releasing them; counting attempts whose lease ran out.

An invocation is dispatched under a lease recorded before the handler starts: a fresh checkpoint
token, a lease token and an expiry. Completing requires the lease token (fencing). A lease that
runs out (its holder died) is a failed attempt: ``InvocationCompleted`` with
``Runtime.ExitError``, counted against the same budget as handler errors, so an execution whose
invocations keep dying fails instead of being re-dispatched forever.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from durable_lambda_server.engine.completions import finish_execution
from durable_lambda_server.engine.effects import after_commit
from durable_lambda_server.engine.execution_writer import ExecutionWriter, error_details
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.engine.messages import InvocationTicket
from durable_lambda_server.engine.resources import EngineResources, require_execution
from durable_lambda_server.store.base import ExecutionRow, TimerKind, Transaction
from durable_lambda_server.wire.vocabulary import EventType

__all__ = [
    "LEASE_EXPIRED",
    "MAX_FAILED_INVOCATIONS",
    "RUNTIME_DIED",
    "claim",
    "claim_invocation",
    "record_failed_invocation",
    "record_runtime_death",
    "release_dead_leases",
    "release_leases",
    "renew_lease",
]


MAX_FAILED_INVOCATIONS = 6


_IMMEDIATE_RETRIES = 3


_STATE_PAGE = 1000


LEASE_EXPIRED = {
    "ErrorType": "Runtime.ExitError",
    "ErrorMessage": "invocation lease expired: the runtime stopped responding",
}


RUNTIME_DIED = {
    "ErrorType": "Runtime.ExitError",
    "ErrorMessage": "invocation lost: the runtime running it died",
}


def claim(
    tx: Transaction,
    ex: ExecutionRow,
    owner: str,
    lease_seconds: float,
    *,
    now: int,
    ids: IdSource,
) -> tuple[InvocationTicket | None, ExecutionWriter]:
    """Dispatches ``ex`` under a new lease.

    A lease that ran out first is recorded as a failed attempt; when that attempt's retry is
    delayed (or the budget is spent) nothing is dispatched and the ticket is ``None``.
    """
    w = ExecutionWriter(tx, ex, now, ids)
    if ex.lease_token is not None:
        # The previous attempt's lease ran out without a completion: its runtime died.
        w.event(
            EventType.INVOCATION_COMPLETED,
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


# -- invocations -------------------------------------------------------------------------
def claim_invocation(
    r: EngineResources, owner: str, lease_seconds: float, arn: str | None = None
) -> InvocationTicket | None:
    """Leases the oldest runnable execution whose function is below its reserved concurrency.

    An expired lease found on the way is recorded as a failed attempt; if that attempt's
    retry waits (or its execution failed), the next runnable execution is looked at.
    """
    while True:
        with r.write() as tx:
            now = r.clock.now_ms()
            at_limit = tx.functions_at_concurrency_limit(now)
            ex = tx.claimable_execution(now, arn, exclude_functions=at_limit)
            if ex is None:
                return None
            ticket, w = claim(tx, ex, owner, lease_seconds, now=now, ids=r.ids)
        if ticket is not None:
            return ticket
        after_commit(r, w, ex.arn)


def record_failed_invocation(w: ExecutionWriter, error: dict[str, Any]) -> bool:
    """Counts one failed attempt (handler error, crash, lost lease).

    True when the next attempt may be dispatched at once, False when it waits for a retry timer
    or the execution failed.
    """
    failed = w.ex.failed_invocations + 1
    w.changes["failed_invocations"] = failed
    if failed >= MAX_FAILED_INVOCATIONS:
        finish_execution(w, "FAILED", error=error)
        return False
    if failed <= _IMMEDIATE_RETRIES:
        w.changes["needs_invoke"] = 1
        return True
    delay_ms = min(2 ** (failed - _IMMEDIATE_RETRIES), 60) * 1000
    w.tx.schedule_timer(w.ex.arn, "", TimerKind.INVOCATION_RETRY, w.now + delay_ms)
    return False


def record_runtime_death(w: ExecutionWriter) -> None:
    """Ends an attempt whose runtime provably died while handlers ran only in its workers.

    The service failed, not the function, so the attempt is recorded but not charged to the
    invocation retry budget, and the next one is dispatched at once.
    """
    w.event(
        EventType.INVOCATION_COMPLETED,
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


def renew_lease(r: EngineResources, ticket: InvocationTicket, lease_seconds: float) -> bool:
    """Extends a running invocation's lease (its heartbeat); False if it was fenced off."""
    with r.write() as tx:
        ex = tx.get_execution(ticket.arn)
        if ex is None or ex.lease_token != ticket.lease_token or ex.status != "RUNNING":
            return False
        tx.update_execution(
            ticket.arn, {"lease_expires_ms": r.clock.now_ms() + int(lease_seconds * 1000)}
        )
        return True


def release_leases(r: EngineResources, arn: str) -> None:
    """Expires the lease on ``arn`` now (an operator resuming after a crash)."""
    with r.write() as tx:
        ex = require_execution(tx, arn)
        if ex.lease_token is not None:
            tx.update_execution(arn, {"lease_expires_ms": r.clock.now_ms()})


def release_dead_leases(
    r: EngineResources,
    owner_is_dead: Callable[[str], bool],
    *,
    forgive: Callable[[str], bool] | None = None,
) -> list[str]:
    """Ends now every live lease whose owner ``owner_is_dead`` proves gone.

    For a runtime restarting after a crash; returns the ARNs, which the next claims
    re-dispatch. An owner ``forgive`` accepts (its handlers could not have killed it) has its
    lost attempts recorded without charging the retry budget; the others expire as if timed
    out.
    """
    released: list[str] = []
    with r.write() as tx:
        now = r.clock.now_ms()
        for ex in tx.list_executions(statuses=["RUNNING"]):
            if ex.lease_token is None or (ex.lease_expires_ms or 0) <= now:
                continue
            if not ex.lease_owner or not owner_is_dead(ex.lease_owner):
                continue
            if forgive is not None and forgive(ex.lease_owner):
                w = ExecutionWriter(tx, ex, now, r.ids)
                record_runtime_death(w)
                w.flush()
            else:
                tx.update_execution(ex.arn, {"lease_expires_ms": now})
            released.append(ex.arn)
    if released:
        r.notify()
    return released
