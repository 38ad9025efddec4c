"""Store contract on SQLite: migrations, durability across reopen, append-only history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from durable_lambda.store import ConflictError, open_store
from durable_lambda.store.sqlite import SqliteStore


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
        tx.append_events("arn", [{"EventId": 1, "EventType": "A"}, {"EventId": 2, "EventType": "B"}])
    with pytest.raises(ConflictError):
        with store.transaction() as tx:
            tx.append_events("arn", [{"EventId": 2, "EventType": "Again"}])
    store.close()
    reopened = open_store(path)
    with reopened.transaction() as tx:
        assert [e["EventType"] for e in tx.read_events("arn", after=0, limit=None, reverse=False)] == ["A", "B"]
        assert [e["EventId"] for e in tx.read_events("arn", after=0, limit=1, reverse=True)] == [2]


def test_rolled_back_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
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
