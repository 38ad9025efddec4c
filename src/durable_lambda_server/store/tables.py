"""The store contract, one protocol per table (style.md §6).

``Transaction`` (``store/base.py``) is all of them at once. Each verb's docstring is the contract
a backend implements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from durable_lambda_server.store.records import (
    AliasRow,
    CallbackRow,
    ExecutionChanges,
    ExecutionRow,
    FunctionRow,
    NamedAliasRow,
    PublishedVersionRow,
    TimerRow,
    VersionRow,
)

__all__ = [
    "CallbackTable",
    "ExecutionTable",
    "FunctionTable",
    "HistoryLog",
    "InvocationQueue",
    "OperationTable",
    "TimerQueue",
    "VersionTable",
]

# -- the unit of work, one protocol per table (style.md §6) ------------------------------------


class ExecutionTable(Protocol):
    """Execution rows: one per durable execution (and per plain invocation), keyed by ARN."""

    def get_execution(self, arn: str, *, payloads: bool = True) -> ExecutionRow | None:
        """Returns the execution with this ARN, or None if there is none.

        ``payloads=False``: ``input_payload``, ``result`` and ``error`` are left None (the
        checkpoint path, which never reads them, skips loading a large input every step).
        """
        ...

    def find_execution(self, function_name: str, name: str) -> ExecutionRow | None:
        """Returns the function's execution of that name, or None if it has none.

        ``(function_name, name)`` is unique: StartDurableExecution looks it up to be idempotent.
        """
        ...

    def insert_execution(self, row: ExecutionRow) -> None:
        """Inserts a new execution; raises ``ConflictError`` if its ARN or its name exists."""
        ...

    def update_execution(self, arn: str, changes: ExecutionChanges) -> None:
        """Writes exactly the columns present in ``changes`` (an empty mapping writes nothing).

        The execution must exist: callers update only an execution read in this transaction.
        """
        ...

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
    ) -> list[ExecutionRow]:
        """Returns the executions matching every filter given, ordered by ``(start_ms, arn)``.

        Filters left None (or empty) match everything; ``started_after`` and ``started_before``
        are inclusive bounds on ``start_ms``. ``reverse`` orders newest first; ``offset`` and
        ``limit`` then page the ordered list (``limit`` None: all). An empty list if none match.
        """
        ...

    def finished_children(self, parent_arn: str) -> list[ExecutionRow]:
        """Returns the chained invocations started by ``parent_arn`` that are no longer RUNNING.

        In no particular order; an empty list if there are none.
        """
        ...

    def delete_executions(self, arns: Sequence[str]) -> None:
        """Deletes the executions with their operations, events, timers and callbacks.

        ARNs with no execution are skipped.
        """
        ...


class InvocationQueue(Protocol):
    """Which executions may run next, and the limits on how many run at once."""

    def claimable_execution(
        self, now_ms: int, arn: str | None = None, exclude_functions: Sequence[str] = ()
    ) -> ExecutionRow | None:
        """Returns the oldest runnable execution (by ``start_ms``), or None if none is runnable.

        Runnable: RUNNING and either wanting an invocation (``needs_invoke``) without a lease,
        or holding a lease that expired by ``now_ms`` (its runtime died). ``arn`` asks about that
        one execution only; functions in ``exclude_functions`` (at their reserved concurrency)
        are skipped. Nothing is claimed here: the caller writes the lease.
        """
        ...

    def has_claimable(self, now_ms: int) -> bool:
        """Whether ``claimable_execution(now_ms)`` would return an execution."""
        ...

    def next_lease_expiry_ms(self) -> int | None:
        """When the earliest lease of a RUNNING execution runs out, or None if none is leased.

        The dispatcher sleeps until then: that execution becomes claimable if not renewed.
        """
        ...

    def count_running(self, function_name: str, *, leased_after_ms: int | None = None) -> int:
        """Counts the function's RUNNING executions.

        With ``leased_after_ms``, only those holding a lease still live then (an invocation in
        flight), which is what reserved concurrency limits.
        """
        ...

    def functions_at_concurrency_limit(self, now_ms: int) -> list[str]:
        """Returns the functions with a reserved concurrency and at least that many live leases.

        In no particular order; the dispatcher passes them as ``exclude_functions``.
        """
        ...

    def expired_executions(self, now_ms: int, limit: int) -> list[str]:
        """Returns up to ``limit`` ARNs of finished executions past their retention by ``now_ms``.

        Retention is ``end_ms`` plus ``retention_days``; children whose parent execution is
        still RUNNING are kept (the parent may yet read their result). In no particular order.
        """
        ...


class OperationTable(Protocol):
    """The operations of each execution, as the checkpoint API's ``Operation`` JSON objects."""

    def get_operations(self, arn: str, op_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Returns the execution's operations with these ids, keyed by id.

        Ids with no operation are absent from the result; an unknown ARN gives an empty dict.
        """
        ...

    def all_operations(
        self, arn: str, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Returns the execution's operations in creation order, paged by ``offset``/``limit``.

        ``limit`` None returns the rest; an unknown ARN gives an empty list.
        """
        ...

    def operations_changed_since(
        self, arn: str, change_seq: int, upto: int | None = None
    ) -> list[dict[str, Any]]:
        """Returns what the handler has not seen: operations changed after ``change_seq``.

        Only rows whose latest write was not the handler's own checkpoint
        (``put_operations(seen=True)``) count, with ``change_seq`` up to ``upto`` inclusive if
        given; in creation order. An empty list if none changed or the ARN is unknown.
        """
        ...

    def has_pending_operations(self, arn: str) -> bool:
        """Whether anything can still complete service-side.

        That is a STARTED wait, callback or chained invoke, or a step waiting for its retry
        (PENDING); AWS's rule for a PENDING output. False for an unknown ARN.
        """
        ...

    def put_operations(
        self, arn: str, rows: list[tuple[dict[str, Any], int, int]], *, seen: bool = False
    ) -> None:
        """Writes ``(operation, seq, change_seq)`` rows, keyed by the operation's ``Id``.

        ``seq`` > 0 creates the operation at that position of the creation order (or overwrites
        it if the id exists: a repeated START); 0 overwrites an existing one, which keeps its
        position. ``seen``: the handler's own checkpoint writes these rows and gets them back in
        its answer, which also marks every change up to them as seen. Raises ``ConflictError``
        if the execution does not exist.
        """
        ...


class HistoryLog(Protocol):
    """Each execution's append-only event history, the source of GetDurableExecutionHistory."""

    def append_events(self, arn: str, events: Sequence[dict[str, Any]]) -> None:
        """Appends events, each keyed by its ``EventId`` (unique within the execution).

        Raises ``ConflictError`` if the execution does not exist or an ``EventId`` is taken.
        """
        ...

    def read_events(
        self, arn: str, *, after: int, limit: int | None, reverse: bool
    ) -> list[dict[str, Any]]:
        """Returns up to ``limit`` events (None: all) in ``EventId`` order, for paging.

        Forward: the events after ``EventId`` ``after``. ``reverse``: newest first, the events
        before ``after`` (``after`` 0: from the newest). An empty list past the end or for an
        unknown ARN.
        """
        ...


class TimerQueue(Protocol):
    """Timers that the dispatcher fires: at most one per ``(arn, op_id, kind)``."""

    def schedule_timer(self, arn: str, op_id: str, kind: str, due_ms: int) -> None:
        """Schedules the timer, moving it to ``due_ms`` if it exists already."""
        ...

    def cancel_timers(
        self, arn: str, op_id: str | None = None, kinds: Sequence[str] | None = None
    ) -> None:
        """Deletes the execution's timers, narrowed to one operation and/or some kinds if given.

        Nothing to delete is not an error.
        """
        ...

    def due_timers(self, now_ms: int, limit: int) -> list[TimerRow]:
        """Returns up to ``limit`` timers due by ``now_ms``, earliest first; none are removed."""
        ...

    def next_due_ms(self) -> int | None:
        """When the earliest timer falls due, or None if no timer is scheduled."""
        ...

    def next_timer(self) -> TimerRow | None:
        """Returns the earliest timer, or None; its kind says whether skip-time may jump to it."""
        ...

    def has_timers(self, arn: str) -> bool:
        """Whether the execution has any timer scheduled."""
        ...

    def timer_due_ms(self, arn: str, op_id: str, kind: str) -> int | None:
        """When that timer falls due, or None if it is not scheduled (cancelled or fired)."""
        ...


class CallbackTable(Protocol):
    """Callback ids, mapping SendDurableExecutionCallback* calls to their CALLBACK operation."""

    def insert_callback(
        self, callback_id: str, arn: str, op_id: str, heartbeat_seconds: int
    ) -> None:
        """Records a new callback id; raises ``ConflictError`` if the id exists."""
        ...

    def get_callback(self, callback_id: str) -> CallbackRow | None:
        """Returns where the callback id points, or None if it is unknown (or was deleted)."""
        ...


class FunctionTable(Protocol):
    """Registered functions (``$LATEST``) and their reserved concurrency, keyed by name."""

    def put_function(self, name: str, handler: str, config: str, now_ms: int) -> None:
        """Creates the function or replaces its ``$LATEST`` handler and configuration.

        An existing function keeps its reserved concurrency, versions and aliases.
        """
        ...

    def get_function(self, name: str) -> FunctionRow | None:
        """Returns the function's ``$LATEST``, or None if no such function."""
        ...

    def list_functions(self) -> list[FunctionRow]:
        """Returns every function, ordered by name."""
        ...

    def delete_function(self, name: str) -> bool:
        """Deletes the function with its versions and aliases; False if no such function.

        Its executions are kept.
        """
        ...

    def get_reserved_concurrency(self, name: str) -> int | None:
        """Returns the function's reserved concurrency, or None if unset or no such function."""
        ...

    def set_reserved_concurrency(self, name: str, value: int | None) -> bool:
        """Sets (``None``: removes) a function's reserved concurrency; False if no such function."""
        ...


class VersionTable(Protocol):
    """Published versions and aliases of functions."""

    def publish_version(
        self, name: str, handler: str, config: str, now_ms: int, version: int | None = None
    ) -> int:
        """Stores a published version and returns its number.

        ``version`` None takes one past the highest stored for the function (1 for the first);
        raises ``ConflictError`` if that version exists.
        """
        ...

    def delete_version(self, name: str, version: int) -> bool:
        """Deletes a published version; False if there was no such version."""
        ...

    def get_version(self, name: str, version: int) -> VersionRow | None:
        """Returns a published version, or None if there is none (numbers out of range too)."""
        ...

    def list_versions(self, name: str) -> list[PublishedVersionRow]:
        """Returns the function's published versions in ascending order; empty if none."""
        ...

    def put_alias(
        self, name: str, alias: str, version: str, routing: str, description: str
    ) -> None:
        """Creates the alias or replaces its version, routing and description."""
        ...

    def get_alias(self, name: str, alias: str) -> AliasRow | None:
        """Returns the alias, or None if the function has no alias of that name."""
        ...

    def delete_alias(self, name: str, alias: str) -> bool:
        """Deletes the alias; False if there was no such alias."""
        ...

    def list_aliases(self, name: str) -> list[NamedAliasRow]:
        """Returns the function's aliases ordered by alias name; empty if none."""
        ...
