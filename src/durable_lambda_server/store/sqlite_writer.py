"""Group commit: the write transactions of concurrent use cases share one SQLite commit.

SQLite admits one writer at a time, so concurrent write transactions queue anyway; what each
one pays on its own is the commit (a WAL append, and with ``synchronous=FULL`` an fsync). Here
every write use case runs on the store's one write connection, under a lock, inside a
savepoint of a transaction that stays open while other use cases are waiting for the lock: the
last use case of such a run commits them all at once. A use case returns only after the commit
that contains it succeeded, so an acknowledged write is as durable as before; if that commit
fails, every use case in it fails with the error (none of their writes is kept), and a use case
that fails on its own is rolled back to its savepoint without touching the others.

``group()`` does the same on purpose for one thread: the use cases it runs inside the block
share the commit made when the block ends (the worker call server answers every ready worker's
checkpoint that way, runtime/call_server.py); each still rolls back alone if it fails.

With no other writer waiting (a single thread, or an idle server) a use case commits at once,
exactly as a plain ``BEGIN IMMEDIATE .. COMMIT`` (the savepoint is only taken when the
transaction already holds another use case's writes). One connection for all writes also keeps
its page cache warm: no other connection of this process changes the database under it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

from durable_lambda_server.store.base import StoreError

__all__ = ["GroupCommitWriter"]

MAX_BATCH = 64  # use cases per commit: bounds how long the first of them waits


class _Batch:
    """One open transaction's use cases.

    ``done`` is made only when a use case has to wait for another one's commit (writer lock
    held), so a lone use case pays for no event.
    """

    __slots__ = ("done", "error", "members")

    def __init__(self) -> None:
        self.members = 0
        self.error: StoreError | None = None
        self.done: threading.Event | None = None

    def follower(self) -> _Batch:
        if self.done is None:
            self.done = threading.Event()
        return self

    def settle(self, error: StoreError | None = None) -> None:
        self.error = error
        if self.done is not None:
            self.done.set()


class GroupCommitWriter:
    """Runs write use cases on one connection and commits them in groups.

    ``connect`` opens the write connection (lazily, again after a failure closed it);
    ``translate`` maps driver errors to store errors; ``wrap`` builds the transaction object a
    use case receives from the connection.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        translate: Callable[[sqlite3.Error], StoreError],
        wrap: Callable[[sqlite3.Connection], Any],
        *,
        max_batch: int = MAX_BATCH,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        """Prepares the writer; the write connection is opened by the first use case.

        ``max_batch`` bounds the use cases per commit; ``on_commit`` runs after each commit
        (the WAL checkpointer counts them).
        """
        self._on_commit = on_commit
        self._connect = connect
        self._translate = translate
        self._wrap = wrap
        self._max_batch = max_batch
        self._lock = threading.Lock()  # held by the use case running on the connection
        self._count_lock = threading.Lock()
        self._waiting = 0  # threads queued for ``_lock``: if any, the next one joins the batch
        self._owner: int | None = None
        self._conn: sqlite3.Connection | None = None
        self._batch: _Batch | None = None
        self._group_thread: int | None = None  # the thread inside ``group()``, if any
        self._group_lost: StoreError | None = None  # the group's earlier writes were lost
        self._group_members = 0  # use cases of the group in the open batch
        self.commits = 0  # diagnostics (tests, benchmarks): commits and use cases written
        self.use_cases = 0

    @contextlib.contextmanager
    def group(self) -> Iterator[None]:
        """Write use cases this thread runs inside the block share one commit, made at its end.

        The write lock is held meanwhile, so keep the block short.

        A use case inside the block returns before that commit: its caller must not acknowledge
        anything until the block has exited without an error. A use case that fails is rolled
        back alone; if SQLite lost the whole transaction (a full disk), or the final commit
        fails, the block raises the ``StoreError`` and none of the block's writes is kept.
        """
        ident = threading.get_ident()
        if ident in (self._group_thread, self._owner):
            yield  # already inside a group or a use case on this thread: part of it
            return
        self._acquire()
        self._group_thread = ident
        self._group_lost = None
        self._group_members = 0
        try:
            yield
            lost, self._group_lost = self._group_lost, None
            if lost is not None:
                raise lost
            self._settle(counted=False, force=True)
        except BaseException:
            if self._batch is not None:
                self._fail_batch(StoreError("the transaction was rolled back"))
            raise
        finally:
            self._group_thread = None
            self._lock.release()

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        return _UseCase(self)

    @contextlib.contextmanager
    def _grouped_use_case(self) -> Iterator[Any]:
        """One use case inside ``group()`` (the lock is held).

        Always in a savepoint, so that its failure takes back its own writes only; the commit is
        the group's.
        """
        if self._group_lost is not None:  # the group's commit is lost already: run nothing more
            raise self._group_lost
        self._owner = threading.get_ident()
        try:
            conn, _ = self._begin(savepoint=True)
            with self._body(conn, joined=True) as tx:
                yield tx
            assert self._batch is not None
            self._batch.members += 1
            self._group_members += 1
        finally:
            self._owner = None

    def _acquire(self) -> None:
        """Takes the write lock, counted as waiting meanwhile (``_settle`` waits for waiters)."""
        with self._count_lock:
            self._waiting += 1
        self._lock.acquire()
        with self._count_lock:
            self._waiting -= 1

    # -- the pieces, all run while holding ``_lock`` -------------------------------------------
    def _require_conn(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self._conn = self._connect()
            except sqlite3.Error as err:
                raise self._translate(err) from err
        return self._conn

    def _begin(self, *, savepoint: bool = False) -> tuple[sqlite3.Connection, bool]:
        """Opens the batch's transaction if none is open.

        Returns the connection and whether this use case runs inside a savepoint (it joins other
        use cases' writes, or ``savepoint`` asks for one: the use cases of a ``group()``).
        """
        conn = self._require_conn()
        if self._batch is None:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:  # busy: another process holds the write lock
                self._rollback()
                raise self._translate(err) from err
            self._batch = _Batch()
            if not savepoint:
                return conn, False
        self._batch_statement(conn, "SAVEPOINT use_case")
        return conn, True

    def _batch_statement(self, conn: sqlite3.Connection, sql: str) -> None:
        """A statement the open batch depends on: if it fails, the whole batch fails with it."""
        try:
            conn.execute(sql)
        except sqlite3.Error as err:
            error = self._translate(err)
            self._fail_batch(error)
            raise error from err

    @contextlib.contextmanager
    def _body(self, conn: sqlite3.Connection, *, joined: bool) -> Iterator[Any]:
        """Runs one use case's writes.

        On failure takes them back (``_undo``); on success releases its savepoint, if it has one.
        """
        try:
            yield self._wrap(conn)
        except BaseException as exc:
            self._undo(conn, joined=joined, exc=exc)
            if isinstance(exc, sqlite3.Error):
                raise self._translate(exc) from exc
            raise
        if joined:
            self._batch_statement(conn, "RELEASE use_case")

    def _undo(self, conn: sqlite3.Connection, *, joined: bool, exc: BaseException) -> None:
        """Takes back the failed use case's writes, and only those while the batch survives."""
        if self._batch is None:
            return
        if not joined:  # it opened the transaction: nobody else's writes are in it
            self._batch = None
            self._rollback()
            return
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK TO use_case")
                conn.execute("RELEASE use_case")
            except sqlite3.Error:
                pass
            else:
                if self._group_thread is None:
                    with contextlib.suppress(StoreError):
                        self._settle(counted=False)  # the others' commit is not its to report
                return
        # SQLite ended the whole transaction itself (a full disk, an I/O error): the writes of
        # the use cases waiting for this batch's commit are gone too.
        error = self._translate(exc) if isinstance(exc, sqlite3.Error) else None
        self._fail_batch(error or StoreError("the transaction was rolled back"))

    def _settle(self, *, counted: bool, force: bool = False) -> _Batch | None:
        """After a use case: commits the batch unless another writer is queued.

        The batch then stays open for it. Returns the batch a succeeded use case must wait for,
        or None once it is committed.
        """
        batch = self._batch
        if batch is None:
            return None
        if counted:
            batch.members += 1
        with self._count_lock:
            others_queued = self._waiting > 0
        if others_queued and batch.members < self._max_batch and not force:
            return batch.follower() if counted else None
        self._batch = None
        if batch.members == 0:  # only failed use cases: nothing to commit
            self._rollback()
            return None
        try:
            assert self._conn is not None
            self._conn.execute("COMMIT")
        except sqlite3.Error as err:
            error = self._translate(err)
            self._rollback()
            batch.settle(error)
            raise error from err
        self.commits += 1
        self.use_cases += batch.members
        if self._on_commit is not None:
            self._on_commit()
        batch.settle()
        return None

    def _fail_batch(self, error: StoreError) -> None:
        batch, self._batch = self._batch, None
        if self._group_thread is not None and self._group_members:
            self._group_lost = error  # writes of use cases the group already ran are gone
        self._group_members = 0
        self._rollback()
        if batch is not None:
            batch.settle(error)

    def _rollback(self) -> None:
        conn = self._conn
        if conn is not None and conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                self._abandon()

    def _abandon(self) -> None:
        """A connection in an unknown state is closed; the next use case opens a new one."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def close(self) -> None:
        with self._lock:
            self._batch = None
            self._rollback()
            self._abandon()


class _UseCase:
    """``GroupCommitWriter.transaction()``: one write use case.

    A class rather than a generator context manager, as every checkpoint enters one (it saves a
    few microseconds per step).
    """

    __slots__ = ("_conn", "_grouped", "_joined", "_nested", "_writer")

    def __init__(self, writer: GroupCommitWriter) -> None:
        self._writer = writer
        self._nested = False
        self._grouped: contextlib.AbstractContextManager[Any] | None = None

    def __enter__(self) -> Any:
        w = self._writer
        ident = threading.get_ident()
        if w._owner == ident:
            # A write use case opened inside another one on the same thread: part of it.
            self._nested = True
            return w._wrap(w._require_conn())
        if w._group_thread == ident:
            self._grouped = w._grouped_use_case()
            return self._grouped.__enter__()
        w._acquire()
        w._owner = ident
        try:
            self._conn, self._joined = w._begin()
        except BaseException:
            w._owner = None
            w._lock.release()
            raise
        return w._wrap(self._conn)

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if self._nested:
            return False
        if self._grouped is not None:
            return bool(self._grouped.__exit__(exc_type, exc, tb))
        w = self._writer
        follow: _Batch | None = None
        try:
            if exc is not None:
                w._undo(self._conn, joined=self._joined, exc=exc)
                if isinstance(exc, sqlite3.Error):
                    raise w._translate(exc) from exc
                return False
            if self._joined:
                w._batch_statement(self._conn, "RELEASE use_case")
            follow = w._settle(counted=True)
        finally:
            w._owner = None
            w._lock.release()
        if follow is not None:  # its writes are in the batch a later use case commits
            assert follow.done is not None
            follow.done.wait()
            if follow.error is not None:
                raise follow.error
        return False
