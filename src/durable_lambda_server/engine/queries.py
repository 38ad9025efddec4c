"""The read side of the ``Engine``: executions, history, checkpoint state, the next timer.

Reads run in read-only transactions, which in WAL mode never wait for a writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from durable_lambda_server.engine import invocations
from durable_lambda_server.engine.boundary import MAX_PAGE, clamp_ms, parse_marker
from durable_lambda_server.engine.plumbing import EngineCore
from durable_lambda_server.store.base import TimerRow
from durable_lambda_server.wire.errors import (
    INVALID_CHECKPOINT_TOKEN,
    InvalidParameterValueException,
    ResourceNotFoundException,
)

__all__ = ["DispatchOutlook", "ExecutionQueries"]

_STATE_PAGE = 1000


@dataclass(frozen=True)
class DispatchOutlook:
    runnable: bool  # an execution can be claimed right now
    next_timer: TimerRow | None  # the earliest pending timer (any kind)
    next_lease_expiry_ms: int | None  # when the earliest live lease runs out

    def next_wakeup_ms(self, now_ms: int) -> int | None:
        """When work appears without anyone saying so: a timer falls due (an overdue one: now)
        or a lease expires (one that already expired was claimable this round, or is held back
        by a concurrency limit until a completion wakes the dispatcher)."""
        times = [self.next_timer.due_ms] if self.next_timer is not None else []
        if self.next_lease_expiry_ms is not None and self.next_lease_expiry_ms > now_ms:
            times.append(self.next_lease_expiry_ms)
        return min(times) if times else None


class ExecutionQueries(EngineCore):
    def get_execution(self, arn: str) -> dict[str, Any]:
        with self._read() as tx:
            ex = self._require(tx, arn)
        return invocations.execution_summary(ex, full=True)

    def list_executions(
        self,
        function_name: str | None = None,
        *,
        statuses: list[str] | None = None,
        name: str | None = None,
        started_after: int | None = None,
        started_before: int | None = None,
        marker: str | None = None,
        max_items: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        offset = parse_marker(marker)
        limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else 1000
        started_after, started_before = clamp_ms(started_after), clamp_ms(started_before)
        with self._read() as tx:
            if function_name is not None and tx.get_function(function_name) is None:
                raise ResourceNotFoundException(
                    f"Function not found: {self.function_arn(function_name)}"
                )
            rows = tx.list_executions(
                function_name=function_name,
                statuses=statuses,
                name=name,
                started_after=started_after,
                started_before=started_before,
                reverse=reverse,
                limit=limit + 1,
                offset=offset,
            )
        out: dict[str, Any] = {
            "DurableExecutions": [invocations.execution_summary(r) for r in rows[:limit]]
        }
        if len(rows) > limit:
            out["NextMarker"] = str(offset + limit)
        return out

    def list_version_executions(
        self, function_name: str, version: str, **filters: Any
    ) -> dict[str, Any]:
        """ListDurableExecutionsByFunction with a ``Qualifier``: only executions pinned to
        ``version`` (``$LATEST`` or a number). Filters and paging as ``list_executions``."""
        offset = parse_marker(filters.pop("marker", None))
        max_items = filters.pop("max_items", None)
        limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else 1000
        for key in ("started_after", "started_before"):
            filters[key] = clamp_ms(filters.get(key))
        with self._read() as tx:
            if tx.get_function(function_name) is None:
                raise ResourceNotFoundException(
                    f"Function not found: {self.function_arn(function_name)}"
                )
            rows = tx.list_executions(
                function_name=function_name,
                version=version,
                limit=limit + 1,
                offset=offset,
                **filters,
            )
        out: dict[str, Any] = {
            "DurableExecutions": [invocations.execution_summary(r) for r in rows[:limit]]
        }
        if len(rows) > limit:
            out["NextMarker"] = str(offset + limit)
        return out

    def get_history(
        self,
        arn: str,
        *,
        include_execution_data: bool = False,
        marker: str | None = None,
        max_items: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        after = parse_marker(marker)
        limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else None
        with self._read() as tx:
            self._require(tx, arn)
            events = tx.read_events(
                arn, after=after, limit=(limit + 1) if limit else None, reverse=reverse
            )
        out: dict[str, Any] = {}
        if limit is not None and len(events) > limit:
            events = events[:limit]
            out["NextMarker"] = str(events[-1]["EventId"])
        if not include_execution_data:
            events = [invocations.strip_payloads(e) for e in events]
        out["Events"] = events
        return out

    def get_execution_state(
        self,
        arn: str,
        checkpoint_token: str,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> dict[str, Any]:
        offset = parse_marker(marker)
        limit = max_items if max_items and 0 < max_items <= _STATE_PAGE else _STATE_PAGE
        with self._read() as tx:
            ex = tx.get_execution(arn) if isinstance(arn, str) else None
            if ex is None or not checkpoint_token or ex.checkpoint_token != checkpoint_token:
                raise InvalidParameterValueException(
                    f"{INVALID_CHECKPOINT_TOKEN}: cannot read state"
                )
            ops = tx.all_operations(arn, offset=offset, limit=limit + 1)
        out: dict[str, Any] = {"Operations": ops[:limit]}
        if len(ops) > limit:
            out["NextMarker"] = str(offset + limit)
        return out

    def next_due_ms(self) -> int | None:
        with self._read() as tx:
            return tx.next_due_ms()

    def dispatch_outlook(self) -> DispatchOutlook:
        """What an idle dispatcher needs, read in one snapshot: whether anything is runnable now,
        the earliest timer and the earliest lease expiry (index lookups only)."""
        with self._read() as tx:
            return DispatchOutlook(
                runnable=bool(tx.has_claimable(self.clock.now_ms())),
                next_timer=tx.next_timer(),
                next_lease_expiry_ms=tx.next_lease_expiry_ms(),
            )
