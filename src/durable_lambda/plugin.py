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
    """How an invocation ended, as reported to ``on_invocation_end``."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    RETRY = "RETRY"  # the handler raised: the backend retries the invocation


class UserFunctionOutcome(Enum):
    """How one run of user code (a step body) ended, as reported to ``on_user_function_end``."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INCOMPLETE = "INCOMPLETE"  # suspended or interrupted before finishing


@dataclass(frozen=True)
class InvocationInfo:
    """Facts about the current invocation and its execution, shared by the invocation hooks."""

    request_id: str | None
    execution_arn: str
    is_first_invocation: bool
    execution_start_time: datetime.datetime | None = None
    execution_input: Any = None
    operations: tuple[Any, ...] = ()


@dataclass(frozen=True)
class InvocationStartInfo(InvocationInfo):
    """What ``on_invocation_start`` and ``create_plugin`` receive.

    ``updated_operations`` names the operations the service changed while the execution was
    suspended.
    """

    updated_operations: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvocationEndInfo(InvocationInfo):
    """What ``on_invocation_end`` receives: the invocation's status, error or result."""

    status: InvocationStatus = InvocationStatus.PENDING
    error: Any = None
    execution_result: Any = None


@dataclass(frozen=True)
class OperationInfo:
    """A plugin's view of one durable operation, shared by the operation hooks."""

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
    """What ``on_operation_start`` receives."""


@dataclass(frozen=True)
class OperationEndInfo(OperationInfo):
    """What ``on_operation_end`` receives, once the operation's terminal outcome is known."""


@dataclass(frozen=True)
class OperationChangeInfo(OperationInfo):
    """What ``on_operation_change`` receives."""


@dataclass(frozen=True)
class UserFunctionStartInfo(OperationInfo):
    """What ``on_user_function_start`` receives before user code of an operation runs."""

    is_replay_children: bool = False


@dataclass(frozen=True)
class UserFunctionEndInfo(OperationInfo):
    """What ``on_user_function_end`` receives after user code of an operation returned or raised."""

    outcome: UserFunctionOutcome = UserFunctionOutcome.SUCCEEDED


@dataclass(frozen=True)
class PropagationInput:
    """Identifies the chained invoke a plugin is asked to provide propagation metadata for."""

    operation_id: str
    function_name: str


@dataclass(frozen=True)
class PropagationMetadata:
    """Metadata a plugin adds to a new chained invoke, such as the X-Ray trace header."""

    x_amzn_trace_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class DurableInstrumentationPlugin:
    """Base class: every hook is a no-op; override the ones you need."""

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        """Called when an invocation starts, before user code runs."""
        return None

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        """Called when an invocation ends, after the checkpoint thread has stopped."""
        return None

    def on_operation_start(self, info: OperationStartInfo) -> None:
        """Called before an operation's START is queued, or when a non-terminal one is replayed."""
        return None

    def on_operation_end(self, info: OperationEndInfo) -> None:
        """Called once per operation and invocation when its terminal outcome is observed."""
        return None

    def on_operation_change(self, info: OperationChangeInfo) -> None:
        """Called when the state of an operation changes (AWS merges these notifications)."""
        return None

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        """Called just before user code of an operation (such as a step body) runs."""
        return None

    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        """Called just after user code of an operation returned, raised or was suspended."""
        return None

    def provide_propagation_metadata(self, info: PropagationInput) -> PropagationMetadata | None:
        """Returns metadata to attach to a new chained invoke's START, or None for none.

        Must not perform durable operations; the first non-blank ``x_amzn_trace_id`` becomes the
        invoke's ``XAmznTraceId`` (sdk-spec.md §17).
        """
        return None


class DurableInstrumentationPluginFactory:
    """Creates one plugin per invocation (``create_plugin``); subclass and override."""

    __durable_registration_api__ = 1

    def create_plugin(self, info: InvocationStartInfo, /) -> DurableInstrumentationPlugin | None:
        """Returns the plugin for the invocation ``info`` describes, or None to skip it.

        Called once per invocation; if it raises, the error is logged and no plugin runs.
        """
        raise NotImplementedError
