"""Execution rows for store tests: only what the schema requires, the rest None."""

from __future__ import annotations

from typing import Any, TypeVar

from durable_lambda_server.store import ExecutionRow

_FIELDS = set(ExecutionRow._fields)
_T = TypeVar("_T")


def execution_row(
    arn: str,
    *,
    start_ms: int = 1,
    needs_invoke: int = 0,
    lease_expires_ms: int | None = None,
    function_name: str = "fn",
    status: str = "RUNNING",
    input_payload: str | None = None,
    name: str | None = None,
    version: str = "$LATEST",
    result: str | None = None,
    error: str | None = None,
    end_ms: int | None = None,
    lease_token: str | None = None,
    parent_arn: str | None = None,
    parent_op_id: str | None = None,
    retention_days: int = 14,
) -> ExecutionRow:
    """An execution named ``arn`` (``name`` defaults to it); a lease expiry without a
    ``lease_token`` holds the token ``"lease"``."""
    if lease_token is None and lease_expires_ms is not None:
        lease_token = "lease"
    values: dict[str, Any] = dict.fromkeys(_FIELDS)
    values.update(
        arn=arn,
        function_name=function_name,
        function_arn="f",
        version=version,
        name=arn if name is None else name,
        execution_id=arn,
        status=status,
        input_payload=input_payload,
        result=result,
        error=error,
        start_ms=start_ms,
        end_ms=end_ms,
        timeout_seconds=60,
        event_seq=0,
        op_seq=0,
        change_seq=0,
        seen_seq=0,
        service_seq=0,
        needs_invoke=needs_invoke,
        attempt=0,
        failed_invocations=0,
        kind="durable",
        retention_days=retention_days,
        lease_token=lease_token,
        lease_expires_ms=lease_expires_ms,
        parent_arn=parent_arn,
        parent_op_id=parent_op_id,
    )
    return ExecutionRow(**values)


def required(value: _T | None) -> _T:
    """``value``, which the test expects to be there."""
    assert value is not None
    return value
