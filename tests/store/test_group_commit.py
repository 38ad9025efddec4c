"""Group commit (store/sqlite_writer.py): concurrent write transactions share a commit, a use
case returns only once its writes are committed, and failures stay with their owners: a use case
that fails alone is rolled back alone, a commit that fails fails every use case in it."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from durable_lambda_server.store import ConflictError, SqliteStore


def _store(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        tx.conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        tx.conn.execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, "
            "parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    return store


def _rows(store: SqliteStore, table: str) -> list[int]:
    with store.transaction(write=False) as tx:
        return [r[0] for r in tx.conn.execute(f"SELECT id FROM {table} ORDER BY id")]


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


class _Writer(threading.Thread):
    """Runs one write use case on a thread; records its outcome."""

    def __init__(self, store: SqliteStore, body: Callable[[Any], None]) -> None:
        super().__init__(daemon=True)
        self.store, self.body = store, body
        self.error: BaseException | None = None
        self.finished = threading.Event()

    def run(self) -> None:
        try:
            with self.store.transaction() as tx:
                self.body(tx)
        except BaseException as err:  # recorded for the test
            self.error = err
        finally:
            self.finished.set()


def _queued_behind(
    store: SqliteStore,
    first_inside: threading.Event,
    release_first: threading.Event,
    *bodies: Callable[[Any], None],
) -> list[_Writer]:
    """Starts a use case that holds the writer until the others are queued for it."""

    def hold(tx: Any) -> None:
        tx.conn.execute("INSERT INTO parent (id) VALUES (1)")
        first_inside.set()
        release_first.wait(10)

    writers = [_Writer(store, hold)]
    writers[0].start()
    first_inside.wait(10)
    writer = store._writer
    assert writer is not None
    for i, body in enumerate(bodies, start=1):
        w = _Writer(store, body)
        w.start()
        writers.append(w)
        _until(lambda i=i: writer._waiting == i)
    release_first.set()
    for w in writers:
        w.join(10)
        assert not w.is_alive()
    return writers


def test_queued_use_cases_share_one_commit(tmp_path: Path) -> None:
    store = _store(tmp_path)
    writer = store._writer
    assert writer is not None
    before = writer.commits
    writers = _queued_behind(
        store,
        threading.Event(),
        threading.Event(),
        lambda tx: tx.conn.execute("INSERT INTO parent (id) VALUES (2)"),
        lambda tx: tx.conn.execute("INSERT INTO parent (id) VALUES (3)"),
    )
    assert [w.error for w in writers] == [None, None, None]
    assert _rows(store, "parent") == [1, 2, 3]
    assert writer.commits - before < 3  # the first use case waited for a later one's commit


def test_a_failing_use_case_is_rolled_back_alone(tmp_path: Path) -> None:
    store = _store(tmp_path)

    def fails(tx: Any) -> None:
        tx.conn.execute("INSERT INTO parent (id) VALUES (2)")
        raise ValueError("the use case's own error")

    writers = _queued_behind(store, threading.Event(), threading.Event(), fails)
    assert writers[0].error is None
    assert isinstance(writers[1].error, ValueError)
    assert _rows(store, "parent") == [1]


def test_a_failed_commit_fails_every_use_case_in_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    # A deferred foreign key is checked at COMMIT: the last use case's orphan makes it fail.
    writers = _queued_behind(
        store,
        threading.Event(),
        threading.Event(),
        lambda tx: tx.conn.execute("INSERT INTO child (id, parent) VALUES (10, 99)"),
    )
    assert isinstance(writers[0].error, ConflictError)
    assert isinstance(writers[1].error, ConflictError)
    assert _rows(store, "parent") == [] and _rows(store, "child") == []
    with store.transaction() as tx:  # and the writer works again afterwards
        tx.conn.execute("INSERT INTO parent (id) VALUES (5)")
    assert _rows(store, "parent") == [5]


def test_a_use_case_sees_its_writes_committed_when_it_returns(tmp_path: Path) -> None:
    store = _store(tmp_path)
    seen: list[list[int]] = []

    def write(i: int) -> None:
        with store.transaction() as tx:
            tx.conn.execute("INSERT INTO parent (id) VALUES (?)", (i,))
        other = sqlite3.connect(tmp_path / "s.db")  # another process's view
        seen.append([r[0] for r in other.execute("SELECT id FROM parent WHERE id = ?", (i,))])
        other.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(1, 41)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all(len(s) == 1 for s in seen) and len(seen) == 40


def test_nested_write_on_the_same_thread_joins_the_outer_one(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.conn.execute("INSERT INTO parent (id) VALUES (1)")
        with store.transaction() as inner:
            inner.conn.execute("INSERT INTO parent (id) VALUES (2)")
        raise RuntimeError("the outer use case fails: the inner writes go too")
    assert _rows(store, "parent") == []


def test_group_commit_can_be_switched_off(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"), group_commit=False)
    assert store._writer is None
    with store.transaction() as tx:
        tx.schedule_timer("arn", "op", "wait", 10)
    with store.transaction(write=False) as tx:
        assert tx.next_due_ms() == 10


def _other_view(tmp_path: Path) -> list[int]:
    """What another connection (another process) sees committed in ``parent``."""
    other = sqlite3.connect(tmp_path / "s.db")
    try:
        return [r[0] for r in other.execute("SELECT id FROM parent ORDER BY id")]
    finally:
        other.close()


def test_use_cases_inside_group_share_the_commit_at_its_end(tmp_path: Path) -> None:
    store = _store(tmp_path)
    writer = store._writer
    assert writer is not None
    before = writer.commits
    with store.group():
        for i in (1, 2, 3):
            with store.transaction() as tx:
                tx.conn.execute("INSERT INTO parent (id) VALUES (?)", (i,))
        assert (
            _other_view(tmp_path) == []
        )  # returned, but not committed yet: not to be acknowledged
    assert _other_view(tmp_path) == [1, 2, 3]
    assert writer.commits - before == 1


def test_a_failing_use_case_inside_group_is_rolled_back_alone(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.group():
        with store.transaction() as tx:
            tx.conn.execute("INSERT INTO parent (id) VALUES (1)")
        with pytest.raises(ValueError), store.transaction() as tx:
            tx.conn.execute("INSERT INTO parent (id) VALUES (2)")
            raise ValueError("this use case's own error")
        with store.transaction() as tx:
            tx.conn.execute("INSERT INTO parent (id) VALUES (3)")
    assert _rows(store, "parent") == [1, 3]


def test_a_group_whose_commit_fails_keeps_none_of_its_writes(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(ConflictError), store.group():
        with store.transaction() as tx:
            tx.conn.execute("INSERT INTO parent (id) VALUES (1)")
        with store.transaction() as tx:  # deferred foreign key: fails at the group's COMMIT
            tx.conn.execute("INSERT INTO child (id, parent) VALUES (10, 99)")
    assert _rows(store, "parent") == [] and _rows(store, "child") == []
    with store.transaction() as tx:  # the writer works again afterwards
        tx.conn.execute("INSERT INTO parent (id) VALUES (5)")
    assert _rows(store, "parent") == [5]


def test_other_threads_wait_for_the_group_and_commit_after_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    outside = _Writer(store, lambda tx: tx.conn.execute("INSERT INTO parent (id) VALUES (9)"))
    with store.group():
        with store.transaction() as tx:
            tx.conn.execute("INSERT INTO parent (id) VALUES (1)")
        outside.start()
        time.sleep(0.05)
        assert not outside.finished.is_set()  # the group holds the writer until it ends
    outside.join(10)
    assert outside.error is None
    assert _rows(store, "parent") == [1, 9]


def test_a_background_thread_checkpoints_the_wal_and_keeps_it_bounded(tmp_path: Path) -> None:
    store = _store(tmp_path)
    checkpointer = store._checkpointer
    assert checkpointer is not None
    for i in range(3000):
        with store.transaction() as tx:
            tx.conn.execute("INSERT INTO parent (id) VALUES (?)", (i,))
    _until(lambda: checkpointer.frames_copied > 0)
    assert checkpointer.checkpoints >= 1
    # The WAL file is reused from its start after a complete checkpoint: it stays near the
    # 1,000 pages (4 MB) of SQLite's automatic checkpoint. Without that restart, 3,000 commits
    # of at least three pages each would leave 36 MB or more.
    assert (tmp_path / "s.db-wal").stat().st_size < 8_000_000
    other = sqlite3.connect(tmp_path / "s.db")
    try:
        assert other.execute("SELECT COUNT(*) FROM parent").fetchone()[0] == 3000
    finally:
        other.close()
    store.close()
    assert checkpointer._thread is None or not checkpointer._thread.is_alive()
