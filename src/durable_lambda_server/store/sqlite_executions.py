"""SQLite's unit of work: ``SqliteTransaction``, one per ``SqliteStore.transaction()``.

Execution rows, limits, retention and callbacks live here; operations and history
(``sqlite_rows.py``), claims and timers (``sqlite_claims.py``) and the function registry
(``sqlite_functions.py``) are mixed in. Every method is one or a few indexed statements; nothing
here commits (the store does, when the ``with`` block ends).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from durable_lambda_server.store.base import (
    CallbackRow,
    ExecutionChanges,
    ExecutionRow,
)
from durable_lambda_server.store.sqlite_claims import EXEC_COLUMNS as _EXEC_COLUMNS
from durable_lambda_server.store.sqlite_claims import EXEC_SELECT as _EXEC_SELECT
from durable_lambda_server.store.sqlite_claims import EXEC_SELECT_LEAN as _EXEC_SELECT_LEAN
from durable_lambda_server.store.sqlite_claims import PAYLOAD_COLUMNS as _PAYLOAD_COLUMNS
from durable_lambda_server.store.sqlite_claims import ClaimQueries
from durable_lambda_server.store.sqlite_claims import exec_row as _exec_row
from durable_lambda_server.store.sqlite_functions import FunctionQueries
from durable_lambda_server.store.sqlite_rows import KEY_BITS, KEY_SPAN, RowQueries

__all__ = ["SqliteTransaction"]

_UPDATABLE = frozenset(_EXEC_COLUMNS) - {"arn"}

# An execution's xid is looked up once per transaction (``get_execution`` fetches it with the
# row); operation and history rows are keyed by it (store/sqlite_rows.py).
_GET_EXECUTION = f"SELECT xid, {_EXEC_SELECT} FROM executions WHERE arn = ?"
_GET_EXECUTION_LEAN = f"SELECT xid, {_EXEC_SELECT_LEAN} FROM executions WHERE arn = ?"
_ROW_COLUMNS = [c for c in _EXEC_COLUMNS if c not in _PAYLOAD_COLUMNS]  # stored in the row itself
_UPDATE_EXECUTION: dict[tuple[str, ...], str] = {}  # column names -> UPDATE statement
_MAX_CACHED_UPDATES = 512  # the engine uses a few dozen column sets
_PAYLOAD_COLUMNS_SET = frozenset(_PAYLOAD_COLUMNS)


class SqliteTransaction(ClaimQueries, RowQueries, FunctionQueries):
    """All reads and writes of one use case; committed when the ``with`` block ends."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        """Wraps ``conn``, on which the store has already begun the transaction."""
        self.conn = conn
        self._xids: dict[str, int] = {}  # arn -> xid, for this transaction only

    def get_execution(self, arn: str, *, payloads: bool = True) -> ExecutionRow | None:
        row = self.conn.execute(
            _GET_EXECUTION if payloads else _GET_EXECUTION_LEAN, (arn,)
        ).fetchone()
        if row is None:
            return None
        self._xids[arn] = row[0]
        return ExecutionRow._make(row[1:])

    def find_execution(self, function_name: str, name: str) -> ExecutionRow | None:
        cur = self.conn.execute(
            f"SELECT {_EXEC_SELECT} FROM executions WHERE function_name = ? AND name = ?",
            (function_name, name),
        )
        return _exec_row(cur.fetchone())

    def insert_execution(self, row: ExecutionRow) -> None:
        self._xids.pop(row.arn, None)
        self.conn.execute(
            f"INSERT INTO executions (xid, {', '.join(_ROW_COLUMNS)}) VALUES "
            "((SELECT COALESCE(MAX(xid), 0) + 1 FROM executions), "
            f"{', '.join('?' for _ in _ROW_COLUMNS)})",
            [getattr(row, c) for c in _ROW_COLUMNS],
        )
        self._put_payloads(row.arn, {c: getattr(row, c) for c in _PAYLOAD_COLUMNS})

    def _put_payloads(self, arn: str, values: dict[str, Any]) -> None:
        """Sets some of an execution's input, result and error (their own table, migration 0007).

        A row there exists only once one of them was set, so clearing them all needs none.
        """
        xid = self._require_xid(arn)
        if all(v is None for v in values.values()):
            assignments = ", ".join(f"{c} = NULL" for c in values)
            self.conn.execute(f"UPDATE execution_payloads SET {assignments} WHERE xid = ?", (xid,))
            return
        updates = ", ".join(f"{c} = excluded.{c}" for c in values)
        self.conn.execute(
            f"INSERT INTO execution_payloads (xid, {', '.join(values)}) "
            f"VALUES (?, {', '.join('?' for _ in values)}) "
            f"ON CONFLICT (xid) DO UPDATE SET {updates}",
            (xid, *values.values()),
        )

    def update_execution(self, arn: str, changes: ExecutionChanges) -> None:
        if not changes:
            return
        # The keys are the TypedDict's own (checked by the type checker) or refused below.
        values = cast("dict[str, Any]", changes)
        if not _PAYLOAD_COLUMNS_SET.isdisjoint(values):
            values = dict(values)  # the caller's mapping stays as it was
            self._put_payloads(arn, {c: values.pop(c) for c in _PAYLOAD_COLUMNS if c in values})
            if not values:
                return
        columns = tuple(values)
        sql = _UPDATE_EXECUTION.get(columns)
        if sql is None:
            unknown = set(columns) - _UPDATABLE
            if unknown:
                raise ValueError(f"unknown execution columns {sorted(unknown)}")
            sql = f"UPDATE executions SET {', '.join(f'{k} = ?' for k in columns)} WHERE arn = ?"
            if len(_UPDATE_EXECUTION) < _MAX_CACHED_UPDATES:
                _UPDATE_EXECUTION[columns] = sql
        self.conn.execute(sql, (*values.values(), arn))

    def finished_children(self, parent_arn: str) -> list[ExecutionRow]:
        cur = self.conn.execute(
            f"SELECT {_EXEC_SELECT} FROM executions WHERE parent_arn = ? AND status != 'RUNNING'",
            (parent_arn,),
        )
        return [r for r in (_exec_row(row) for row in cur) if r]

    # -- limits and retention ------------------------------------------------------------------
    def count_running(self, function_name: str, *, leased_after_ms: int | None = None) -> int:
        """RUNNING executions of a function.

        With ``leased_after_ms`` only those holding a lease that is still live then (invocations
        in flight).
        """
        sql = "SELECT COUNT(*) FROM executions WHERE function_name = ? AND status = 'RUNNING'"
        params: list[Any] = [function_name]
        if leased_after_ms is not None:
            sql += " AND lease_token IS NOT NULL AND lease_expires_ms > ?"
            params.append(leased_after_ms)
        return int(self.conn.execute(sql, params).fetchone()[0])

    def functions_at_concurrency_limit(self, now_ms: int) -> list[str]:
        """Functions with a reserved concurrency that many invocations (live leases) in flight."""
        reserved = self.conn.execute(
            "SELECT name, reserved_concurrency FROM functions "
            "WHERE reserved_concurrency IS NOT NULL"
        ).fetchall()
        return [
            name
            for name, limit in reserved
            if self.count_running(name, leased_after_ms=now_ms) >= limit
        ]

    def expired_executions(self, now_ms: int, limit: int) -> list[str]:
        """Finished executions past their retention (not those whose caller still runs)."""
        cur = self.conn.execute(
            "SELECT arn FROM executions AS e WHERE status != 'RUNNING' "
            "AND end_ms + retention_days * 86400000 <= ? "
            "AND NOT EXISTS (SELECT 1 FROM executions AS p "
            "WHERE p.arn = e.parent_arn AND p.status = 'RUNNING') LIMIT ?",
            (now_ms, limit),
        )
        return [arn for (arn,) in cur]

    def delete_executions(self, arns: Sequence[str]) -> None:
        """Deletes executions with their operations, events, timers and callbacks."""
        rows = [(arn,) for arn in arns]
        xids = [xid for xid in map(self._xid, arns) if xid is not None]
        ranges = [(xid << KEY_BITS, (xid << KEY_BITS) | KEY_SPAN) for xid in xids]
        for table in ("operations", "events"):
            self.conn.executemany(f"DELETE FROM {table} WHERE id BETWEEN ? AND ?", ranges)
        self.conn.executemany(
            "DELETE FROM execution_payloads WHERE xid = ?", [(xid,) for xid in xids]
        )
        for arn in arns:
            self._xids.pop(arn, None)
        for table in ("timers", "callbacks", "executions"):
            self.conn.executemany(f"DELETE FROM {table} WHERE arn = ?", rows)

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
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("function_name", function_name),
            ("name", name),
            ("version", version),
        ):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if started_after is not None:
            clauses.append("start_ms >= ?")
            params.append(started_after)
        if started_before is not None:
            clauses.append("start_ms <= ?")
            params.append(started_before)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if reverse else "ASC"
        sql = (
            f"SELECT {_EXEC_SELECT} FROM executions {where} ORDER BY start_ms {order}, arn {order}"
        )
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"  # LIMIT -1: no limit (an offset needs a LIMIT clause)
            params.extend([-1 if limit is None else limit, offset])
        return [r for r in (_exec_row(row) for row in self.conn.execute(sql, params)) if r]

    # -- callbacks ---------------------------------------------------------------------------
    def insert_callback(
        self, callback_id: str, arn: str, op_id: str, heartbeat_seconds: int
    ) -> None:
        self.conn.execute(
            "INSERT INTO callbacks (callback_id, arn, op_id, heartbeat_seconds) "
            "VALUES (?, ?, ?, ?)",
            (callback_id, arn, op_id, heartbeat_seconds),
        )

    def get_callback(self, callback_id: str) -> CallbackRow | None:
        row = self.conn.execute(
            "SELECT arn, op_id, heartbeat_seconds FROM callbacks WHERE callback_id = ?",
            (callback_id,),
        ).fetchone()
        return CallbackRow(row[0], row[1], int(row[2])) if row else None
