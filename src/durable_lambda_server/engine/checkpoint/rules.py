"""The rules table: operation type -> its validator and processor (style.md §7)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final

from durable_lambda.lambda_service import OperationAction, OperationType, OperationUpdate
from durable_lambda_server.engine.checkpoint.operations import (
    callback,
    context,
    execution,
    invoke,
    step,
    wait,
)
from durable_lambda_server.engine.execution_writer import ExecutionWriter

__all__ = ["RULES", "OperationRules"]


@dataclass(frozen=True, slots=True)
class OperationRules:
    """One operation type's allowed actions, validator (pure) and processor."""

    actions: frozenset[OperationAction]
    validate: Callable[[OperationUpdate, dict[str, Any] | None], None]
    process: Callable[
        [ExecutionWriter, OperationUpdate, dict[str, Any] | None], dict[str, Any] | None
    ]


def _rules(module: ModuleType) -> OperationRules:
    return OperationRules(module.ACTIONS, module.validate, module.process)


RULES: Final[Mapping[OperationType, OperationRules]] = {
    OperationType.EXECUTION: _rules(execution),
    OperationType.CONTEXT: _rules(context),
    OperationType.STEP: _rules(step),
    OperationType.WAIT: _rules(wait),
    OperationType.CALLBACK: _rules(callback),
    OperationType.CHAINED_INVOKE: _rules(invoke),
}
