"""Store contract, execution rows (``ExecutionTable``): rows in and out, lean reads, lookups
by name, changes column by column, and unique keys. Listing and deletion are in
test_contract_listing.py. Protocol surface only, so it runs on every backend
(tests/store/conftest.py)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from durable_lambda_server.store import ConflictError, ExecutionChanges, ExecutionRow, Store
from tests.store.rows import execution_row, required

_PAYLOADS = ("input_payload", "result", "error")


def _every_field_set(arn: str) -> ExecutionRow:
    """A row whose every field holds its own value, so a column mix-up cannot go unseen."""
    return execution_row(
        arn,
        function_name="orders",
        name="order-42",
        version="3",
        input_payload='{"in": "ü"}',
        result='"out"',
        error='{"ErrorType": "E"}',
        end_ms=9_000,
        lease_token="tok",
        lease_expires_ms=8_000,
        parent_arn="arn:parent",
        parent_op_id="op-parent",
        retention_days=3,
        start_ms=1_000,
        needs_invoke=1,
    )._replace(
        function_arn="arn:fn:orders",
        execution_id="exec-id",
        status="SUCCEEDED",
        pending_outcome='{"Outcome": 1}',
        timeout_seconds=900,
        checkpoint_token="ckpt",
        last_request_token="req",
        last_client_token="client",
        last_response='{"resp": 1}',
        event_seq=11,
        op_seq=12,
        change_seq=13,
        seen_seq=14,
        service_seq=15,
        attempt=16,
        failed_invocations=17,
        lease_owner="worker-1",
        invocation_start_ms=7_000,
        request_id="rid",
        kind="plain",
    )


def _other_values(row: ExecutionRow) -> ExecutionRow:
    """``row`` with every changeable column given another value."""
    values: dict[str, Any] = {}
    for key in ExecutionChanges.__annotations__:
        current = getattr(row, key)
        values[key] = current + 100 if isinstance(current, int) else f"new-{key}"
    return row._replace(**values)


def _get(store: Store, arn: str) -> ExecutionRow:
    with store.transaction(write=False) as tx:
        return required(tx.get_execution(arn))


def test_an_inserted_execution_reads_back_field_for_field(store: Store) -> None:
    row = _every_field_set("arn:a")
    with store.transaction() as tx:
        tx.insert_execution(row)
    with store.transaction(write=False) as tx:
        got = tx.get_execution("arn:a")
        assert isinstance(got, ExecutionRow)
        assert got == row
        assert tx.get_execution("arn:missing") is None


def test_a_lean_read_leaves_input_result_and_error_none(store: Store) -> None:
    row = _every_field_set("arn:a")
    with store.transaction() as tx:
        tx.insert_execution(row)
    with store.transaction(write=False) as tx:
        lean = required(tx.get_execution("arn:a", payloads=False))
        assert lean == row._replace(input_payload=None, result=None, error=None)
        assert tx.get_execution("arn:a", payloads=True) == row
        assert tx.get_execution("arn:missing", payloads=False) is None


def test_find_execution_looks_up_by_function_and_name(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_execution(_every_field_set("arn:a"))
        tx.insert_execution(execution_row("arn:b", function_name="billing", name="order-42"))
    with store.transaction(write=False) as tx:
        assert tx.find_execution("orders", "order-42") == _every_field_set("arn:a")
        assert required(tx.find_execution("billing", "order-42")).arn == "arn:b"
        assert tx.find_execution("orders", "order-43") is None
        assert tx.find_execution("shipping", "order-42") is None


def test_each_changeable_column_is_updated_alone(store: Store) -> None:
    expected = _every_field_set("arn:a")
    with store.transaction() as tx:
        tx.insert_execution(expected)
        tx.insert_execution(execution_row("arn:bystander"))
    target = _other_values(expected)
    for key in ExecutionChanges.__annotations__:
        with store.transaction() as tx:
            tx.update_execution("arn:a", cast(ExecutionChanges, {key: getattr(target, key)}))
        expected = expected._replace(**{key: getattr(target, key)})
        assert _get(store, "arn:a") == expected, key
    assert _get(store, "arn:a") == target
    assert _get(store, "arn:bystander") == execution_row("arn:bystander")


def test_nullable_columns_are_cleared_together(store: Store) -> None:
    nullable = [k for k, hint in ExecutionChanges.__annotations__.items() if "None" in str(hint)]
    assert set(_PAYLOADS) <= set(nullable) and "lease_token" in nullable
    row = _every_field_set("arn:a")
    with store.transaction() as tx:
        tx.insert_execution(row)
        tx.update_execution("arn:a", cast(ExecutionChanges, dict.fromkeys(nullable)))
    cleared: dict[str, Any] = dict.fromkeys(nullable)
    assert _get(store, "arn:a") == row._replace(**cleared)


def test_payload_columns_change_with_row_columns_and_keep_the_others(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a", input_payload='{"n": 1}'))
        tx.insert_execution(execution_row("arn:b"))
        tx.update_execution("arn:a", {"status": "SUCCEEDED", "result": '"done"', "end_ms": 5})
        tx.update_execution("arn:b", {"error": '{"ErrorType": "X"}'})
    a, b = _get(store, "arn:a"), _get(store, "arn:b")
    assert (a.status, a.end_ms, a.input_payload, a.result, a.error) == (
        "SUCCEEDED",
        5,
        '{"n": 1}',
        '"done"',
        None,
    )
    assert (b.input_payload, b.result, b.error) == (None, None, '{"ErrorType": "X"}')
    with store.transaction() as tx:
        tx.update_execution("arn:a", {"result": None})
    assert _get(store, "arn:a").input_payload == '{"n": 1}'
    assert _get(store, "arn:a").result is None


def test_update_leaves_the_callers_mapping_as_it_was(store: Store) -> None:
    changes: ExecutionChanges = {"result": '"r"', "status": "SUCCEEDED", "attempt": 2}
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a"))
        tx.update_execution("arn:a", changes)
    assert changes == {"result": '"r"', "status": "SUCCEEDED", "attempt": 2}


def test_an_empty_change_is_a_no_op(store: Store) -> None:
    row = _every_field_set("arn:a")
    with store.transaction() as tx:
        tx.insert_execution(row)
        tx.update_execution("arn:a", {})
        tx.update_execution("arn:missing", {})
    assert _get(store, "arn:a") == row


@pytest.mark.parametrize(
    "changes",
    [{"bogus": 1}, {"arn": "arn:b"}, {"result": '"r"', "status": "FAILED", "bogus": 1}],
    ids=["unknown", "key-column", "mixed-with-valid"],
)
def test_an_unknown_column_is_refused_and_nothing_is_written(
    store: Store, changes: dict[str, Any]
) -> None:
    row = execution_row("arn:a")
    with store.transaction() as tx:
        tx.insert_execution(row)
    with pytest.raises(ValueError, match=r"bogus|arn"), store.transaction() as tx:
        tx.update_execution("arn:a", cast(ExecutionChanges, changes))
    assert _get(store, "arn:a") == row
    with store.transaction(write=False) as tx:
        assert tx.get_execution("arn:b") is None


def test_a_duplicate_arn_or_function_and_name_is_a_conflict(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a", name="n"))
    for clash in (execution_row("arn:a", name="other"), execution_row("arn:b", name="n")):
        with pytest.raises(ConflictError), store.transaction() as tx:
            tx.insert_execution(execution_row("arn:written-first"))
            tx.insert_execution(clash)
    with store.transaction(write=False) as tx:
        assert [r.arn for r in tx.list_executions()] == ["arn:a"]
        assert required(tx.get_execution("arn:a")).name == "n"
