"""Pieces shared by the per-type validators and processors."""

from __future__ import annotations

from typing import Any

from durable_lambda.lambda_service import OperationUpdate
from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = ["base_operation", "error_dict", "reject", "require_status"]


def reject(update: OperationUpdate, reason: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(
        f"Invalid {update.action} for {update.operation_type} operation "
        f"{update.operation_id}: {reason}"
    )


def require_status(
    update: OperationUpdate, current: dict[str, Any] | None, allowed: set[str]
) -> None:
    status = current["Status"] if current else None
    if status not in allowed:
        shown = status or "absent"
        raise reject(update, f"not allowed when the operation is {shown}")


def base_operation(update: OperationUpdate, now_ms: int, status: str) -> dict[str, Any]:
    op: dict[str, Any] = {
        "Id": update.operation_id,
        "Type": str(update.operation_type),
        "Status": status,
        "StartTimestamp": now_ms,
    }
    if update.parent_id:
        op["ParentId"] = update.parent_id
    if update.name:
        op["Name"] = update.name
    if update.sub_type:
        op["SubType"] = str(update.sub_type)
    return op


def error_dict(update: OperationUpdate) -> dict[str, Any] | None:
    return update.error.to_dict() if update.error is not None else None
