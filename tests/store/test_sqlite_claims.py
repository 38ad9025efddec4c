"""Claim and lease queries: which executions are claimable, and that finding them is an index
lookup (EXPLAIN QUERY PLAN), never a scan of the suspended executions."""

from __future__ import annotations

from pathlib import Path

from durable_lambda_server.store import open_store
from durable_lambda_server.store.sqlite_claims import EXEC_SELECT
from tests.store.rows import execution_row

_row = execution_row


def test_claimable_covers_new_work_and_expired_leases_oldest_first(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        tx.insert_execution(_row("suspended", start_ms=1))
        tx.insert_execution(_row("done", start_ms=2, needs_invoke=1, status="SUCCEEDED"))
        tx.insert_execution(_row("live", start_ms=3, needs_invoke=1, lease_expires_ms=1_000))
        tx.insert_execution(_row("expired", start_ms=5, lease_expires_ms=100))
        tx.insert_execution(_row("new", start_ms=4, needs_invoke=1))
        tx.insert_execution(_row("other", start_ms=0, needs_invoke=1, function_name="busy"))
    with store.transaction() as tx:
        assert (
            tx.claimable_execution(50, exclude_functions=["busy"]).arn == "new"
        )  # lease not expired yet
        assert tx.claimable_execution(50).arn == "other"
        tx.update_execution("new", {"needs_invoke": 0})
        assert tx.claimable_execution(50, exclude_functions=["busy"]) is None
        assert tx.has_claimable(50)  # "other" (has_claimable knows no concurrency limits)
        assert tx.claimable_execution(100, exclude_functions=["busy"]).arn == "expired"
        assert (
            tx.claimable_execution(1_000, exclude_functions=["busy"]).arn == "expired"
        )  # first to expire
        assert tx.claimable_execution(50, arn="live") is None
        assert tx.claimable_execution(1_000, arn="live").arn == "live"
        assert tx.next_lease_expiry_ms() == 100


def test_dispatcher_queries_are_index_lookups(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    with store.transaction() as tx:
        for i in range(200):  # plenty of suspended executions, some leased
            tx.insert_execution(
                _row(f"e{i}", start_ms=i, lease_expires_ms=i if i % 10 == 0 else None)
            )
        tx.conn.execute("ANALYZE")  # whatever the statistics say, the claim indexes are used
    seen: list[str] = []
    with store.transaction() as tx:
        tx.conn.set_trace_callback(seen.append)  # statements with their values bound
        tx.claimable_execution(50, exclude_functions=["x"])
        tx.has_claimable(50)
        tx.next_lease_expiry_ms()
        tx.conn.set_trace_callback(None)
        plans = {
            sql: " / ".join(row[3] for row in tx.conn.execute("EXPLAIN QUERY PLAN " + sql))
            for sql in seen
            if sql.startswith("SELECT")
        }
    assert len(plans) == 5  # fresh work, expired leases, the two probes, the next expiry
    for sql, plan in plans.items():
        assert "executions_to_invoke" in plan or "executions_leased" in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan, (sql, plan)
    assert EXEC_SELECT  # the row shape is shared with sqlite.py
