"""Retention: executions that finished more than their ``RetentionPeriodInDays`` ago are deleted
with everything they own (run by the dispatcher a batch at a time)."""

from __future__ import annotations

from durable_lambda_server.engine.resources import EngineResources

__all__ = ["delete_expired_executions"]


def delete_expired_executions(r: EngineResources, limit: int = 100) -> int:
    """Retention: deletes up to ``limit`` executions that finished more than their
    ``RetentionPeriodInDays`` ago (row, operations, history, timers, callbacks). Running
    executions are never touched. Returns how many were deleted."""
    with r.write() as tx:
        arns = tx.expired_executions(r.clock.now_ms(), limit)
        if arns:
            tx.delete_executions(arns)
    return len(arns)
