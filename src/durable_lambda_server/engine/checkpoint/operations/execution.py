"""EXECUTION: SUCCEED / FAIL carry a result too large for the invocation response.

See sdk-spec.md §10.3. The outcome is held on the execution and applied when the invocation
completes, so the final ``InvocationCompleted`` still precedes ``ExecutionSucceeded``
(conformance.md §8.1).
"""

from __future__ import annotations

import json
from typing import Any

from durable_lambda.lambda_service import OperationAction, OperationUpdate
from durable_lambda_server.engine.checkpoint.operations._common import error_dict, reject
from durable_lambda_server.engine.execution_writer import ExecutionWriter

ACTIONS = frozenset({OperationAction.SUCCEED, OperationAction.FAIL})


def validate(update: OperationUpdate, current: dict[str, Any] | None) -> None:
    """Accepts SUCCEED with a payload or FAIL with an error; raises to reject the checkpoint."""
    if update.action not in ACTIONS:
        raise reject(update, "only SUCCEED or FAIL are allowed for EXECUTION")
    if update.action is OperationAction.SUCCEED and update.error is not None:
        raise reject(update, "SUCCEED must not carry an Error")
    if update.action is OperationAction.FAIL and update.payload is not None:
        raise reject(update, "FAIL must not carry a Payload")


def process(w: ExecutionWriter, update: OperationUpdate, current: dict[str, Any] | None) -> None:
    """Holds the outcome on the execution until the invocation completes; writes no operation."""
    outcome: dict[str, Any] = (
        {"Status": "SUCCEEDED", "Result": update.payload}
        if update.action is OperationAction.SUCCEED
        else {"Status": "FAILED", "Error": error_dict(update) or {}}
    )
    w.changes["pending_outcome"] = json.dumps(outcome)
