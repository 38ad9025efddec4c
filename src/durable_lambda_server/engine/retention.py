"""Retention: deleting executions that finished more than ``RetentionPeriodInDays`` ago.

They are deleted with everything they own, by the dispatcher a batch at a time.
"""

from __future__ import annotations

from durable_lambda_server.engine.resources import EngineResources

__all__ = ["delete_expired_executions"]


def delete_expired_executions(r: EngineResources, limit: int = 100) -> int:
    """Deletes up to ``limit`` executions past their retention; returns how many.

    Those that finished more than their ``RetentionPeriodInDays`` ago go with their operations,
    history, timers and callbacks. Running executions are never touched.
    """
    with r.write() as tx:
        arns = tx.expired_executions(r.clock.now_ms(), limit)
        if arns:
            tx.delete_executions(arns)
    return len(arns)
