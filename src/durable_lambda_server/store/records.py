"""The store's records: rows in and out of the ``Transaction`` protocol (``store/base.py``).

Typed values, never cursors or driver rows: ``ExecutionRow`` (a named tuple, decision 0013),
``ExecutionChanges`` (the columns an update may change), timers and their kinds, callbacks, and
the function registry's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, TypedDict

__all__ = [
    "AliasRow",
    "CallbackRow",
    "ExecutionChanges",
    "ExecutionRow",
    "FunctionRow",
    "NamedAliasRow",
    "PublishedVersionRow",
    "TimerKind",
    "TimerRow",
    "VersionRow",
]


class ExecutionRow(NamedTuple):
    """One execution's row.

    A named tuple rather than a dataclass: every checkpoint reads one, and building a tuple from
    the fetched row is several microseconds cheaper than setting 35 attributes of a frozen
    dataclass (decision 0013). Construct it with keywords.
    """

    arn: str
    function_name: str
    function_arn: str
    version: str
    name: str
    execution_id: str
    status: str
    input_payload: str | None
    result: str | None
    error: str | None
    pending_outcome: str | None
    start_ms: int
    end_ms: int | None
    timeout_seconds: int
    checkpoint_token: str | None
    last_request_token: str | None
    last_client_token: str | None
    last_response: str | None
    event_seq: int
    op_seq: int
    change_seq: int
    seen_seq: int
    service_seq: int
    needs_invoke: int
    attempt: int
    failed_invocations: int
    lease_token: str | None
    lease_owner: str | None
    lease_expires_ms: int | None
    invocation_start_ms: int | None
    request_id: str | None
    parent_arn: str | None = None
    parent_op_id: str | None = None
    kind: str = "durable"
    retention_days: int = 14  # RetentionPeriodInDays of the version it started on


class ExecutionChanges(TypedDict, total=False):
    """The columns of an execution that ``update_execution`` may change, each optional.

    A typo'd or unknown column is a type error, not a runtime surprise. A mapping rather than a
    dataclass with an "unset" marker per field: the engine accumulates changes over a transaction
    and the store writes exactly the columns present (one cached statement per column set).
    """

    status: str
    input_payload: str | None
    result: str | None
    error: str | None
    pending_outcome: str | None
    end_ms: int | None
    checkpoint_token: str | None
    last_request_token: str | None
    last_client_token: str | None
    last_response: str | None
    event_seq: int
    op_seq: int
    change_seq: int
    seen_seq: int
    service_seq: int
    needs_invoke: int
    attempt: int
    failed_invocations: int
    lease_token: str | None
    lease_owner: str | None
    lease_expires_ms: int | None
    invocation_start_ms: int | None
    request_id: str | None


class TimerKind(StrEnum):
    """What a timer does when it falls due (``engine/timers.py``)."""

    EXECUTION_TIMEOUT = "execution_timeout"
    INVOCATION_RETRY = "invocation_retry"
    WAIT = "wait"
    RETRY = "retry"  # a step's (or wait_for_condition's) next attempt: PENDING -> READY
    CALLBACK_TIMEOUT = "callback_timeout"
    CALLBACK_HEARTBEAT = "callback_heartbeat"


@dataclass(frozen=True, slots=True)
class TimerRow:
    """A scheduled timer: what falls due (``kind``, a ``TimerKind`` value) for which operation."""

    arn: str
    op_id: str
    kind: str  # a TimerKind value
    due_ms: int


class CallbackRow(NamedTuple):
    """Where a callback id points: the execution and CALLBACK operation it completes."""

    arn: str
    op_id: str
    heartbeat_seconds: int


class FunctionRow(NamedTuple):
    """``$LATEST`` of a function.

    ``config`` is the engine's JSON (``FunctionRecord.config_dict``).
    """

    name: str
    handler: str
    config: str


class VersionRow(NamedTuple):
    """One published version's handler and configuration JSON, as frozen when published."""

    handler: str
    config: str


class PublishedVersionRow(NamedTuple):
    """A published version with its number, for listing a function's versions."""

    version: int
    handler: str
    config: str


class AliasRow(NamedTuple):
    """An alias's target version, weighted routing (JSON) and description."""

    version: str
    routing: str  # JSON: {"version": weight}
    description: str


class NamedAliasRow(NamedTuple):
    """An ``AliasRow`` with the alias's name, for listing a function's aliases."""

    alias: str
    version: str
    routing: str
    description: str
