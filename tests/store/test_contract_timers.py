"""Store contract, timers and callbacks (``TimerQueue``, ``CallbackTable``): one timer per
(execution, operation, kind) whose due time a new schedule replaces, cancellation by execution,
operation and kind, what falls due when, and callback ids. Runs on every backend."""

from __future__ import annotations

import pytest

from durable_lambda_server.store import ConflictError, Store, TimerKind, TimerRow
from durable_lambda_server.store.base import CallbackRow
from tests.store.rows import execution_row, required


def _executions(store: Store, *arns: str) -> None:
    with store.transaction() as tx:
        for arn in arns:
            tx.insert_execution(execution_row(arn))


def _timers(
    store: Store, now_ms: int = 10**12, limit: int = 100
) -> list[tuple[str, str, str, int]]:
    with store.transaction(write=False) as tx:
        return [(t.arn, t.op_id, t.kind, t.due_ms) for t in tx.due_timers(now_ms, limit)]


def test_timer_kinds_are_the_stored_strings() -> None:
    assert {k.value for k in TimerKind} == {
        "execution_timeout",
        "invocation_retry",
        "wait",
        "retry",
        "callback_timeout",
        "callback_heartbeat",
    }
    assert str(TimerKind.WAIT) == "wait"  # a str: stored and compared as its value


def test_every_kind_round_trips(store: Store) -> None:
    _executions(store, "arn:a")
    with store.transaction() as tx:
        for due_ms, kind in enumerate(TimerKind, start=1):
            tx.schedule_timer("arn:a", "op", kind, due_ms)
    with store.transaction(write=False) as tx:
        due = tx.due_timers(100, 100)
        assert all(type(t) is TimerRow for t in due)
        assert [t.kind for t in due] == [k.value for k in TimerKind]
        assert [tx.timer_due_ms("arn:a", "op", k) for k in TimerKind] == list(
            range(1, len(TimerKind) + 1)
        )


def test_a_new_schedule_replaces_the_due_time(store: Store) -> None:
    _executions(store, "arn:a")
    with store.transaction() as tx:
        tx.schedule_timer("arn:a", "op", TimerKind.WAIT, 500)
        tx.schedule_timer("arn:a", "op", TimerKind.RETRY, 700)  # another kind: another timer
    with store.transaction() as tx:
        tx.schedule_timer("arn:a", "op", TimerKind.WAIT, 900)  # later: replaced, not kept at 500
    with store.transaction(write=False) as tx:
        assert tx.timer_due_ms("arn:a", "op", TimerKind.WAIT) == 900
        assert tx.next_due_ms() == 700
    with store.transaction() as tx:
        tx.schedule_timer("arn:a", "op", TimerKind.WAIT, 100)  # earlier: replaced too
    assert _timers(store) == [("arn:a", "op", "wait", 100), ("arn:a", "op", "retry", 700)]


def test_due_timers_are_those_due_by_now_earliest_first(store: Store) -> None:
    _executions(store, "arn:a", "arn:b")
    with store.transaction() as tx:
        tx.schedule_timer("arn:b", "w", TimerKind.WAIT, 300)
        tx.schedule_timer("arn:a", "", TimerKind.EXECUTION_TIMEOUT, 100)
        tx.schedule_timer("arn:a", "s", TimerKind.RETRY, 200)
        tx.schedule_timer("arn:b", "c", TimerKind.CALLBACK_TIMEOUT, 400)
    with store.transaction(write=False) as tx:
        assert tx.due_timers(99, 10) == []
        assert tx.due_timers(100, 10) == [TimerRow("arn:a", "", "execution_timeout", 100)]
        assert tx.due_timers(300, 10) == [
            TimerRow("arn:a", "", "execution_timeout", 100),
            TimerRow("arn:a", "s", "retry", 200),
            TimerRow("arn:b", "w", "wait", 300),
        ]
        assert [t.due_ms for t in tx.due_timers(1_000, 2)] == [100, 200]
        assert tx.due_timers(1_000, 0) == []
    with store.transaction() as tx:  # due timers stay until cancelled
        assert len(tx.due_timers(1_000, 10)) == 4


def test_next_due_and_next_timer_follow_the_earliest(store: Store) -> None:
    _executions(store, "arn:a", "arn:b")
    with store.transaction() as tx:
        assert tx.next_due_ms() is None
        assert tx.next_timer() is None
        tx.schedule_timer("arn:a", "w", TimerKind.WAIT, 50)
        tx.schedule_timer("arn:b", "h", TimerKind.CALLBACK_HEARTBEAT, 20)
    with store.transaction() as tx:
        assert tx.next_due_ms() == 20
        assert tx.next_timer() == TimerRow("arn:b", "h", "callback_heartbeat", 20)
        tx.cancel_timers("arn:b")
    with store.transaction() as tx:
        assert tx.next_due_ms() == 50
        assert tx.next_timer() == TimerRow("arn:a", "w", "wait", 50)
        tx.cancel_timers("arn:a", "w", [TimerKind.WAIT])
    with store.transaction(write=False) as tx:
        assert tx.next_due_ms() is None
        assert tx.next_timer() is None


def test_has_timers_and_timer_due_are_per_execution(store: Store) -> None:
    _executions(store, "arn:a", "arn:b")
    with store.transaction() as tx:
        tx.schedule_timer("arn:a", "w", TimerKind.WAIT, 50)
    with store.transaction(write=False) as tx:
        assert tx.has_timers("arn:a")
        assert not tx.has_timers("arn:b")
        assert not tx.has_timers("arn:unknown")
        assert tx.timer_due_ms("arn:a", "w", TimerKind.WAIT) == 50
        assert tx.timer_due_ms("arn:a", "w", TimerKind.RETRY) is None
        assert tx.timer_due_ms("arn:a", "other", TimerKind.WAIT) is None
        assert tx.timer_due_ms("arn:b", "w", TimerKind.WAIT) is None


def _four_timers(store: Store) -> None:
    _executions(store, "arn:a", "arn:b")
    with store.transaction() as tx:
        tx.schedule_timer("arn:a", "", TimerKind.EXECUTION_TIMEOUT, 10)
        tx.schedule_timer("arn:a", "cb", TimerKind.CALLBACK_TIMEOUT, 20)
        tx.schedule_timer("arn:a", "cb", TimerKind.CALLBACK_HEARTBEAT, 30)
        tx.schedule_timer("arn:b", "cb", TimerKind.CALLBACK_TIMEOUT, 40)


@pytest.mark.parametrize(
    ("op_id", "kinds", "left"),
    [
        (None, None, [40]),
        ("cb", None, [10, 40]),
        (None, [TimerKind.CALLBACK_TIMEOUT], [10, 30, 40]),
        (None, [TimerKind.CALLBACK_TIMEOUT, TimerKind.EXECUTION_TIMEOUT], [30, 40]),
        ("cb", [TimerKind.CALLBACK_HEARTBEAT], [10, 20, 40]),
        ("", [TimerKind.CALLBACK_HEARTBEAT], [10, 20, 30, 40]),
        ("nothing", None, [10, 20, 30, 40]),
    ],
    ids=[
        "execution",
        "operation",
        "kind",
        "kinds",
        "operation-and-kind",
        "operation-without-that-kind",
        "unknown-operation",
    ],
)
def test_cancel_timers_removes_only_the_matching_ones(
    store: Store, op_id: str | None, kinds: list[str] | None, left: list[int]
) -> None:
    _four_timers(store)
    with store.transaction() as tx:
        tx.cancel_timers("arn:a", op_id, kinds)
    assert [due for *_, due in _timers(store)] == left


def test_cancelling_an_unknown_executions_timers_changes_nothing(store: Store) -> None:
    _four_timers(store)
    with store.transaction() as tx:
        tx.cancel_timers("arn:unknown")
        tx.cancel_timers("arn:b", op_id="cb", kinds=[TimerKind.WAIT])
    assert len(_timers(store)) == 4


# -- callbacks -----------------------------------------------------------------------------


def test_callbacks_are_found_by_their_id(store: Store) -> None:
    _executions(store, "arn:a", "arn:b")
    with store.transaction() as tx:
        tx.insert_callback("cb-1", "arn:a", "op-1", 30)
        tx.insert_callback("cb-2", "arn:a", "op-2", 0)
        tx.insert_callback("cb-3", "arn:b", "op-1", 5)
    with store.transaction(write=False) as tx:
        one = required(tx.get_callback("cb-1"))
        assert isinstance(one, CallbackRow)
        assert one == CallbackRow(arn="arn:a", op_id="op-1", heartbeat_seconds=30)
        assert tx.get_callback("cb-2") == CallbackRow("arn:a", "op-2", 0)
        assert tx.get_callback("cb-3") == CallbackRow("arn:b", "op-1", 5)
        assert tx.get_callback("cb-unknown") is None


def test_a_repeated_callback_id_is_a_conflict(store: Store) -> None:
    _executions(store, "arn:a")
    with store.transaction() as tx:
        tx.insert_callback("cb-1", "arn:a", "op-1", 30)
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.insert_callback("cb-1", "arn:a", "op-2", 0)
    with store.transaction(write=False) as tx:
        assert tx.get_callback("cb-1") == CallbackRow("arn:a", "op-1", 30)
