"""Instrumentation plugins (AWS SDK 3.0 ``plugin`` module, sdk-spec.md §17).

Register factories with ``@durable_execution(plugins=[MyFactory()])`` or by entry-point name in
the ``DURABLE_EXECUTION_PLUGINS`` environment variable (group ``aws_durable_execution.plugins``).
A factory's ``create_plugin(info)`` runs once per invocation; the plugin's hooks are called
synchronously and any exception they raise is logged and ignored, so a plugin can never change
the outcome of an execution.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "DurableInstrumentationPlugin",
    "DurableInstrumentationPluginFactory",
    "InvocationEndInfo",
    "InvocationInfo",
    "InvocationStartInfo",
    "InvocationStatus",
    "OperationChangeInfo",
    "OperationEndInfo",
    "OperationInfo",
    "OperationStartInfo",
    "PropagationInput",
    "PropagationMetadata",
    "UserFunctionEndInfo",
    "UserFunctionOutcome",
    "UserFunctionStartInfo",
]


class InvocationStatus(Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    RETRY = "RETRY"  # the handler raised: the backend retries the invocation


class UserFunctionOutcome(Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INCOMPLETE = "INCOMPLETE"  # suspended or interrupted before finishing


@dataclass(frozen=True)
class InvocationInfo:
    request_id: str | None
    execution_arn: str
    is_first_invocation: bool
    execution_start_time: datetime.datetime | None = None
    execution_input: Any = None
    operations: tuple[Any, ...] = ()


@dataclass(frozen=True)
class InvocationStartInfo(InvocationInfo):
    updated_operations: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvocationEndInfo(InvocationInfo):
    status: InvocationStatus = InvocationStatus.PENDING
    error: Any = None
    execution_result: Any = None


@dataclass(frozen=True)
class OperationInfo:
    operation_id: str
    operation_type: str
    sub_type: str | None = None
    name: str | None = None
    parent_id: str | None = None
    start_time: datetime.datetime | None = None
    is_replayed: bool = False
    status: Any = None
    end_time: datetime.datetime | None = None
    result: Any = None
    error: Any = None
    attempt: int | None = None


@dataclass(frozen=True)
class OperationStartInfo(OperationInfo):
    pass


@dataclass(frozen=True)
class OperationEndInfo(OperationInfo):
    pass


@dataclass(frozen=True)
class OperationChangeInfo(OperationInfo):
    pass


@dataclass(frozen=True)
class UserFunctionStartInfo(OperationInfo):
    is_replay_children: bool = False


@dataclass(frozen=True)
class UserFunctionEndInfo(OperationInfo):
    outcome: UserFunctionOutcome = UserFunctionOutcome.SUCCEEDED


@dataclass(frozen=True)
class PropagationInput:
    operation_id: str
    function_name: str


@dataclass(frozen=True)
class PropagationMetadata:
    x_amzn_trace_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class DurableInstrumentationPlugin:
    """Base class: every hook is a no-op; override the ones you need."""

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        return None

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        return None

    def on_operation_start(self, info: OperationStartInfo) -> None:
        return None

    def on_operation_end(self, info: OperationEndInfo) -> None:
        return None

    def on_operation_change(self, info: OperationChangeInfo) -> None:
        return None

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        return None

    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        return None

    def provide_propagation_metadata(self, info: PropagationInput) -> PropagationMetadata | None:
        return None


class DurableInstrumentationPluginFactory:
    """Creates one plugin per invocation (``create_plugin``); subclass and override."""

    __durable_registration_api__ = 1

    def create_plugin(self, info: InvocationStartInfo, /) -> DurableInstrumentationPlugin | None:
        raise NotImplementedError
