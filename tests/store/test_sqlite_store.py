"""Store contract on SQLite: migrations, durability across reopen, append-only history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from durable_lambda_server.store import ConflictError, open_store
from durable_lambda_server.store.sqlite import SqliteStore
from tests.store.rows import execution_row


def test_migrates_from_zero_to_head_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(str(path))
    head = store.schema_version()
    assert head >= 1
    store.close()
    again = open_store(str(path))
    assert again.schema_version() == head
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM schema_migrations").fetchone()
    assert rows[0] == head


def test_wal_mode_and_synchronous_setting(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"), synchronous="FULL")
    with store.transaction() as tx:
        assert tx.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert tx.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    with pytest.raises(ValueError):
        SqliteStore(str(tmp_path / "t.db"), synchronous="SOMETIMES")


def test_events_are_appended_and_read_back_in_order(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    store = open_store(path)
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn"))
        tx.append_events(
            "arn", [{"EventId": 1, "EventType": "A"}, {"EventId": 2, "EventType": "B"}]
        )
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.append_events("arn", [{"EventId": 2, "EventType": "Again"}])
    store.close()
    reopened = open_store(path)
    with reopened.transaction() as tx:
        assert [
            e["EventType"] for e in tx.read_events("arn", after=0, limit=None, reverse=False)
        ] == ["A", "B"]
        assert [e["EventId"] for e in tx.read_events("arn", after=0, limit=1, reverse=True)] == [2]


def test_rolled_back_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.schedule_timer("arn", "op", "wait", 10)
        raise RuntimeError("boom")
    with store.transaction() as tx:
        assert tx.next_due_ms() is None


def test_timers_are_upserted_and_claimed_by_due_time(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        tx.schedule_timer("a", "op", "wait", 30)
        tx.schedule_timer("a", "op", "wait", 20)
        tx.schedule_timer("b", "op", "retry", 10)
    with store.transaction() as tx:
        assert tx.next_due_ms() == 10
        assert [(t.arn, t.due_ms) for t in tx.due_timers(25, 10)] == [("b", 10), ("a", 20)]
        tx.cancel_timers("a")
        assert [t.arn for t in tx.due_timers(100, 10)] == ["b"]


def _apply_migrations_upto(path: Path, last: int) -> None:
    """A database at schema version ``last``, as an older release left it."""
    from importlib import resources

    from durable_lambda_server.store.sqlite import _split_sql

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    folder = resources.files("durable_lambda_server.store").joinpath("migrations/sqlite")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        version = int(entry.name.split("_", 1)[0]) if entry.name.endswith(".sql") else None
        if version is None or version > last:
            continue
        for statement in _split_sql(entry.read_text()):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, entry.name))
    conn.close()


def test_upgrade_to_integer_keys_keeps_operations_and_history(tmp_path: Path) -> None:
    """Migrations 0005 and 0006 re-key operations and events by execution xid, then by one
    integer; nothing is lost and the two executions' rows stay apart."""
    path = tmp_path / "old.db"
    _apply_migrations_upto(path, 4)
    conn = sqlite3.connect(path, isolation_level=None)
    for n, arn in enumerate(["arn:a", "arn:b"], start=1):
        conn.execute(
            "INSERT INTO executions (arn, function_name, function_arn, version, name, "
            "execution_id, status, start_ms, timeout_seconds) "
            "VALUES (?, 'fn', 'f', '$LATEST', ?, ?, 'RUNNING', ?, 60)",
            (arn, arn, arn, n),
        )
        for i in range(3):
            body = f'{{"Id":"op{i}","Status":"SUCCEEDED","Owner":"{arn}"}}'
            conn.execute(
                "INSERT INTO operations VALUES (?, ?, ?, ?, 'SUCCEEDED', ?)",
                (arn, f"op{i}", i, i, body),
            )
            conn.execute(
                "INSERT INTO events VALUES (?, ?, ?)",
                (arn, i + 1, f'{{"EventId":{i + 1},"Owner":"{arn}"}}'),
            )
    conn.close()

    store = open_store(str(path))
    assert store.schema_version() >= 5
    with store.transaction() as tx:
        for arn in ("arn:a", "arn:b"):
            ops = tx.all_operations(arn)
            assert [op["Id"] for op in ops] == ["op0", "op1", "op2"]
            assert {op["Owner"] for op in ops} == {arn}
            # migrated rows count as service writes: found by change number, as before
            assert [op["Id"] for op in tx.operations_changed_since(arn, -1)] == [
                "op0",
                "op1",
                "op2",
            ]
            events = tx.read_events(arn, after=0, limit=None, reverse=False)
            assert [(e["EventId"], e["Owner"]) for e in events] == [(1, arn), (2, arn), (3, arn)]
        tx.insert_execution(execution_row("arn:c"))
        tx.append_events("arn:c", [{"EventId": 1, "Owner": "arn:c"}])
    xids = sqlite3.connect(path).execute("SELECT arn, xid FROM executions ORDER BY xid").fetchall()
    assert [arn for arn, _ in xids] == ["arn:a", "arn:b", "arn:c"]
    assert len({xid for _, xid in xids}) == 3
    store.close()


def test_deleted_execution_leaves_no_rows_for_a_later_one(tmp_path: Path) -> None:
    """Deleting the newest execution frees its xid for the next insert: its operations and
    history must be gone with it, so the newcomer starts empty."""
    store = open_store(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:old"))
        tx.put_operations("arn:old", [({"Id": "x", "Status": "SUCCEEDED"}, 1, 1)])
        tx.append_events("arn:old", [{"EventId": 1, "EventType": "Old"}])
    with store.transaction() as tx:
        tx.delete_executions(["arn:old"])
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:new"))
        assert tx.all_operations("arn:new") == []
        assert tx.read_events("arn:new", after=0, limit=None, reverse=False) == []
        assert tx.operations_changed_since("arn:new", 0) == []
    store.close()


def test_history_pages_stay_within_their_execution(tmp_path: Path) -> None:
    """Events of neighbouring executions share one key space ((xid << 32) | event_id): paging
    forwards and backwards from any marker returns only the asked execution's events."""
    store = open_store(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        for arn in ("arn:a", "arn:b", "arn:c"):
            tx.insert_execution(execution_row(arn))
            tx.append_events(arn, [{"EventId": i, "Owner": arn} for i in range(1, 6)])
    with store.transaction(write=False) as tx:

        def ids(**kw: object) -> list[tuple[int, str]]:
            return [(e["EventId"], e["Owner"]) for e in tx.read_events("arn:b", **kw)]  # type: ignore[arg-type]

        assert ids(after=0, limit=None, reverse=False) == [(i, "arn:b") for i in range(1, 6)]
        assert ids(after=2, limit=2, reverse=False) == [(3, "arn:b"), (4, "arn:b")]
        assert ids(after=5, limit=None, reverse=False) == []
        assert ids(after=0, limit=2, reverse=True) == [(5, "arn:b"), (4, "arn:b")]
        assert ids(after=3, limit=None, reverse=True) == [(2, "arn:b"), (1, "arn:b")]
        assert ids(after=1, limit=None, reverse=True) == []
        assert ids(after=-7, limit=1, reverse=False) == [(1, "arn:b")]
        assert tx.read_events("arn:none", after=0, limit=None, reverse=False) == []
    store.close()


def test_changes_since_finds_service_writes_not_the_handlers_own(tmp_path: Path) -> None:
    """Rows a checkpoint wrote (``seen=True``) are in its answer already; only other writes
    (a timer, a callback, a child) are found by change number, in creation order."""
    store = open_store(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn"))
        tx.put_operations("arn", [({"Id": "start", "Status": "STARTED"}, 1, 1)])
        tx.put_operations("arn", [({"Id": "step", "Status": "SUCCEEDED"}, 2, 2)], seen=True)
        tx.put_operations("arn", [({"Id": "wait", "Status": "STARTED"}, 3, 3)], seen=True)
    with store.transaction() as tx:
        tx.put_operations("arn", [({"Id": "wait", "Status": "SUCCEEDED"}, 0, 4)])  # the timer fired
        assert [op["Id"] for op in tx.operations_changed_since("arn", 0)] == ["start", "wait"]
        assert [op["Id"] for op in tx.operations_changed_since("arn", 3)] == ["wait"]
        assert tx.operations_changed_since("arn", 1, upto=3) == []
        tx.put_operations(
            "arn", [({"Id": "wait", "Status": "SUCCEEDED", "Again": 1}, 0, 5)], seen=True
        )
        assert [op["Id"] for op in tx.operations_changed_since("arn", 0)] == ["start"]
        assert [op["Id"] for op in tx.all_operations("arn")] == ["start", "step", "wait"]
    store.close()


def test_payloads_live_outside_the_execution_row(tmp_path: Path) -> None:
    """Input, result and error are kept in their own table (migration 0007): the row every
    checkpoint reads and rewrites stays small, a lean read skips them, a full read has them."""
    path = tmp_path / "s.db"
    store = open_store(str(path))
    big = '{"pad": "' + "x" * 300_000 + '"}'
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:big", input_payload=big))
        tx.insert_execution(execution_row("arn:none", input_payload=None))
    with store.transaction() as tx:
        full = tx.get_execution("arn:big")
        lean = tx.get_execution("arn:big", payloads=False)
        assert full is not None and lean is not None
        assert full.input_payload == big and lean.input_payload is None
        assert lean._replace(input_payload=big) == full
        tx.update_execution("arn:big", {"status": "SUCCEEDED", "result": '"done"', "end_ms": 5})
        tx.update_execution("arn:none", {"error": '{"ErrorType": "E"}'})
    with store.transaction(write=False) as tx:
        done = tx.get_execution("arn:big")
        assert done is not None and (done.status, done.result, done.error, done.input_payload) == (
            "SUCCEEDED",
            '"done"',
            None,
            big,
        )
        failed = tx.find_execution("fn", "arn:none")
        assert failed is not None and (failed.input_payload, failed.error) == (
            None,
            '{"ErrorType": "E"}',
        )
        assert {r.arn: r.result for r in tx.list_executions()} == {
            "arn:big": '"done"',
            "arn:none": None,
        }
    conn = sqlite3.connect(path)
    assert conn.execute(
        "SELECT COUNT(*) FROM executions WHERE input_payload IS NOT NULL OR result IS NOT NULL"
    ).fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*) FROM execution_payloads").fetchone() == (2,)
    conn.close()
    with store.transaction() as tx:
        tx.delete_executions(["arn:big"])
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM execution_payloads").fetchone() == (
        1,
    )
    store.close()


def test_upgrade_moves_payloads_out_of_the_row(tmp_path: Path) -> None:
    """Migration 0007 copies every execution's input, result and error into their table."""
    path = tmp_path / "old.db"
    _apply_migrations_upto(path, 6)
    conn = sqlite3.connect(path, isolation_level=None)
    for xid, (arn, payload, result, error) in enumerate(
        [
            ("arn:a", '{"a": 1}', '"ok"', None),
            ("arn:b", None, None, '{"ErrorType": "X"}'),
            ("arn:c", None, None, None),
        ],
        start=1,
    ):
        conn.execute(
            "INSERT INTO executions (xid, arn, function_name, function_arn, version, name, "
            "execution_id, status, input_payload, result, error, start_ms, timeout_seconds) "
            "VALUES (?, ?, 'fn', 'f', '$LATEST', ?, ?, 'SUCCEEDED', ?, ?, ?, 1, 60)",
            (xid, arn, arn, arn, payload, result, error),
        )
    conn.close()
    store = open_store(str(path))
    assert store.schema_version() >= 7
    with store.transaction(write=False) as tx:
        got = {arn: tx.get_execution(arn) for arn in ("arn:a", "arn:b", "arn:c")}
    assert {arn: (r.input_payload, r.result, r.error) for arn, r in got.items() if r} == {
        "arn:a": ('{"a": 1}', '"ok"', None),
        "arn:b": (None, None, '{"ErrorType": "X"}'),
        "arn:c": (None, None, None),
    }
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM execution_payloads").fetchone() == (
        2,
    )
    store.close()
