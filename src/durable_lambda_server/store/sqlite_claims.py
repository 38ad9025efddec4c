"""The dispatcher's queries on the SQLite store: claimable executions, leases and timers.

Every query the dispatcher runs on each round is an index lookup, so a round costs the same with
10 or 100,000 suspended executions (migration 0004): runnable executions come from two partial
indexes (``executions_to_invoke``: wants an invocation, no lease; ``executions_leased``: holds a
lease, ordered by expiry), timers from ``timers_due``. The partial-index conditions are repeated
verbatim in the queries, as SQLite needs to use those indexes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from durable_lambda_server.store.base import ExecutionRow, TimerRow

__all__ = [
    "EXEC_COLUMNS",
    "EXEC_SELECT",
    "EXEC_SELECT_LEAN",
    "PAYLOAD_COLUMNS",
    "ClaimQueries",
    "exec_row",
]

EXEC_COLUMNS = list(ExecutionRow._fields)
# An execution's input, result and error live in ``execution_payloads`` (migration 0007): the
# row's select list reads them with a primary-key probe each; ``EXEC_SELECT_LEAN`` leaves them
# NULL for the checkpoint, which never reads them.
PAYLOAD_COLUMNS = ("input_payload", "result", "error")
EXEC_SELECT = ", ".join(
    f"(SELECT {c} FROM execution_payloads WHERE xid = executions.xid)"
    if c in PAYLOAD_COLUMNS
    else c
    for c in EXEC_COLUMNS
)
EXEC_SELECT_LEAN = ", ".join("NULL" if c in PAYLOAD_COLUMNS else c for c in EXEC_COLUMNS)

_TO_INVOKE = "status = 'RUNNING' AND needs_invoke = 1 AND lease_token IS NULL"
_LEASED = "status = 'RUNNING' AND lease_token IS NOT NULL"
# Named explicitly: without ANALYZE statistics the planner prefers the (status, needs_invoke)
# index, which reads every RUNNING row for the lease queries.
_BY_START = "executions INDEXED BY executions_to_invoke"
_BY_EXPIRY = "executions INDEXED BY executions_leased"


def exec_row(row: Sequence[Any] | None) -> ExecutionRow | None:
    """Builds an ``ExecutionRow`` from a row selected with ``EXEC_SELECT`` (None stays None)."""
    if row is None:
        return None
    return ExecutionRow._make(row)


class ClaimQueries:
    """Mixed into ``SqliteTransaction``: claims, lease expiry and timers."""

    conn: sqlite3.Connection

    # -- claims ------------------------------------------------------------------------------
    def claimable_execution(
        self, now_ms: int, arn: str | None = None, exclude_functions: Sequence[str] = ()
    ) -> ExecutionRow | None:
        """The oldest runnable execution, or None.

        Runnable: running and wanting an invocation without holding a lease, or holding a lease
        that expired by ``now_ms`` (its runtime died). Functions in ``exclude_functions`` (at
        their reserved concurrency) are skipped.
        """
        skip, skip_params = "", list(exclude_functions)
        if skip_params:
            skip = f" AND function_name NOT IN ({', '.join('?' for _ in skip_params)})"
        if arn is not None:
            row = self.conn.execute(
                f"SELECT {EXEC_SELECT} FROM executions WHERE arn = ? AND status = 'RUNNING' "
                "AND ((needs_invoke = 1 AND lease_token IS NULL) "
                f"OR (lease_token IS NOT NULL AND lease_expires_ms <= ?)){skip}",
                [arn, now_ms, *skip_params],
            ).fetchone()
            return exec_row(row)
        fresh = exec_row(
            self.conn.execute(
                f"SELECT {EXEC_SELECT} FROM {_BY_START} "
                f"WHERE {_TO_INVOKE}{skip} ORDER BY start_ms LIMIT 1",
                skip_params,
            ).fetchone()
        )
        expired = exec_row(
            self.conn.execute(
                f"SELECT {EXEC_SELECT} FROM {_BY_EXPIRY} "
                f"WHERE {_LEASED} AND lease_expires_ms <= ?{skip} "
                "ORDER BY lease_expires_ms LIMIT 1",
                [now_ms, *skip_params],
            ).fetchone()
        )
        if fresh is None or (expired is not None and expired.start_ms < fresh.start_ms):
            return expired
        return fresh

    def has_claimable(self, now_ms: int) -> bool:
        """Whether any execution is runnable now (two index probes)."""
        if self.conn.execute(f"SELECT 1 FROM {_BY_START} WHERE {_TO_INVOKE} LIMIT 1").fetchone():
            return True
        row = self.conn.execute(
            f"SELECT 1 FROM {_BY_EXPIRY} WHERE {_LEASED} AND lease_expires_ms <= ? LIMIT 1",
            (now_ms,),
        ).fetchone()
        return row is not None

    def next_lease_expiry_ms(self) -> int | None:
        """When the earliest live lease runs out.

        Its execution becomes claimable then if the lease is not renewed.
        """
        row = self.conn.execute(
            f"SELECT MIN(lease_expires_ms) FROM {_BY_EXPIRY} WHERE {_LEASED}"
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    # -- timers ------------------------------------------------------------------------------
    def schedule_timer(self, arn: str, op_id: str, kind: str, due_ms: int) -> None:
        self.conn.execute(
            "INSERT INTO timers (arn, op_id, kind, due_ms) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (arn, op_id, kind) DO UPDATE SET due_ms = excluded.due_ms",
            (arn, op_id, kind, due_ms),
        )

    def cancel_timers(
        self, arn: str, op_id: str | None = None, kinds: Sequence[str] | None = None
    ) -> None:
        sql = "DELETE FROM timers WHERE arn = ?"
        params: list[Any] = [arn]
        if op_id is not None:
            sql += " AND op_id = ?"
            params.append(op_id)
        if kinds:
            sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
            params.extend(kinds)
        self.conn.execute(sql, params)

    def due_timers(self, now_ms: int, limit: int) -> list[TimerRow]:
        cur = self.conn.execute(
            "SELECT arn, op_id, kind, due_ms FROM timers WHERE due_ms <= ? ORDER BY due_ms LIMIT ?",
            (now_ms, limit),
        )
        return [TimerRow(*row) for row in cur]

    def next_due_ms(self) -> int | None:
        row = self.conn.execute("SELECT MIN(due_ms) FROM timers").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def next_timer(self) -> TimerRow | None:
        """The earliest pending timer (kind included: skip-time only jumps to some kinds)."""
        row = self.conn.execute(
            "SELECT arn, op_id, kind, due_ms FROM timers ORDER BY due_ms LIMIT 1"
        ).fetchone()
        return TimerRow(*row) if row else None

    def has_timers(self, arn: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM timers WHERE arn = ? LIMIT 1", (arn,)).fetchone()
            is not None
        )

    def timer_due_ms(self, arn: str, op_id: str, kind: str) -> int | None:
        row = self.conn.execute(
            "SELECT due_ms FROM timers WHERE arn = ? AND op_id = ? AND kind = ?", (arn, op_id, kind)
        ).fetchone()
        return int(row[0]) if row else None

    def timer_exists(self, arn: str, op_id: str, kind: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM timers WHERE arn = ? AND op_id = ? AND kind = ?", (arn, op_id, kind)
        ).fetchone()
        return row is not None
