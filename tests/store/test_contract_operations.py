"""Store contract, operations and history (``OperationTable``, ``HistoryLog``): creation order,
updates in place, lookups by id, change tracking for what the handler has not seen, the pending
rule, and history paging. Protocol surface only: runs on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from durable_lambda_server.store import ConflictError, Store
from tests.store.rows import execution_row


def _op(op_id: str, status: str = "SUCCEEDED", kind: str = "STEP", **extra: Any) -> dict[str, Any]:
    return {"Id": op_id, "Type": kind, "Status": status, **extra}


def _ids(ops: list[dict[str, Any]]) -> list[str]:
    return [op["Id"] for op in ops]


def _execution(store: Store, *arns: str) -> None:
    with store.transaction() as tx:
        for arn in arns:
            tx.insert_execution(execution_row(arn))


def test_operations_read_back_by_id_as_written(store: Store) -> None:
    _execution(store, "arn:a", "arn:b")
    nested = _op(
        "s1", StepDetails={"Result": '{"ü": [1, 2.5, null, true]}', "Attempt": 2}, Parent="c"
    )
    with store.transaction() as tx:
        tx.put_operations("arn:a", [(nested, 1, 1), (_op("s2", "STARTED"), 2, 2)])
        tx.put_operations("arn:b", [(_op("s1", "FAILED"), 1, 1)])
    with store.transaction(write=False) as tx:
        assert tx.get_operations("arn:a", ["s1", "s2"]) == {
            "s1": nested,
            "s2": _op("s2", "STARTED"),
        }
        assert tx.get_operations("arn:a", ["s2", "unknown", "s2"]) == {"s2": _op("s2", "STARTED")}
        assert tx.get_operations("arn:a", []) == {}
        assert tx.get_operations("arn:b", ["s1"]) == {"s1": _op("s1", "FAILED")}
        assert tx.get_operations("arn:unknown", ["s1"]) == {}


def test_get_operations_answers_more_ids_than_one_query_takes(store: Store) -> None:
    _execution(store, "arn:a")
    ops = [_op(f"op-{i:04d}") for i in range(1_200)]
    with store.transaction() as tx:
        tx.put_operations("arn:a", [(op, i, i) for i, op in enumerate(ops, start=1)])
    wanted = [f"op-{i:04d}" for i in range(0, 1_200, 2)] + [f"missing-{i}" for i in range(300)]
    with store.transaction(write=False) as tx:
        got = tx.get_operations("arn:a", wanted)
        assert len(tx.get_operations("arn:a", _ids(ops))) == 1_200
    assert got == {op["Id"]: op for op in ops[::2]}


def test_all_operations_are_in_creation_order_and_page(store: Store) -> None:
    _execution(store, "arn:a", "arn:b")
    with store.transaction() as tx:
        # creation order (seq), not id order nor the order of the rows in the call
        tx.put_operations("arn:a", [(_op("z"), 1, 1), (_op("b"), 3, 3), (_op("m"), 2, 2)])
        tx.put_operations("arn:a", [(_op("a"), 4, 4)])
        tx.put_operations("arn:b", [(_op("other"), 1, 1)])
    with store.transaction(write=False) as tx:
        assert _ids(tx.all_operations("arn:a")) == ["z", "m", "b", "a"]
        assert _ids(tx.all_operations("arn:a", 1, 2)) == ["m", "b"]
        assert _ids(tx.all_operations("arn:a", offset=2)) == ["b", "a"]
        assert _ids(tx.all_operations("arn:a", limit=1)) == ["z"]
        assert tx.all_operations("arn:a", offset=4) == []
        assert tx.all_operations("arn:a", limit=0) == []
        assert _ids(tx.all_operations("arn:b")) == ["other"]
        assert tx.all_operations("arn:unknown") == []


def test_an_existing_operation_is_updated_in_place(store: Store) -> None:
    _execution(store, "arn:a")
    with store.transaction() as tx:
        tx.put_operations("arn:a", [(_op("x", "STARTED"), 1, 1), (_op("y", "STARTED"), 2, 2)])
    with store.transaction() as tx:
        tx.put_operations("arn:a", [(_op("x", "SUCCEEDED", Result="r"), 0, 3)])  # seq 0: update
        tx.put_operations("arn:a", [(_op("y", "READY"), 3, 4)])  # created again: a repeated START
        tx.put_operations("arn:a", [(_op("nobody", "SUCCEEDED"), 0, 5)])  # no such row: nothing
    with store.transaction(write=False) as tx:
        assert tx.all_operations("arn:a") == [_op("x", "SUCCEEDED", Result="r"), _op("y", "READY")]
        assert tx.get_operations("arn:a", ["nobody"]) == {}


def test_operations_of_an_unknown_execution_are_refused(store: Store) -> None:
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.put_operations("arn:unknown", [(_op("x"), 1, 1)])


def test_changed_since_finds_writes_the_handler_has_not_seen(store: Store) -> None:
    _execution(store, "arn:a", "arn:b")
    with store.transaction() as tx:
        tx.put_operations("arn:a", [(_op("start", "STARTED", "EXECUTION"), 1, 1)])
        tx.put_operations("arn:a", [(_op("step"), 2, 2)], seen=True)
        tx.put_operations("arn:a", [(_op("wait", "STARTED", "WAIT"), 3, 3)], seen=True)
        tx.put_operations("arn:a", [(_op("cb", "STARTED", "CALLBACK"), 4, 4)], seen=True)
        tx.put_operations("arn:b", [(_op("elsewhere"), 1, 9)])
    with store.transaction() as tx:
        tx.put_operations("arn:a", [(_op("cb", "SUCCEEDED", "CALLBACK"), 0, 5)])  # a callback
        tx.put_operations("arn:a", [(_op("wait", "SUCCEEDED", "WAIT"), 0, 6)])  # a timer fired
    with store.transaction(write=False) as tx:
        # in creation order, whatever the change numbers
        assert _ids(tx.operations_changed_since("arn:a", 0)) == ["start", "wait", "cb"]
        assert _ids(tx.operations_changed_since("arn:a", 1)) == ["wait", "cb"]
        assert _ids(tx.operations_changed_since("arn:a", 5)) == ["wait"]
        assert _ids(tx.operations_changed_since("arn:a", 4, upto=5)) == ["cb"]
        assert _ids(tx.operations_changed_since("arn:a", 0, upto=1)) == ["start"]
        assert tx.operations_changed_since("arn:a", 1, upto=4) == []  # the handler's own rows
        assert tx.operations_changed_since("arn:a", 6) == []
        assert tx.operations_changed_since("arn:unknown", 0) == []
        assert tx.operations_changed_since("arn:a", 0)[1] == _op("wait", "SUCCEEDED", "WAIT")
    with store.transaction() as tx:  # the handler's checkpoint rewrites "wait": seen again
        tx.put_operations("arn:a", [(_op("wait", "SUCCEEDED", "WAIT", N=1), 0, 7)], seen=True)
        assert _ids(tx.operations_changed_since("arn:a", 0)) == ["start", "cb"]


_PENDING_RULE = [
    ("WAIT", "STARTED", True),
    ("CALLBACK", "STARTED", True),
    ("CHAINED_INVOKE", "STARTED", True),
    ("STEP", "PENDING", True),
    ("STEP", "STARTED", False),
    ("STEP", "READY", False),
    ("CONTEXT", "STARTED", False),
    ("EXECUTION", "STARTED", False),
    ("STEP", "SUCCEEDED", False),
    ("WAIT", "SUCCEEDED", False),
    ("WAIT", "CANCELLED", False),
    ("CALLBACK", "FAILED", False),
    ("CALLBACK", "TIMED_OUT", False),
    ("CHAINED_INVOKE", "STOPPED", False),
    ("STEP", "FAILED", False),
]


def test_pending_operations_are_those_the_service_completes(store: Store) -> None:
    with store.transaction() as tx:
        for i, (kind, status, _) in enumerate(_PENDING_RULE):
            arn = f"arn:{i}"
            tx.insert_execution(execution_row(arn))
            # beside terminal operations and a started context, which never count
            tx.put_operations(
                arn,
                [
                    (_op("ctx", "STARTED", "CONTEXT"), 1, 1),
                    (_op("done", "SUCCEEDED", "STEP"), 2, 2),
                    (_op("it", status, kind), 3, 3),
                ],
            )
    with store.transaction(write=False) as tx:
        got = [tx.has_pending_operations(f"arn:{i}") for i in range(len(_PENDING_RULE))]
        assert not tx.has_pending_operations("arn:unknown")
    assert got == [pending for _, _, pending in _PENDING_RULE]


def test_pending_follows_the_operations_latest_status(store: Store) -> None:
    _execution(store, "arn:a")
    with store.transaction() as tx:
        assert not tx.has_pending_operations("arn:a")
        tx.put_operations("arn:a", [(_op("w", "STARTED", "WAIT"), 1, 1)], seen=True)
        assert tx.has_pending_operations("arn:a")
    with store.transaction() as tx:
        tx.put_operations("arn:a", [(_op("w", "SUCCEEDED", "WAIT"), 0, 2)])
        tx.put_operations("arn:a", [(_op("s", "PENDING"), 2, 3)])
    with store.transaction() as tx:
        assert tx.has_pending_operations("arn:a")
        tx.put_operations("arn:a", [(_op("s", "READY"), 0, 4)])
    with store.transaction(write=False) as tx:
        assert not tx.has_pending_operations("arn:a")


# -- history -------------------------------------------------------------------------------


def _events(arn: str, first: int, last: int) -> list[dict[str, Any]]:
    return [{"EventId": i, "EventType": f"E{i}", "Owner": arn} for i in range(first, last + 1)]


def _read(store: Store, arn: str, after: int, limit: int | None, reverse: bool) -> list[int]:
    with store.transaction(write=False) as tx:
        return [
            e["EventId"] for e in tx.read_events(arn, after=after, limit=limit, reverse=reverse)
        ]


def test_events_read_back_whole_and_in_order(store: Store) -> None:
    _execution(store, "arn:a", "arn:b", "arn:c")
    with store.transaction() as tx:
        for arn in ("arn:a", "arn:b", "arn:c"):
            tx.append_events(arn, _events(arn, 1, 3))
    with store.transaction() as tx:  # a later append continues the log
        tx.append_events("arn:b", _events("arn:b", 4, 6))
        tx.append_events("arn:b", [])
    with store.transaction(write=False) as tx:
        assert tx.read_events("arn:b", after=0, limit=None, reverse=False) == _events("arn:b", 1, 6)
        assert tx.read_events("arn:a", after=0, limit=None, reverse=True) == list(
            reversed(_events("arn:a", 1, 3))
        )
        assert tx.read_events("arn:unknown", after=0, limit=None, reverse=False) == []


def test_events_page_forwards_and_backwards_within_their_execution(store: Store) -> None:
    _execution(store, "arn:a", "arn:b", "arn:c")
    with store.transaction() as tx:
        for arn in ("arn:a", "arn:b", "arn:c"):
            tx.append_events(arn, _events(arn, 1, 6))
    assert _read(store, "arn:b", 0, 2, False) == [1, 2]
    assert _read(store, "arn:b", 2, 2, False) == [3, 4]
    assert _read(store, "arn:b", 4, None, False) == [5, 6]
    assert _read(store, "arn:b", 6, None, False) == []
    assert _read(store, "arn:b", 100, 5, False) == []
    assert _read(store, "arn:b", 0, 2, True) == [6, 5]  # 0 backwards: from the newest
    assert _read(store, "arn:b", 5, 2, True) == [4, 3]  # before the marker
    assert _read(store, "arn:b", 3, None, True) == [2, 1]
    assert _read(store, "arn:b", 1, None, True) == []
    assert _read(store, "arn:b", 0, 0, False) == []
    with store.transaction(write=False) as tx:
        owners = {e["Owner"] for e in tx.read_events("arn:b", after=0, limit=None, reverse=True)}
    assert owners == {"arn:b"}


def test_a_repeated_event_id_or_unknown_execution_is_a_conflict(store: Store) -> None:
    _execution(store, "arn:a")
    with store.transaction() as tx:
        tx.append_events("arn:a", _events("arn:a", 1, 2))
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.append_events("arn:a", [{"EventId": 3}, {"EventId": 2, "EventType": "Again"}])
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.append_events("arn:unknown", _events("arn:unknown", 1, 1))
    assert _read(store, "arn:a", 0, None, False) == [1, 2]
    with store.transaction(write=False) as tx:
        assert tx.read_events("arn:a", after=1, limit=None, reverse=False) == _events("arn:a", 2, 2)
