"""What an Invoke through the embedded runtime returns.

``InvokeResult``, and how a finished execution's summary becomes one (with the Lambda-style error
body of a failed execution).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["InvokeResult", "invoke_result_from_execution"]


@dataclass(frozen=True)
class InvokeResult:
    """The outcome of one Invoke, with what the Invoke route needs to render Lambda's answer."""

    arn: str
    status_code: int
    payload: bytes
    function_error: str | None = None
    created: bool = True
    log_tail: str | None = None  # the last invocation's log output (LogType=Tail)
    version: str | None = None  # the executed version (X-Amz-Executed-Version)
    durable: bool = True


def invoke_result_from_execution(
    arn: str, execution: dict[str, Any], *, created: bool
) -> InvokeResult:
    """The Invoke response of a finished execution.

    Its result, or its error as Lambda's ``{"errorType", "errorMessage"}`` body with
    ``FunctionError: Unhandled``.
    """
    status = execution.get("Status")
    if status == "SUCCEEDED":
        result = execution.get("Result")
        return InvokeResult(
            arn=arn,
            status_code=200,
            payload=(result if result is not None else "null").encode(),
            created=created,
        )
    error = execution.get("Error") or {}
    body = {
        "errorType": error.get("ErrorType") or f"Execution{str(status).title()}",
        "errorMessage": error.get("ErrorMessage") or f"execution {str(status).lower()}",
    }
    return InvokeResult(
        arn=arn,
        status_code=200,
        payload=json.dumps(body).encode(),
        function_error="Unhandled",
        created=created,
    )
