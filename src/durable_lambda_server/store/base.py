"""The store interface: records in and out, one transaction per use case (style.md §6).

The engine sees only these protocols and records. Stores never read the clock (``now_ms`` is an
argument) and never hold engine logic; a PostgreSQL store implements the same ``Transaction``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple, Protocol, TypedDict, runtime_checkable

__all__ = [
    "AliasRow",
    "CallbackRow",
    "CallbackTable",
    "ConflictError",
    "ExecutionChanges",
    "ExecutionRow",
    "ExecutionTable",
    "FunctionRow",
    "FunctionTable",
    "HistoryLog",
    "InvocationQueue",
    "NamedAliasRow",
    "OperationTable",
    "PublishedVersionRow",
    "Store",
    "StoreBusyError",
    "StoreError",
    "SupportsGroupCommit",
    "TimerKind",
    "TimerQueue",
    "TimerRow",
    "Transaction",
    "TransientStoreError",
    "VersionRow",
    "VersionTable",
]


class StoreError(Exception):
    """Base of store failures."""


class ConflictError(StoreError):
    """A unique key or version clash."""


class TransientStoreError(StoreError):
    """Busy, locked, disk full, connection lost: the operation may be retried."""


class StoreBusyError(TransientStoreError):
    """Another writer held the database past the busy timeout: retry after a short wait."""


class ExecutionRow(NamedTuple):
    """One execution's row. A named tuple rather than a dataclass: every checkpoint reads one,
    and building a tuple from the fetched row is several microseconds cheaper than setting 35
    attributes of a frozen dataclass (decision 0013). Construct it with keywords."""

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
    """The columns of an execution that ``update_execution`` may change, each optional: a typo'd or
    unknown column is a type error, not a runtime surprise. A mapping rather than a dataclass with
    an "unset" marker per field: the engine accumulates changes over a transaction and the store
    writes exactly the columns present (one cached statement per column set)."""

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
    arn: str
    op_id: str
    kind: str  # a TimerKind value
    due_ms: int


class CallbackRow(NamedTuple):
    arn: str
    op_id: str
    heartbeat_seconds: int


class FunctionRow(NamedTuple):
    """``$LATEST`` of a function; ``config`` is the engine's JSON
    (``FunctionRecord.config_dict``)."""

    name: str
    handler: str
    config: str


class VersionRow(NamedTuple):
    handler: str
    config: str


class PublishedVersionRow(NamedTuple):
    version: int
    handler: str
    config: str


class AliasRow(NamedTuple):
    version: str
    routing: str  # JSON: {"version": weight}
    description: str


class NamedAliasRow(NamedTuple):
    alias: str
    version: str
    routing: str
    description: str


# -- the unit of work, one protocol per table (style.md §6) ------------------------------------


class ExecutionTable(Protocol):
    def get_execution(self, arn: str, *, payloads: bool = True) -> ExecutionRow | None:
        """``payloads=False``: ``input_payload``, ``result`` and ``error`` are left None (the
        checkpoint path, which never reads them, skips loading a large input every step)."""
        ...

    def find_execution(self, function_name: str, name: str) -> ExecutionRow | None: ...
    def insert_execution(self, row: ExecutionRow) -> None: ...
    def update_execution(self, arn: str, changes: ExecutionChanges) -> None: ...
    def list_executions(
        self,
        *,
        function_name: str | None = None,
        version: str | None = None,
        statuses: Sequence[str] | None = None,
        name: str | None = None,
        started_after: int | None = None,
        started_before: int | None = None,
        offset: int = 0,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[ExecutionRow]: ...
    def finished_children(self, parent_arn: str) -> list[ExecutionRow]: ...
    def delete_executions(self, arns: Sequence[str]) -> None: ...


class InvocationQueue(Protocol):
    """Which executions may run next, and the limits on how many run at once."""

    def claimable_execution(
        self, now_ms: int, arn: str | None = None, exclude_functions: Sequence[str] = ()
    ) -> ExecutionRow | None: ...
    def has_claimable(self, now_ms: int) -> bool: ...
    def next_lease_expiry_ms(self) -> int | None: ...
    def count_running(self, function_name: str, *, leased_after_ms: int | None = None) -> int: ...
    def functions_at_concurrency_limit(self, now_ms: int) -> list[str]: ...
    def expired_executions(self, now_ms: int, limit: int) -> list[str]: ...


class OperationTable(Protocol):
    def get_operations(self, arn: str, op_ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def all_operations(
        self, arn: str, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]: ...
    def operations_changed_since(
        self, arn: str, change_seq: int, upto: int | None = None
    ) -> list[dict[str, Any]]:
        """Operations written after ``change_seq`` (up to ``upto``) by anything but the
        handler's own checkpoints (``put_operations(seen=True)``), in creation order."""
        ...

    def has_pending_operations(self, arn: str) -> bool:
        """Whether anything can still complete service-side: a STARTED wait, callback or chained
        invoke, or a step waiting for its retry (PENDING); AWS's rule for a PENDING output."""
        ...

    def put_operations(
        self, arn: str, rows: list[tuple[dict[str, Any], int, int]], *, seen: bool = False
    ) -> None:
        """``seen``: the handler's own checkpoint writes these rows and gets them back in its
        answer, which also marks every change up to them as seen."""
        ...


class HistoryLog(Protocol):
    def append_events(self, arn: str, events: Sequence[dict[str, Any]]) -> None: ...
    def read_events(
        self, arn: str, *, after: int, limit: int | None, reverse: bool
    ) -> list[dict[str, Any]]: ...


class TimerQueue(Protocol):
    def schedule_timer(self, arn: str, op_id: str, kind: str, due_ms: int) -> None: ...
    def cancel_timers(
        self, arn: str, op_id: str | None = None, kinds: Sequence[str] | None = None
    ) -> None: ...
    def due_timers(self, now_ms: int, limit: int) -> list[TimerRow]: ...
    def next_due_ms(self) -> int | None: ...
    def next_timer(self) -> TimerRow | None: ...
    def has_timers(self, arn: str) -> bool: ...
    def timer_due_ms(self, arn: str, op_id: str, kind: str) -> int | None: ...


class CallbackTable(Protocol):
    def insert_callback(
        self, callback_id: str, arn: str, op_id: str, heartbeat_seconds: int
    ) -> None: ...
    def get_callback(self, callback_id: str) -> CallbackRow | None: ...


class FunctionTable(Protocol):
    def put_function(self, name: str, handler: str, config: str, now_ms: int) -> None: ...
    def get_function(self, name: str) -> FunctionRow | None: ...
    def list_functions(self) -> list[FunctionRow]: ...
    def delete_function(self, name: str) -> bool: ...
    def get_reserved_concurrency(self, name: str) -> int | None: ...
    def set_reserved_concurrency(self, name: str, value: int | None) -> bool: ...


class VersionTable(Protocol):
    """Published versions and aliases of functions."""

    def publish_version(
        self, name: str, handler: str, config: str, now_ms: int, version: int | None = None
    ) -> int: ...
    def delete_version(self, name: str, version: int) -> bool: ...
    def get_version(self, name: str, version: int) -> VersionRow | None: ...
    def list_versions(self, name: str) -> list[PublishedVersionRow]: ...
    def put_alias(
        self, name: str, alias: str, version: str, routing: str, description: str
    ) -> None: ...
    def get_alias(self, name: str, alias: str) -> AliasRow | None: ...
    def delete_alias(self, name: str, alias: str) -> bool: ...
    def list_aliases(self, name: str) -> list[NamedAliasRow]: ...


class Transaction(
    ExecutionTable,
    InvocationQueue,
    OperationTable,
    HistoryLog,
    TimerQueue,
    CallbackTable,
    FunctionTable,
    VersionTable,
    Protocol,
):
    """One unit of work over every table: committed when ``Store.transaction()`` exits cleanly,
    rolled back when it raises."""


class Store(Protocol):
    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]: ...
    def close(self) -> None: ...


@runtime_checkable
class SupportsGroupCommit(Protocol):
    """A store that can share one commit between several write transactions (SQLite's group
    commit, decision 0008). Optional: callers check for it and fall back to a commit each."""

    def group(self) -> AbstractContextManager[None]:
        """Write transactions the calling thread runs inside the block may share one commit,
        made when the block ends; nothing inside is acknowledged before the block exits."""
        ...


def iter_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
