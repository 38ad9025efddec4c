"""Checkpoints: the handler's writes, one fenced transaction each (style.md §7).

The checkpoint token must be the execution's current one (rotated on every accepted checkpoint);
a repeated ``(ClientToken, CheckpointToken)`` pair answers the stored response without applying
anything; the updates go through the pipeline (one validator and one processor per operation
type); the answer hands the handler what changed since it last looked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from durable_lambda.lambda_service import OperationUpdate
from durable_lambda_server.engine.checkpoint.pipeline import apply_updates
from durable_lambda_server.engine.effects import after_commit
from durable_lambda_server.engine.execution_writer import ExecutionWriter
from durable_lambda_server.engine.resources import EngineResources
from durable_lambda_server.wire.errors import (
    INVALID_CHECKPOINT_TOKEN,
    InvalidParameterValueException,
)
from durable_lambda_server.wire.parse import check_checkpoint, parse_checkpoint_body

__all__ = ["checkpoint", "checkpoint_updates"]


# -- checkpoint --------------------------------------------------------------------------
def checkpoint(r: EngineResources, arn: str, body: dict[str, Any]) -> dict[str, Any]:
    """CheckpointDurableExecution: applies the body's updates, answers the new token and state."""
    token, updates, client_token = parse_checkpoint_body(body)
    return _checkpoint(r, arn, token, updates, client_token)


def checkpoint_updates(
    r: EngineResources,
    arn: str,
    token: str,
    updates: Sequence[OperationUpdate],
    client_token: str | None = None,
) -> dict[str, Any]:
    """``checkpoint`` for in-process callers holding ``OperationUpdate`` objects.

    The thread invoker's SDK: checked by the same rules, without building and parsing the wire
    body.
    """
    token, checked, client_token = check_checkpoint(token, updates, client_token)
    return _checkpoint(r, arn, token, checked, client_token)


def _checkpoint(
    r: EngineResources,
    arn: str,
    token: str,
    updates: list[OperationUpdate],
    client_token: str | None,
) -> dict[str, Any]:
    with r.write() as tx:
        # Without its input, result and error: a checkpoint never reads them (migration 0007).
        ex = tx.get_execution(arn, payloads=False) if isinstance(arn, str) else None
        if ex is None:
            raise InvalidParameterValueException(
                f"{INVALID_CHECKPOINT_TOKEN}: unknown durable execution"
            )
        if (
            client_token
            and ex.last_client_token == client_token
            and ex.last_request_token == token
            and ex.last_response
        ):
            return json.loads(ex.last_response)  # type: ignore[no-any-return]
        if (
            ex.status != "RUNNING"
            or ex.checkpoint_token is None
            or ex.checkpoint_token != token
            or ex.pending_outcome
        ):
            raise InvalidParameterValueException(
                f"{INVALID_CHECKPOINT_TOKEN}: the token is stale or does not belong to a running "
                "invocation"
            )
        w = ExecutionWriter(tx, ex, r.clock.now_ms(), r.ids, seen=True)
        apply_updates(w, updates)
        if w.op_seq > r.max_operations:  # raised before flush: the transaction rolls back
            raise InvalidParameterValueException(
                f"Checkpoint rejected: the durable execution would hold {w.op_seq} operations, "
                f"more than the limit of {r.max_operations} operations per execution"
            )
        completed = "pending_outcome" in w.changes
        new_token = None if completed else r.ids.token()
        # What the handler has not seen: service-side changes since its last look (read from
        # the store, only when there are any) plus what this checkpoint just wrote (already
        # in hand, so not re-read and re-decoded).
        written = w.written_ops
        ops = [
            op
            for op in (
                tx.operations_changed_since(arn, ex.seen_seq, upto=ex.change_seq)
                if ex.change_seq > ex.seen_seq
                else []
            )
            if op["Id"] not in written
        ]
        ops += list(written.values())
        response: dict[str, Any] = {"NewExecutionState": {"Operations": ops}}
        if new_token is not None:
            response["CheckpointToken"] = new_token
        w.changes.update(
            {
                "checkpoint_token": new_token,
                "seen_seq": w.change_seq,
                "last_request_token": token,
                "last_client_token": client_token,
                "last_response": json.dumps(response) if client_token else None,
            }
        )
        w.flush()
    # A checkpoint makes no execution runnable by itself (its own is running); only its
    # effects may (a chained invoke's start, a child's outcome). Not waking the dispatcher on
    # every step keeps it off the checkpoint path; timers a checkpoint schedules are at least
    # 1 s ahead and the dispatcher re-reads the next timer at least once a second while
    # invocations run.
    after_commit(r, w, arn, notify=bool(w.effects))
    return response
