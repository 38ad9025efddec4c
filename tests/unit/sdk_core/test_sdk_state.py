"""ExecutionState: the checkpoint batcher and orphan tracking (sdk-spec.md §14)."""

from __future__ import annotations

import pytest
from _sdk_fakes import FakeBackend, make_state, step_update

from durable_lambda.exceptions import (
    BackgroundThreadError,
    OrphanedChildException,
    SuspendExecution,
)
from durable_lambda.lambda_service import OperationAction, OperationType, OperationUpdate


def context_update(op_id: str, action: OperationAction) -> OperationUpdate:
    return OperationUpdate(op_id, OperationType.CONTEXT, action, sub_type="RunInChildContext")


def test_async_start_and_sync_succeed_share_one_request() -> None:
    backend = FakeBackend()
    state = make_state(backend)
    state.create_checkpoint(step_update("a", OperationAction.START), is_sync=False)
    state.create_checkpoint(step_update("a", OperationAction.SUCCEED))
    state.close()

    assert [[str(u.action) for u in r] for r in backend.requests] == [["START", "SUCCEED"]]
    assert state.checkpoint_token == "tok-1"
    assert state.get_checkpoint_result("a") is not None


def test_batches_respect_operation_limit() -> None:
    backend = FakeBackend()
    state = make_state(backend, max_batch_operations=2)
    for i in range(5):
        state.create_checkpoint(step_update(f"s{i}", OperationAction.START), is_sync=False)
    state.create_checkpoint(None)
    state.close()

    assert [len(r) for r in backend.requests] == [2, 2, 1]
    assert state.checkpoint_token == f"tok-{len(backend.requests)}"


def test_batches_respect_size_limit() -> None:
    backend = FakeBackend()
    state = make_state(backend, max_batch_size_bytes=300)
    for i in range(3):
        update = OperationUpdate(
            f"s{i}", OperationType.STEP, OperationAction.START, payload="p" * 150
        )
        state.create_checkpoint(update, is_sync=i == 2)
    state.close()

    assert [len(r) for r in backend.requests] == [1, 1, 1]


def test_updates_under_a_closed_context_are_orphans() -> None:
    backend = FakeBackend()
    state = make_state(backend)
    state.create_checkpoint(context_update("ctx", OperationAction.START), is_sync=False)
    state.create_checkpoint(
        step_update("child", OperationAction.START, parent="ctx"), is_sync=False
    )
    state.create_checkpoint(context_update("ctx", OperationAction.SUCCEED))

    with pytest.raises(OrphanedChildException):
        state.create_checkpoint(step_update("child", OperationAction.SUCCEED, parent="ctx"))
    state.close()


def test_checkpoint_failure_poisons_later_checkpoints() -> None:
    backend = FakeBackend()
    backend.fail_on_request = RuntimeError("network")
    state = make_state(backend)

    with pytest.raises(BackgroundThreadError) as first:
        state.create_checkpoint(step_update("a", OperationAction.SUCCEED))
    assert isinstance(first.value.source_exception, RuntimeError)
    with pytest.raises(BackgroundThreadError):
        state.create_checkpoint(step_update("b", OperationAction.SUCCEED))
    state.close()


def test_revoked_token_suspends_every_caller() -> None:
    backend = FakeBackend()
    backend.revoke_on_request = 1
    state = make_state(backend)

    with pytest.raises(SuspendExecution):
        state.create_checkpoint(step_update("a", OperationAction.START))
    assert state.is_token_revoked
    with pytest.raises(SuspendExecution):
        state.create_checkpoint(step_update("b", OperationAction.START))
    state.close()


def test_execution_update_without_token_completes_execution() -> None:
    backend = FakeBackend()
    state = make_state(backend)
    state.create_checkpoint(
        OperationUpdate(
            "execution-result-1", OperationType.EXECUTION, OperationAction.SUCCEED, payload="1"
        )
    )

    assert state.is_execution_completed
    with pytest.raises(OrphanedChildException):
        state.create_checkpoint(step_update("late", OperationAction.START))
    state.close()
