"""SQLite store: stdlib ``sqlite3``, WAL, ``BEGIN IMMEDIATE`` writes, numbered migrations.

One connection per transaction from a small pool (the SDK's checkpoint threads come and go; a
connection per thread would leak). ``synchronous=NORMAL`` survives a process kill (the WAL is
fsynced at checkpoints); ``FULL`` also survives power loss. Driver errors are mapped in one
place (``_translate``): busy/locked -> ``StoreBusyError``, full disk and I/O ->
``TransientStoreError``, constraint -> ``ConflictError``. A failed transaction is rolled back
(SQLite may already have done so itself, e.g. on SQLITE_FULL) and a connection left in an
unknown state is closed rather than pooled, so nothing half-written is ever committed later.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from typing import Any, cast

from durable_lambda_server.store.base import (
    CallbackRow,
    ConflictError,
    ExecutionChanges,
    ExecutionRow,
    StoreBusyError,
    StoreError,
    TransientStoreError,
)
from durable_lambda_server.store.sqlite_claims import EXEC_COLUMNS as _EXEC_COLUMNS
from durable_lambda_server.store.sqlite_claims import EXEC_SELECT as _EXEC_SELECT
from durable_lambda_server.store.sqlite_claims import EXEC_SELECT_LEAN as _EXEC_SELECT_LEAN
from durable_lambda_server.store.sqlite_claims import PAYLOAD_COLUMNS as _PAYLOAD_COLUMNS
from durable_lambda_server.store.sqlite_claims import ClaimQueries
from durable_lambda_server.store.sqlite_claims import exec_row as _exec_row
from durable_lambda_server.store.sqlite_checkpointer import WalCheckpointer
from durable_lambda_server.store.sqlite_functions import FunctionQueries
from durable_lambda_server.store.sqlite_rows import KEY_BITS, KEY_SPAN, RowQueries
from durable_lambda_server.store.sqlite_writer import GroupCommitWriter

__all__ = ["SqliteStore"]

_UPDATABLE = frozenset(_EXEC_COLUMNS) - {"arn"}

_TRANSIENT_CODES = (
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_CANTOPEN",
    "SQLITE_PROTOCOL",
    "SQLITE_NOMEM",
)


def _translate(err: sqlite3.Error) -> StoreError:
    text = str(err).lower()
    code = getattr(err, "sqlite_errorname", "") or ""
    if isinstance(err, sqlite3.IntegrityError):
        return ConflictError(str(err))
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
        return StoreBusyError(str(err))
    if code.startswith(_TRANSIENT_CODES) or "disk" in text or "full" in text or "i/o" in text:
        return TransientStoreError(str(err))
    return StoreError(str(err))


def _rollback(conn: sqlite3.Connection) -> None:
    """Rolls back if a transaction is still open (SQLite ends some failed ones by itself)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


class SqliteStore:
    def __init__(
        self,
        path: str,
        *,
        synchronous: str = "NORMAL",
        pool_size: int = 8,
        busy_timeout: float = 30.0,
        on_connect: Callable[[sqlite3.Connection], None] | None = None,
        group_commit: bool = True,
    ) -> None:
        """``busy_timeout``: seconds a transaction waits for another writer before failing with
        ``StoreBusyError``. ``on_connect`` runs on every new connection (extra PRAGMAs; fault
        tests use it to reach the connections). ``group_commit``: concurrent write transactions
        share commits on one write connection (store/sqlite_writer.py); off, every write
        transaction commits on its own pooled connection."""
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"invalid synchronous mode {synchronous!r}")
        self.path = path
        self.busy_timeout = busy_timeout
        self._on_connect = on_connect
        self.synchronous = synchronous.upper()
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._all: list[sqlite3.Connection] = []
        self._pool_size = pool_size
        self._checkpointer: WalCheckpointer | None = None
        self._writer: GroupCommitWriter | None = None
        if group_commit:
            # A thread copies the WAL back ahead of SQLite's inline checkpoints (decision 0009).
            self._checkpointer = WalCheckpointer(self._connect)
            self._writer = GroupCommitWriter(
                self._connect, _translate, SqliteTransaction, on_commit=self._checkpointer.committed
            )
        conn = self._connect()
        try:
            self._migrate(conn)
        finally:
            self._pool.put(conn)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        if self._on_connect is not None:
            self._on_connect(conn)
        self._all.append(conn)
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        folder = resources.files("durable_lambda_server.store").joinpath("migrations/sqlite")
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.name.endswith(".sql"):
                continue
            version = int(entry.name.split("_", 1)[0])
            if version in applied:
                continue
            script = entry.read_text()
            # One transaction per migration file: a failed file leaves the schema at the previous version.
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    (version, entry.name),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def schema_version(self) -> int:
        with self._connection() as conn:
            row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            return int(row[0] or 0)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            try:
                conn = self._connect()
            except sqlite3.Error as err:
                raise _translate(err) from err
        try:
            yield conn
        finally:
            if not conn.in_transaction and self._pool.qsize() < self._pool_size:
                self._pool.put(conn)
            else:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
                with contextlib.suppress(ValueError):
                    self._all.remove(conn)

    def transaction(
        self, *, write: bool = True
    ) -> contextlib.AbstractContextManager[SqliteTransaction]:
        if write and self._writer is not None:
            return self._writer.transaction()
        return self._own_transaction(write=write)

    def group(self) -> contextlib.AbstractContextManager[None]:
        """Write transactions this thread runs inside the block share one commit at its end
        (``GroupCommitWriter.group``); without group commit, each commits on its own."""
        if self._writer is not None:
            return self._writer.group()
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _own_transaction(self, *, write: bool) -> Iterator[SqliteTransaction]:
        with self._connection() as conn:
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.Error as err:
                _rollback(conn)
                raise _translate(err) from err
            try:
                yield SqliteTransaction(conn)
            except sqlite3.Error as err:
                _rollback(conn)
                raise _translate(err) from err
            except BaseException:
                _rollback(conn)
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as err:
                _rollback(conn)
                raise _translate(err) from err

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._writer is not None:
            self._writer.close()
        for conn in self._all:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._all.clear()


def _split_sql(script: str) -> list[str]:
    # Our migration files contain no string literal with "--", so comments can be cut per line.
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


# An execution's xid is looked up once per transaction (``get_execution`` fetches it with the
# row); operation and history rows are keyed by it (store/sqlite_rows.py).
_GET_EXECUTION = f"SELECT xid, {_EXEC_SELECT} FROM executions WHERE arn = ?"
_GET_EXECUTION_LEAN = f"SELECT xid, {_EXEC_SELECT_LEAN} FROM executions WHERE arn = ?"
_ROW_COLUMNS = [c for c in _EXEC_COLUMNS if c not in _PAYLOAD_COLUMNS]  # stored in the row itself
_UPDATE_EXECUTION: dict[tuple[str, ...], str] = {}  # column names -> UPDATE statement
_PAYLOAD_COLUMNS_SET = frozenset(_PAYLOAD_COLUMNS)


class SqliteTransaction(ClaimQueries, RowQueries, FunctionQueries):
    """All reads and writes of one use case; committed when the ``with`` block ends."""

    def __init__(self, conn: sqlite3.Connection) -> None:
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
            f"((SELECT COALESCE(MAX(xid), 0) + 1 FROM executions), {', '.join('?' for _ in _ROW_COLUMNS)})",
            [getattr(row, c) for c in _ROW_COLUMNS],
        )
        self._put_payloads(row.arn, {c: getattr(row, c) for c in _PAYLOAD_COLUMNS})

    def _put_payloads(self, arn: str, values: dict[str, Any]) -> None:
        """Sets some of an execution's input, result and error (their own table, migration 0007);
        a row there exists only once one of them was set, so clearing them all needs none."""
        xid = self._require_xid(arn)
        if all(v is None for v in values.values()):
            assignments = ", ".join(f"{c} = NULL" for c in values)
            self.conn.execute(f"UPDATE execution_payloads SET {assignments} WHERE xid = ?", (xid,))
            return
        updates = ", ".join(f"{c} = excluded.{c}" for c in values)
        self.conn.execute(
            f"INSERT INTO execution_payloads (xid, {', '.join(values)}) VALUES (?, {', '.join('?' for _ in values)}) "
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
            if len(_UPDATE_EXECUTION) < 512:  # the engine uses a few dozen column sets
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
        """RUNNING executions of a function; with ``leased_after_ms`` only those holding a lease
        that is still live then (invocations in flight)."""
        sql = "SELECT COUNT(*) FROM executions WHERE function_name = ? AND status = 'RUNNING'"
        params: list[Any] = [function_name]
        if leased_after_ms is not None:
            sql += " AND lease_token IS NOT NULL AND lease_expires_ms > ?"
            params.append(leased_after_ms)
        return int(self.conn.execute(sql, params).fetchone()[0])

    def functions_at_concurrency_limit(self, now_ms: int) -> list[str]:
        """Functions with a reserved concurrency that many invocations (live leases) in flight."""
        reserved = self.conn.execute(
            "SELECT name, reserved_concurrency FROM functions WHERE reserved_concurrency IS NOT NULL"
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
            "AND end_ms + retention_days * 86400000 <= ? AND NOT EXISTS (SELECT 1 FROM executions AS p "
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
            "INSERT INTO callbacks (callback_id, arn, op_id, heartbeat_seconds) VALUES (?, ?, ?, ?)",
            (callback_id, arn, op_id, heartbeat_seconds),
        )

    def get_callback(self, callback_id: str) -> CallbackRow | None:
        row = self.conn.execute(
            "SELECT arn, op_id, heartbeat_seconds FROM callbacks WHERE callback_id = ?",
            (callback_id,),
        ).fetchone()
        return CallbackRow(row[0], row[1], int(row[2])) if row else None
