"""Who sends a checkpoint (decision 0007): a synchronous caller with nothing in flight sends the
queue itself; branch runners and asynchronous updates leave it to the batcher thread."""

from __future__ import annotations

import threading

from _sdk_fakes import FakeBackend, make_state, step_update

from durable_lambda._sdk.blocking import set_block_hook
from durable_lambda.lambda_service import (
    OperationAction,
)


def test_sync_caller_with_nothing_in_flight_sends_its_batch_itself() -> None:
    backend = FakeBackend()
    state = make_state(backend)
    state.create_checkpoint(step_update("a", OperationAction.START), is_sync=False)
    state.create_checkpoint(step_update("a", OperationAction.SUCCEED))
    state.create_checkpoint(step_update("b", OperationAction.START))
    state.close()

    assert [[str(u.action) for u in r] for r in backend.requests] == [
        ["START", "SUCCEED"],
        ["START"],
    ]
    assert backend.senders == [threading.get_ident()] * 2
    assert state.checkpoint_token == "tok-2"


def test_branch_runner_threads_leave_sending_to_the_batcher() -> None:
    backend = FakeBackend()
    state = make_state(backend)
    hooked: list[int] = []

    def runner() -> None:
        set_block_hook(lambda: hooked.append(1))
        try:
            state.create_checkpoint(step_update("r", OperationAction.START))
        finally:
            set_block_hook(None)

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    state.close()

    assert len(backend.requests) == 1
    assert backend.senders[0] not in (thread.ident, threading.get_ident())
    assert hooked  # the runner announced that it was about to wait


def test_asynchronous_updates_are_sent_by_the_batcher_within_the_batch_time() -> None:
    backend = FakeBackend()
    state = make_state(backend, max_batch_time_seconds=0.01)
    state.create_checkpoint(step_update("a", OperationAction.START), is_sync=False)

    assert backend.sent.wait(30)  # a hang bound, not a timing assertion
    assert backend.senders[0] != threading.get_ident()
    state.close()
    assert [len(r) for r in backend.requests] == [1]


def test_close_sends_what_is_still_queued() -> None:
    backend = FakeBackend()
    state = make_state(backend)  # 1 s batch time: close comes first
    for op_id in ("a", "b", "c"):
        state.create_checkpoint(step_update(op_id, OperationAction.START), is_sync=False)
    state.close()

    assert [[u.operation_id for u in r] for r in backend.requests] == [["a", "b", "c"]]


def test_concurrent_callers_keep_order_and_token_sequence() -> None:
    backend = FakeBackend()
    state = make_state(backend, max_batch_operations=3)
    per_thread = 40

    def worker(tag: str, hooked: bool) -> None:
        if hooked:
            set_block_hook(lambda: None)
        try:
            for i in range(per_thread):
                op_id = f"{tag}{i}"
                state.create_checkpoint(
                    step_update(op_id, OperationAction.START), is_sync=i % 3 == 0
                )
                state.create_checkpoint(step_update(op_id, OperationAction.SUCCEED))
        finally:
            set_block_hook(None)

    threads = [threading.Thread(target=worker, args=(f"t{k}-", k % 2 == 1)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state.close()

    sent = [u for r in backend.requests for u in r]
    assert len(sent) == 6 * per_thread * 2
    assert all(len(r) <= 3 for r in backend.requests)
    for k in range(6):
        mine = [
            (u.operation_id, str(u.action)) for u in sent if u.operation_id.startswith(f"t{k}-")
        ]
        expected = [
            (f"t{k}-{i}", action) for i in range(per_thread) for action in ("START", "SUCCEED")
        ]
        assert mine == expected
    assert state.checkpoint_token == f"tok-{len(backend.requests)}"
