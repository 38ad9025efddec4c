"""durable-lambda: AWS Lambda durable functions, self-hosted.

The package root re-exports the names of the AWS Durable Execution SDK 3.0.0 root (sdk-spec.md
§1), so porting a handler is an import-prefix change. Names are resolved lazily on first access
(PEP 562): importing ``durable_lambda`` stays cheap for the service layers, and no SDK module
ever depends on import order through this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "durable_execution": "durable_lambda.execution",
    "DurableContext": "durable_lambda.context",
    "durable_step": "durable_lambda.context",
    "durable_with_child_context": "durable_lambda.context",
    "durable_wait_for_callback": "durable_lambda.context",
    "durable_parallel_branch": "durable_lambda.context",
    "StepContext": "durable_lambda.types",
    "with_retry": "durable_lambda.retries",
    "WithRetryConfig": "durable_lambda.retries",
    "BatchResult": "durable_lambda.concurrency.models",
    "BatchCompletionError": "durable_lambda.concurrency.models",
    "BatchItemStatus": "durable_lambda.config",
    "CompletionDecision": "durable_lambda.config",
    "CompletionItemStatus": "durable_lambda.config",
    "CompletionOutcome": "durable_lambda.config",
    "CompletionStatus": "durable_lambda.config",
    "ParallelBranch": "durable_lambda.config",
    "complete_batch": "durable_lambda.config",
    "continue_batch": "durable_lambda.config",
    "DurableExecutionsError": "durable_lambda.exceptions",
    "DurableOperationError": "durable_lambda.exceptions",
    "ExecutionError": "durable_lambda.exceptions",
    "InvocationError": "durable_lambda.exceptions",
    "ValidationError": "durable_lambda.exceptions",
    "StepError": "durable_lambda.exceptions",
    "InvokeError": "durable_lambda.exceptions",
    "ChildContextError": "durable_lambda.exceptions",
    "WaitForConditionError": "durable_lambda.exceptions",
    "CallbackError": "durable_lambda.exceptions",
    "CallbackExternalError": "durable_lambda.exceptions",
    "CallbackTimeoutError": "durable_lambda.exceptions",
    "CallbackSubmitterError": "durable_lambda.exceptions",
    "SerDesError": "durable_lambda.exceptions",
    "RetryableSerDesError": "durable_lambda.exceptions",
    "PluginLoadError": "durable_lambda.exceptions",
}

__all__ = [
    "BatchCompletionError",
    "BatchItemStatus",
    "BatchResult",
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "ChildContextError",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionStatus",
    "DurableContext",
    "DurableExecutionsError",
    "DurableOperationError",
    "ExecutionError",
    "InvocationError",
    "InvokeError",
    "ParallelBranch",
    "PluginLoadError",
    "RetryableSerDesError",
    "SerDesError",
    "StepContext",
    "StepError",
    "ValidationError",
    "WaitForConditionError",
    "WithRetryConfig",
    "__version__",
    "complete_batch",
    "continue_batch",
    "durable_execution",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
    "with_retry",
]

if TYPE_CHECKING:
    from durable_lambda.concurrency.models import BatchCompletionError, BatchResult
    from durable_lambda.config import (
        BatchItemStatus,
        CompletionDecision,
        CompletionItemStatus,
        CompletionOutcome,
        CompletionStatus,
        ParallelBranch,
        complete_batch,
        continue_batch,
    )
    from durable_lambda.context import (
        DurableContext,
        durable_parallel_branch,
        durable_step,
        durable_wait_for_callback,
        durable_with_child_context,
    )
    from durable_lambda.exceptions import (
        CallbackError,
        CallbackExternalError,
        CallbackSubmitterError,
        CallbackTimeoutError,
        ChildContextError,
        DurableExecutionsError,
        DurableOperationError,
        ExecutionError,
        InvocationError,
        InvokeError,
        PluginLoadError,
        RetryableSerDesError,
        SerDesError,
        StepError,
        ValidationError,
        WaitForConditionError,
    )
    from durable_lambda.execution import durable_execution
    from durable_lambda.retries import WithRetryConfig, with_retry
    from durable_lambda.types import StepContext


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'durable_lambda' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
