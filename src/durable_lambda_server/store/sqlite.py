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
from collections.abc import Callable, Iterator
from importlib import resources

from durable_lambda_server.store.base import (
    ConflictError,
    StoreBusyError,
    StoreError,
    TransientStoreError,
)
from durable_lambda_server.store.sqlite_checkpointer import WalCheckpointer
from durable_lambda_server.store.sqlite_executions import SqliteTransaction
from durable_lambda_server.store.sqlite_writer import GroupCommitWriter

__all__ = ["SqliteStore", "SqliteTransaction"]

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
    """The SQLite implementation of ``Store``: one database file, migrated to head on open."""

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
        """Opens (creating if needed) and migrates the database at ``path``.

        ``busy_timeout``: seconds a transaction waits for another writer before failing with
        ``StoreBusyError``. ``on_connect`` runs on every new connection (extra PRAGMAs; fault
        tests use it to reach the connections). ``group_commit``: concurrent write transactions
        share commits on one write connection (store/sqlite_writer.py); off, every write
        transaction commits on its own pooled connection.
        """
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
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
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
            # One transaction per migration file: a failed file leaves the schema at the previous
            # version.
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
        """Write transactions this thread runs inside the block share one commit at its end.

        See ``GroupCommitWriter.group``; without group commit, each commits on its own.
        """
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
