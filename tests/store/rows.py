"""Execution rows for store tests: only what the schema requires, the rest None."""

from __future__ import annotations

from typing import Any

from durable_lambda_server.store import ExecutionRow

_FIELDS = set(ExecutionRow._fields)


def execution_row(
    arn: str,
    *,
    start_ms: int = 1,
    needs_invoke: int = 0,
    lease_expires_ms: int | None = None,
    function_name: str = "fn",
    status: str = "RUNNING",
    input_payload: str | None = None,
) -> ExecutionRow:
    values: dict[str, Any] = dict.fromkeys(_FIELDS)
    values.update(
        arn=arn,
        function_name=function_name,
        function_arn="f",
        version="$LATEST",
        name=arn,
        execution_id=arn,
        status=status,
        input_payload=input_payload,
        start_ms=start_ms,
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
        retention_days=14,
        lease_token="lease" if lease_expires_ms is not None else None,
        lease_expires_ms=lease_expires_ms,
    )
    return ExecutionRow(**values)
