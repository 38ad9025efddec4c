"""The checkpoint write path: fence, check the batch, validate and apply each update.

Runs inside the caller's transaction; nothing is written unless every update is valid (a
rejected batch raises before ``flush`` and the transaction rolls back). See style.md §7.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from durable_lambda.lambda_service import OperationAction, OperationType, OperationUpdate
from durable_lambda_server.engine.checkpoint.rules import RULES
from durable_lambda_server.engine.execution_writer import ExecutionWriter
from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = ["apply_updates"]

_COMPLETIONS_WITH_START = {OperationType.STEP, OperationType.CONTEXT}


def _check_batch(updates: Sequence[OperationUpdate]) -> None:
    executions = [i for i, u in enumerate(updates) if u.operation_type is OperationType.EXECUTION]
    if len(executions) > 1 or (executions and executions[0] != len(updates) - 1):
        raise InvalidParameterValueException(
            "at most one EXECUTION update is allowed per checkpoint and it must be the last"
        )
    seen: dict[str, OperationUpdate] = {}
    for u in updates:
        prior = seen.get(u.operation_id)
        if prior is not None:
            # Only a START followed by its completion may share an id in one batch (STEP, CONTEXT).
            ok = (
                u.operation_type in _COMPLETIONS_WITH_START
                and prior.action is OperationAction.START
                and u.action is not OperationAction.START
            )
            if not ok:
                raise InvalidParameterValueException(
                    f"duplicate update for operation {u.operation_id} in one checkpoint"
                )
        seen[u.operation_id] = u


def _check_identity(update: OperationUpdate, current: dict[str, Any]) -> None:
    if (
        update.operation_type == current.get("Type")
        and (update.sub_type or "") == (current.get("SubType") or "")
        and (update.name or "") == (current.get("Name") or "")
        and (update.parent_id or "") == (current.get("ParentId") or "")
    ):
        return  # the common case, decided without building the pairs below
    pairs = (
        ("Type", str(update.operation_type), current.get("Type")),
        ("SubType", update.sub_type or "", current.get("SubType") or ""),
        ("Name", update.name or "", current.get("Name") or ""),
        ("ParentId", update.parent_id or "", current.get("ParentId") or ""),
    )
    for key, new, old in pairs:
        if new != old:
            raise InvalidParameterValueException(
                f"Inconsistent operation {update.operation_id}: {key} was {old!r}, "
                f"update has {new!r}"
            )


def apply_updates(w: ExecutionWriter, updates: Sequence[OperationUpdate]) -> None:
    """Checks the batch, then validates and processes each update in order through ``RULES``.

    Raises ``InvalidParameterValueException`` on the first invalid update, before ``w`` is
    flushed, so the caller's transaction rolls back with nothing applied.
    """
    _check_batch(updates)
    wanted = [u.operation_id for u in updates] + [u.parent_id for u in updates if u.parent_id]
    current = w.tx.get_operations(w.ex.arn, wanted)
    execution = OperationType.EXECUTION
    for update in updates:
        op_type = update.operation_type
        rules = RULES[op_type]
        if update.action not in rules.actions:
            raise InvalidParameterValueException(
                f"Invalid {update.action} for {op_type} operation {update.operation_id}"
            )
        if op_type is execution:
            rules.validate(update, None)
            rules.process(w, update, None)
            continue
        op_id = update.operation_id
        existing = current.get(op_id)
        if existing is not None:
            _check_identity(update, existing)
        parent_id = update.parent_id
        if parent_id:
            parent = current.get(parent_id)
            if parent is None or parent.get("Type") != "CONTEXT":
                raise InvalidParameterValueException(
                    f"operation {op_id} names unknown parent context {parent_id}"
                )
        rules.validate(update, existing)
        new = rules.process(w, update, existing)
        if new is not None:
            current[op_id] = new
