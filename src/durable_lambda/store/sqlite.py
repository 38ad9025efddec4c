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
import json
import queue
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from typing import Any

from durable_lambda.store.base import (
    ConflictError,
    ExecutionRow,
    StoreBusyError,
    StoreError,
    TransientStoreError,
)
from durable_lambda.store.sqlite_claims import EXEC_COLUMNS as _EXEC_COLUMNS
from durable_lambda.store.sqlite_claims import EXEC_SELECT as _EXEC_SELECT
from durable_lambda.store.sqlite_claims import ClaimQueries
from durable_lambda.store.sqlite_claims import exec_row as _exec_row
from durable_lambda.store.sqlite_checkpointer import WalCheckpointer
from durable_lambda.store.sqlite_writer import GroupCommitWriter

__all__ = ["SqliteStore"]

_UPDATABLE = frozenset(_EXEC_COLUMNS) - {"arn"}
_MAX_INTEGER = 2**63  # SQLite INTEGER is a signed 64-bit value


def _compact_dumps() -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"))`` without building an encoder per call: the
    checkpoint write path encodes two events and one operation per map item. Rows are plain
    JSON trees (never circular), so the C encoder runs without the circularity markers; the
    output is the same string."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(separators=(",", ":")).encode
    encode = make(
        None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii, None, ":", ",",
        False, False, True,
    )
    return lambda value: "".join(encode(value, 0))


_dumps_compact = _compact_dumps()


_TRANSIENT_CODES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_NOMEM")


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
        folder = resources.files("durable_lambda.store").joinpath("migrations/sqlite")
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

    def transaction(self, *, write: bool = True) -> contextlib.AbstractContextManager[SqliteTransaction]:
        if write and self._writer is not None:
            return self._writer.transaction()  # type: ignore[no-any-return]
        return self._own_transaction(write=write)

    def group(self) -> contextlib.AbstractContextManager[None]:
        """Write transactions this thread runs inside the block share one commit at its end
        (``GroupCommitWriter.group``); without group commit, each commits on its own."""
        if self._writer is not None:
            return self._writer.group()  # type: ignore[no-any-return]
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


# Operation and history rows are keyed by one integer, ``(xid << 32) | number`` (migration 0006),
# so an execution's rows are one key range; ``xid`` is the execution's integer key. A transaction
# looks an execution's xid up once (``get_execution`` fetches it with the row) and passes it on.
_KEY_BITS = 32
_KEY_SPAN = (1 << _KEY_BITS) - 1
_GET_EXECUTION = f"SELECT xid, {_EXEC_SELECT} FROM executions WHERE arn = ?"
# ``(xid, op_id)`` is unique: a new operation that exists already (a repeated START) updates the
# row and keeps its key.
_INSERT_OPERATION = (
    "INSERT INTO operations (id, xid, op_id, change_seq, status, body, by_service) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (xid, op_id) DO UPDATE SET change_seq = excluded.change_seq, "
    "status = excluded.status, body = excluded.body, by_service = excluded.by_service"
)
_UPDATE_OPERATION = (
    "UPDATE operations SET change_seq = ?, status = ?, body = ?, by_service = ? WHERE xid = ? AND op_id = ?"
)
_INSERT_EVENT = "INSERT INTO events (id, body) VALUES (?, ?)"
_UPDATE_EXECUTION: dict[tuple[str, ...], str] = {}  # column names -> UPDATE statement


class SqliteTransaction(ClaimQueries):
    """All reads and writes of one use case; committed when the ``with`` block ends."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._xids: dict[str, int] = {}  # arn -> xid, for this transaction only

    def _xid(self, arn: str) -> int | None:
        xid = self._xids.get(arn)
        if xid is None:
            row = self.conn.execute("SELECT xid FROM executions WHERE arn = ?", (arn,)).fetchone()
            if row is None:
                return None
            xid = self._xids[arn] = int(row[0])
        return xid

    def _require_xid(self, arn: str) -> int:
        xid = self._xid(arn)
        if xid is None:
            raise ConflictError(f"no execution {arn}")
        return xid

    # -- executions ------------------------------------------------------------------------
    def get_execution(self, arn: str) -> ExecutionRow | None:
        row = self.conn.execute(_GET_EXECUTION, (arn,)).fetchone()
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
        placeholders = ", ".join("?" for _ in _EXEC_COLUMNS)
        values = [getattr(row, c) for c in _EXEC_COLUMNS]
        self._xids.pop(row.arn, None)
        self.conn.execute(
            f"INSERT INTO executions (xid, {_EXEC_SELECT}) "
            f"VALUES ((SELECT COALESCE(MAX(xid), 0) + 1 FROM executions), {placeholders})", values
        )

    def update_execution(self, arn: str, **changes: Any) -> None:
        if not changes:
            return
        columns = tuple(changes)
        sql = _UPDATE_EXECUTION.get(columns)
        if sql is None:
            unknown = set(columns) - _UPDATABLE
            if unknown:
                raise ValueError(f"unknown execution columns {sorted(unknown)}")
            sql = f"UPDATE executions SET {', '.join(f'{k} = ?' for k in columns)} WHERE arn = ?"
            if len(_UPDATE_EXECUTION) < 512:  # the engine uses a few dozen column sets
                _UPDATE_EXECUTION[columns] = sql
        self.conn.execute(sql, (*changes.values(), arn))

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
        return [name for name, limit in reserved if self.count_running(name, leased_after_ms=now_ms) >= limit]

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
        ranges = [(xid << _KEY_BITS, (xid << _KEY_BITS) | _KEY_SPAN) for xid in map(self._xid, arns) if xid is not None]
        for table in ("operations", "events"):
            self.conn.executemany(f"DELETE FROM {table} WHERE id BETWEEN ? AND ?", ranges)
        for arn in arns:
            self._xids.pop(arn, None)
        for table in ("timers", "callbacks", "executions"):
            self.conn.executemany(f"DELETE FROM {table} WHERE arn = ?", rows)

    def list_executions(self, **filters: Any) -> list[ExecutionRow]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.get("function_name"):
            clauses.append("function_name = ?")
            params.append(filters["function_name"])
        if filters.get("name"):
            clauses.append("name = ?")
            params.append(filters["name"])
        if filters.get("version"):
            clauses.append("version = ?")
            params.append(filters["version"])
        statuses = filters.get("statuses")
        if statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        if filters.get("started_after") is not None:
            clauses.append("start_ms >= ?")
            params.append(filters["started_after"])
        if filters.get("started_before") is not None:
            clauses.append("start_ms <= ?")
            params.append(filters["started_before"])
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if filters.get("reverse") else "ASC"
        sql = f"SELECT {_EXEC_SELECT} FROM executions {where} ORDER BY start_ms {order}, arn {order}"
        limit = filters.get("limit")
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([limit, filters.get("offset", 0)])
        return [r for r in (_exec_row(row) for row in self.conn.execute(sql, params)) if r]

    # -- operations --------------------------------------------------------------------------
    def get_operations(self, arn: str, op_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        xid = self._xid(arn)
        if xid is None:
            return out
        ids = list(dict.fromkeys(op_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cur = self.conn.execute(
                f"SELECT op_id, body FROM operations WHERE xid = ? AND op_id IN ({', '.join('?' for _ in chunk)})",
                [xid, *chunk],
            )
            for op_id, body in cur:
                out[op_id] = json.loads(body)
        return out

    def all_operations(self, arn: str, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        xid = self._xid(arn)
        if xid is None:
            return []
        sql = "SELECT body FROM operations WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ? OFFSET ?"
        low = xid << _KEY_BITS
        cur = self.conn.execute(sql, (low, low | _KEY_SPAN, -1 if limit is None else limit, offset))
        return [json.loads(body) for (body,) in cur]

    def operations_changed_since(
        self, arn: str, change_seq: int, upto: int | None = None
    ) -> list[dict[str, Any]]:
        xid = self._xid(arn)
        if xid is None:
            return []
        # The partial index holds the rows whose latest write was not the handler's own
        # checkpoint (migration 0006); those the handler wrote are never newer than what it saw.
        sql = "SELECT body FROM operations WHERE xid = ? AND by_service = 1 AND change_seq > ?"
        params: list[Any] = [xid, change_seq]
        if upto is not None:
            sql += " AND change_seq <= ?"
            params.append(upto)
        cur = self.conn.execute(sql + " ORDER BY id", params)
        return [json.loads(body) for (body,) in cur]

    def put_operations(self, arn: str, rows: list[tuple[dict[str, Any], int, int]], *, seen: bool = False) -> None:
        """Writes ``(operation, seq, change_seq)`` rows: ``seq`` > 0 is a new operation (its
        creation order), 0 an existing one, which keeps its key."""
        xid = self._require_xid(arn)
        low = xid << _KEY_BITS
        by_service = 0 if seen else 1
        created = [
            (low | seq, xid, op["Id"], change, op["Status"], _dumps_compact(op), by_service)
            for op, seq, change in rows if seq
        ]
        updated = [
            (change, op["Status"], _dumps_compact(op), by_service, xid, op["Id"]) for op, seq, change in rows if not seq
        ]
        for statement, values in ((_INSERT_OPERATION, created), (_UPDATE_OPERATION, updated)):
            if len(values) == 1:  # the common case (one step): execute is cheaper than executemany
                self.conn.execute(statement, values[0])
            elif values:
                self.conn.executemany(statement, values)

    # -- history -----------------------------------------------------------------------------
    def append_events(self, arn: str, events: Sequence[dict[str, Any]]) -> None:
        low = self._require_xid(arn) << _KEY_BITS
        self.conn.executemany(_INSERT_EVENT, [(low | e["EventId"], _dumps_compact(e)) for e in events])

    def read_events(self, arn: str, *, after: int, limit: int | None, reverse: bool) -> list[dict[str, Any]]:
        xid = self._xid(arn)
        if xid is None:
            return []
        low = xid << _KEY_BITS
        high = low | _KEY_SPAN
        after = max(0, after)
        if reverse:
            sql = "SELECT body FROM events WHERE id >= ? AND id < ? ORDER BY id DESC LIMIT ?"
            bounds = (low, low | after if 0 < after <= _KEY_SPAN else high + 1)
        else:
            sql = "SELECT body FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"
            bounds = (low | after if after <= _KEY_SPAN else high, high)
        cur = self.conn.execute(sql, (*bounds, -1 if limit is None else limit))
        return [json.loads(body) for (body,) in cur]

    # -- callbacks ---------------------------------------------------------------------------
    def insert_callback(self, callback_id: str, arn: str, op_id: str, heartbeat_seconds: int) -> None:
        self.conn.execute(
            "INSERT INTO callbacks (callback_id, arn, op_id, heartbeat_seconds) VALUES (?, ?, ?, ?)",
            (callback_id, arn, op_id, heartbeat_seconds),
        )

    def get_callback(self, callback_id: str) -> tuple[str, str, int] | None:
        row = self.conn.execute(
            "SELECT arn, op_id, heartbeat_seconds FROM callbacks WHERE callback_id = ?", (callback_id,)
        ).fetchone()
        return (row[0], row[1], int(row[2])) if row else None

    # -- functions ---------------------------------------------------------------------------
    def put_function(self, name: str, handler: str, config: str, now_ms: int) -> None:
        self.conn.execute(
            "INSERT INTO functions (name, handler, config, updated_ms) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET handler = excluded.handler, config = excluded.config, "
            "updated_ms = excluded.updated_ms",
            (name, handler, config, now_ms),
        )

    def get_function(self, name: str) -> tuple[str, str, str] | None:
        row = self.conn.execute(
            "SELECT name, handler, config FROM functions WHERE name = ?", (name,)
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def list_functions(self) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in self.conn.execute("SELECT name, handler, config FROM functions ORDER BY name")]  # type: ignore[misc]

    def get_reserved_concurrency(self, name: str) -> int | None:
        row = self.conn.execute("SELECT reserved_concurrency FROM functions WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def set_reserved_concurrency(self, name: str, value: int | None) -> bool:
        """Sets (``None``: removes) a function's reserved concurrency; False if no such function."""
        return self.conn.execute(
            "UPDATE functions SET reserved_concurrency = ? WHERE name = ?", (value, name)
        ).rowcount > 0

    def delete_function(self, name: str) -> bool:
        """Deletes the function with its versions and aliases (executions are kept)."""
        self.conn.execute("DELETE FROM aliases WHERE name = ?", (name,))
        self.conn.execute("DELETE FROM function_versions WHERE name = ?", (name,))
        return self.conn.execute("DELETE FROM functions WHERE name = ?", (name,)).rowcount > 0

    # -- versions and aliases ------------------------------------------------------------------
    def publish_version(self, name: str, handler: str, config: str, now_ms: int, version: int | None = None) -> int:
        """Inserts version ``version`` (default: one past the highest stored) and returns its number."""
        if version is None:
            row = self.conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM function_versions WHERE name = ?", (name,)
            ).fetchone()
            version = int(row[0])
        self.conn.execute(
            "INSERT INTO function_versions (name, version, handler, config, created_ms) VALUES (?, ?, ?, ?, ?)",
            (name, version, handler, config, now_ms),
        )
        return version

    def get_version(self, name: str, version: int) -> tuple[str, str] | None:
        if not 0 < version < _MAX_INTEGER:
            return None  # no such version (and beyond what SQLite can bind)
        row = self.conn.execute(
            "SELECT handler, config FROM function_versions WHERE name = ? AND version = ?", (name, version)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def delete_version(self, name: str, version: int) -> bool:
        return self.conn.execute(
            "DELETE FROM function_versions WHERE name = ? AND version = ?", (name, version)
        ).rowcount > 0

    def list_versions(self, name: str) -> list[tuple[int, str, str]]:
        cur = self.conn.execute(
            "SELECT version, handler, config FROM function_versions WHERE name = ? ORDER BY version", (name,)
        )
        return [(int(v), h, c) for v, h, c in cur]

    def put_alias(self, name: str, alias: str, version: str, routing: str, description: str) -> None:
        self.conn.execute(
            "INSERT INTO aliases (name, alias, version, routing, description) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, "
            "routing = excluded.routing, description = excluded.description",
            (name, alias, version, routing, description),
        )

    def get_alias(self, name: str, alias: str) -> tuple[str, str, str] | None:
        row = self.conn.execute(
            "SELECT version, routing, description FROM aliases WHERE name = ? AND alias = ?", (name, alias)
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def delete_alias(self, name: str, alias: str) -> bool:
        return self.conn.execute(
            "DELETE FROM aliases WHERE name = ? AND alias = ?", (name, alias)
        ).rowcount > 0

    def list_aliases(self, name: str) -> list[tuple[str, str, str, str]]:
        cur = self.conn.execute(
            "SELECT alias, version, routing, description FROM aliases WHERE name = ? ORDER BY alias", (name,)
        )
        return [(a, v, r, d) for a, v, r, d in cur]
