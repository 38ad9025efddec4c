"""Store contract, finding and removing executions (``ExecutionTable``): listing with every
filter, its order and paging, a parent's finished children, and deletion with everything an
execution owns. Protocol surface only, so it runs on every backend."""

from __future__ import annotations

from typing import Any

from durable_lambda_server.store import ExecutionRow, Store
from tests.store.rows import execution_row, required


def _listing_rows() -> list[ExecutionRow]:
    # Inserted out of order; start_ms ties are ordered by arn.
    return [
        execution_row("arn:e", start_ms=40, status="TIMED_OUT", version="2", end_ms=41),
        execution_row("arn:z", start_ms=20, status="SUCCEEDED", version="1", end_ms=21),
        execution_row("arn:a", start_ms=10, name="first"),
        execution_row("arn:c", start_ms=20, status="FAILED", version="1", end_ms=22),
        execution_row("arn:b", start_ms=30, function_name="other", name="first"),
    ]


def _arns(store: Store, **filters: Any) -> list[str]:
    with store.transaction(write=False) as tx:
        return [r.arn for r in tx.list_executions(**filters)]


def test_list_executions_orders_by_start_then_arn(store: Store) -> None:
    with store.transaction() as tx:
        for row in _listing_rows():
            tx.insert_execution(row)
    assert _arns(store) == ["arn:a", "arn:c", "arn:z", "arn:b", "arn:e"]
    assert _arns(store, reverse=True) == ["arn:e", "arn:b", "arn:z", "arn:c", "arn:a"]
    with store.transaction(write=False) as tx:
        assert {r.arn: r for r in tx.list_executions()} == {r.arn: r for r in _listing_rows()}


def test_list_executions_filters(store: Store) -> None:
    with store.transaction() as tx:
        for row in _listing_rows():
            tx.insert_execution(row)
    assert _arns(store, function_name="fn") == ["arn:a", "arn:c", "arn:z", "arn:e"]
    assert _arns(store, function_name="other") == ["arn:b"]
    assert _arns(store, function_name="nobody") == []
    assert _arns(store, version="1") == ["arn:c", "arn:z"]
    assert _arns(store, statuses=["RUNNING"]) == ["arn:a", "arn:b"]
    assert _arns(store, statuses=["FAILED", "TIMED_OUT"]) == ["arn:c", "arn:e"]
    assert _arns(store, name="first") == ["arn:a", "arn:b"]
    assert _arns(store, name="first", function_name="other") == ["arn:b"]
    assert _arns(store, started_after=20) == ["arn:c", "arn:z", "arn:b", "arn:e"]
    assert _arns(store, started_before=20) == ["arn:a", "arn:c", "arn:z"]
    assert _arns(store, started_after=20, started_before=30) == ["arn:c", "arn:z", "arn:b"]
    assert _arns(store, started_after=21, started_before=29) == []
    assert _arns(store, function_name="fn", statuses=["SUCCEEDED", "RUNNING"], reverse=True) == [
        "arn:z",
        "arn:a",
    ]


def test_list_executions_pages_with_offset_and_limit(store: Store) -> None:
    with store.transaction() as tx:
        for row in _listing_rows():
            tx.insert_execution(row)
    for reverse in (False, True):
        everything = _arns(store, reverse=reverse)
        pages = [_arns(store, offset=o, limit=2, reverse=reverse) for o in (0, 2, 4)]
        assert pages[0] + pages[1] + pages[2] == everything
        assert [len(p) for p in pages] == [2, 2, 1]
    assert _arns(store, offset=5, limit=2) == []
    assert _arns(store, limit=0) == []
    assert _arns(store, function_name="fn", offset=1, limit=2) == ["arn:c", "arn:z"]


def test_list_executions_skips_offset_rows_without_a_limit(store: Store) -> None:
    with store.transaction() as tx:
        for row in _listing_rows():
            tx.insert_execution(row)
    assert _arns(store, offset=3) == ["arn:b", "arn:e"]


def test_finished_children_are_the_parents_non_running_children(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:p"))
        tx.insert_execution(execution_row("arn:c1", parent_arn="arn:p", parent_op_id="o1"))
        tx.insert_execution(
            execution_row("arn:c2", parent_arn="arn:p", status="SUCCEEDED", result='"two"')
        )
        tx.insert_execution(
            execution_row("arn:c3", parent_arn="arn:p", status="FAILED", error='{"E": 3}')
        )
        tx.insert_execution(execution_row("arn:c4", parent_arn="arn:q", status="SUCCEEDED"))
    with store.transaction(write=False) as tx:
        children = {r.arn: r for r in tx.finished_children("arn:p")}
        assert tx.finished_children("arn:none") == []
        assert tx.finished_children("arn:c2") == []
    assert set(children) == {"arn:c2", "arn:c3"}
    assert children["arn:c2"].result == '"two"'  # the parent reads its child's outcome
    assert children["arn:c3"].error == '{"E": 3}'


def _with_everything(store: Store, arn: str, callback_id: str) -> None:
    with store.transaction() as tx:
        tx.insert_execution(execution_row(arn, input_payload=f'"{arn}"'))
        tx.put_operations(arn, [({"Id": "op", "Type": "WAIT", "Status": "STARTED"}, 1, 1)])
        tx.append_events(arn, [{"EventId": 1, "Owner": arn}, {"EventId": 2, "Owner": arn}])
        tx.schedule_timer(arn, "op", "wait", 100)
        tx.schedule_timer(arn, "", "execution_timeout", 200)
        tx.insert_callback(callback_id, arn, "op", 0)


def test_delete_executions_removes_them_with_all_they_own(store: Store) -> None:
    _with_everything(store, "arn:gone", "cb-gone")
    _with_everything(store, "arn:kept", "cb-kept")
    with store.transaction() as tx:
        tx.delete_executions(["arn:gone", "arn:never-existed"])
        tx.delete_executions([])
    with store.transaction(write=False) as tx:
        assert tx.get_execution("arn:gone") is None
        assert tx.find_execution("fn", "arn:gone") is None
        assert tx.all_operations("arn:gone") == []
        assert tx.get_operations("arn:gone", ["op"]) == {}
        assert tx.read_events("arn:gone", after=0, limit=None, reverse=False) == []
        assert not tx.has_timers("arn:gone")
        assert tx.timer_due_ms("arn:gone", "op", "wait") is None
        assert tx.get_callback("cb-gone") is None
        assert [r.arn for r in tx.list_executions()] == ["arn:kept"]
        assert required(tx.get_execution("arn:kept")).input_payload == '"arn:kept"'
        assert [op["Id"] for op in tx.all_operations("arn:kept")] == ["op"]
        assert len(tx.read_events("arn:kept", after=0, limit=None, reverse=False)) == 2
        assert [t.arn for t in tx.due_timers(1_000, 10)] == ["arn:kept", "arn:kept"]
        assert required(tx.get_callback("cb-kept")).arn == "arn:kept"


def test_a_deleted_arn_can_start_again_empty(store: Store) -> None:
    _with_everything(store, "arn:a", "cb-1")
    with store.transaction() as tx:
        tx.delete_executions(["arn:a"])
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a"))
    with store.transaction(write=False) as tx:
        assert required(tx.get_execution("arn:a")).input_payload is None
        assert tx.all_operations("arn:a") == []
        assert tx.read_events("arn:a", after=0, limit=None, reverse=False) == []
        assert not tx.has_pending_operations("arn:a")
