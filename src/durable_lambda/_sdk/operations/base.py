"""What every operation executor shares: identity, replay validation, update building.

Owns ``OperationIdentifier`` (id, parent, name of one call) and the non-determinism check of
sdk-spec.md §12.2: before an executor consumes an existing checkpoint, the checkpoint's Type,
SubType, Name and ParentId must equal the current call's (None and "" are the same). New
operations (no checkpoint) are never validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from durable_lambda.exceptions import NonDeterministicExecutionError
from durable_lambda.lambda_service import (
    ErrorObject,
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
)

__all__ = ["OperationIdentifier", "build_update", "validate_checkpoint"]


@dataclass(frozen=True)
class OperationIdentifier:
    """Identity of one operation call: its id, enclosing CONTEXT id and optional name."""

    operation_id: str
    parent_id: str | None = None
    name: str | None = None


def validate_checkpoint(
    checkpoint: Operation | None,
    identifier: OperationIdentifier,
    operation_type: OperationType,
    sub_type: str | None,
) -> None:
    """Raises ``NonDeterministicExecutionError`` when ``checkpoint`` belongs to another call."""
    if checkpoint is None:
        return
    mismatches: list[str] = []
    pairs: tuple[tuple[str, Any, Any], ...] = (
        ("type", str(checkpoint.operation_type), str(operation_type)),
        ("sub_type", checkpoint.sub_type or "", sub_type or ""),
        ("name", checkpoint.name or "", identifier.name or ""),
        ("parent_id", checkpoint.parent_id or "", identifier.parent_id or ""),
    )
    for label, recorded, current in pairs:
        if recorded != current:
            mismatches.append(f"{label} checkpoint={recorded!r} current={current!r}")
    if mismatches:
        raise NonDeterministicExecutionError(
            f"Non-deterministic operation identity at id={identifier.operation_id!r}: "
            + ", ".join(mismatches),
            step_id=identifier.operation_id,
        )


def build_update(
    identifier: OperationIdentifier,
    operation_type: OperationType,
    action: OperationAction,
    sub_type: str | None,
    *,
    payload: str | None = None,
    error: ErrorObject | None = None,
    **options: Any,
) -> OperationUpdate:
    """An update that repeats the identity fields: the backend checks them on every action."""
    return OperationUpdate(
        operation_id=identifier.operation_id,
        operation_type=operation_type,
        action=action,
        parent_id=identifier.parent_id,
        name=identifier.name,
        sub_type=sub_type,
        payload=payload,
        error=error,
        **options,
    )
