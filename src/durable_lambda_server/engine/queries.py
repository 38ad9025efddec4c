"""Reads: executions, history, checkpoint state, and what an idle dispatcher waits for.

Reads run in read-only transactions, which in WAL mode never wait for a writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from durable_lambda_server.engine import executions
from durable_lambda_server.engine.paging import MAX_PAGE, clamp_ms, parse_marker
from durable_lambda_server.engine.resources import EngineResources, require_execution
from durable_lambda_server.store.base import TimerRow
from durable_lambda_server.wire.errors import (
    INVALID_CHECKPOINT_TOKEN,
    InvalidParameterValueException,
    ResourceNotFoundException,
)

__all__ = [
    "DispatchOutlook",
    "dispatch_outlook",
    "get_execution",
    "get_execution_state",
    "get_history",
    "list_executions",
    "list_version_executions",
    "next_due_ms",
]


_STATE_PAGE = 1000


@dataclass(frozen=True)
class DispatchOutlook:
    """What an idle dispatcher waits for, read in one snapshot (``dispatch_outlook``)."""

    runnable: bool  # an execution can be claimed right now
    next_timer: TimerRow | None  # the earliest pending timer (any kind)
    next_lease_expiry_ms: int | None  # when the earliest live lease runs out

    def next_wakeup_ms(self, now_ms: int) -> int | None:
        """When work appears without anyone saying so, or None if nothing is scheduled.

        A timer falls due (an overdue one: now) or a lease expires (one that already expired was
        claimable this round, or is held back by a concurrency limit until a completion wakes
        the dispatcher).
        """
        times = [self.next_timer.due_ms] if self.next_timer is not None else []
        if self.next_lease_expiry_ms is not None and self.next_lease_expiry_ms > now_ms:
            times.append(self.next_lease_expiry_ms)
        return min(times) if times else None


def get_execution(r: EngineResources, arn: str) -> dict[str, Any]:
    """GetDurableExecution: the execution's summary with its input, result and error."""
    with r.read() as tx:
        ex = require_execution(tx, arn)
    return executions.execution_summary(ex, full=True)


def list_executions(
    r: EngineResources,
    function_name: str | None = None,
    *,
    version: str | None = None,
    statuses: list[str] | None = None,
    name: str | None = None,
    started_after: int | None = None,
    started_before: int | None = None,
    marker: str | None = None,
    max_items: int | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    """ListDurableExecutionsByFunction: one page, newest last unless ``reverse``.

    With a ``version`` only executions pinned to it (``$LATEST`` or a number).
    """
    offset = parse_marker(marker)
    limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else 1000
    with r.read() as tx:
        if function_name is not None and tx.get_function(function_name) is None:
            raise ResourceNotFoundException(f"Function not found: {r.function_arn(function_name)}")
        rows = tx.list_executions(
            function_name=function_name,
            version=version,
            statuses=statuses,
            name=name,
            started_after=clamp_ms(started_after),
            started_before=clamp_ms(started_before),
            reverse=reverse,
            limit=limit + 1,
            offset=offset,
        )
    out: dict[str, Any] = {
        "DurableExecutions": [executions.execution_summary(row) for row in rows[:limit]]
    }
    if len(rows) > limit:
        out["NextMarker"] = str(offset + limit)
    return out


def list_version_executions(
    r: EngineResources, function_name: str, version: str, **filters: Any
) -> dict[str, Any]:
    """``list_executions`` of one version (a ``Qualifier``); the same filters and paging."""
    return list_executions(r, function_name, version=version, **filters)


def get_history(
    r: EngineResources,
    arn: str,
    *,
    include_execution_data: bool = False,
    marker: str | None = None,
    max_items: int | None = None,
    reverse: bool = False,
) -> dict[str, Any]:
    """GetDurableExecutionHistory: one page of events, payloads only if asked for."""
    after = parse_marker(marker)
    limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else None
    with r.read() as tx:
        require_execution(tx, arn)
        events = tx.read_events(
            arn, after=after, limit=(limit + 1) if limit else None, reverse=reverse
        )
    out: dict[str, Any] = {}
    if limit is not None and len(events) > limit:
        events = events[:limit]
        out["NextMarker"] = str(events[-1]["EventId"])
    if not include_execution_data:
        events = [executions.strip_payloads(e) for e in events]
    out["Events"] = events
    return out


def get_execution_state(
    r: EngineResources,
    arn: str,
    checkpoint_token: str,
    marker: str | None = None,
    max_items: int | None = None,
) -> dict[str, Any]:
    """GetDurableExecutionState: one page of operations, for the holder of the current token."""
    offset = parse_marker(marker)
    limit = max_items if max_items and 0 < max_items <= _STATE_PAGE else _STATE_PAGE
    with r.read() as tx:
        ex = tx.get_execution(arn) if isinstance(arn, str) else None
        if ex is None or not checkpoint_token or ex.checkpoint_token != checkpoint_token:
            raise InvalidParameterValueException(f"{INVALID_CHECKPOINT_TOKEN}: cannot read state")
        ops = tx.all_operations(arn, offset=offset, limit=limit + 1)
    out: dict[str, Any] = {"Operations": ops[:limit]}
    if len(ops) > limit:
        out["NextMarker"] = str(offset + limit)
    return out


def next_due_ms(r: EngineResources) -> int | None:
    """When the earliest timer falls due, or None if no timer is scheduled."""
    with r.read() as tx:
        return tx.next_due_ms()


def dispatch_outlook(r: EngineResources) -> DispatchOutlook:
    """What an idle dispatcher needs, read in one snapshot (index lookups only).

    Whether anything is runnable now, the earliest timer and the earliest lease expiry.
    """
    with r.read() as tx:
        return DispatchOutlook(
            runnable=bool(tx.has_claimable(r.clock.now_ms())),
            next_timer=tx.next_timer(),
            next_lease_expiry_ms=tx.next_lease_expiry_ms(),
        )
