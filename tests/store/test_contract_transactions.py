"""Store contract, transactions (``Store``, ``SupportsGroupCommit``): all or nothing, what readers
see, and fencing. The store offers no compare-and-set: the engine fences a stale invocation by
reading the execution's lease token inside its write transaction, which is sound only because
write transactions are serialized (one sees the other's committed writes, never half of them)
and a transaction that raises leaves nothing. Runs on every backend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from durable_lambda_server.store import ConflictError, Store, SupportsGroupCommit, Transaction
from tests.store.rows import execution_row, required

_WAIT = 10.0  # seconds a thread waits for another before the test fails


class _BoomError(Exception):
    pass


class _FencedError(Exception):
    """What the engine raises when the lease token it holds is no longer the execution's."""


class _Thread(threading.Thread):
    """Runs ``body`` and keeps what it raised for the test to re-raise."""

    def __init__(self, body: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.body = body
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.body()
        except BaseException as err:  # re-raised by finish()
            self.error = err

    def finish(self) -> None:
        self.join(_WAIT)
        assert not self.is_alive(), "thread did not finish"
        if self.error is not None:
            raise self.error


def _state(store: Store) -> dict[str, Any]:
    """Everything the test databases hold, read through the protocol."""
    with store.transaction(write=False) as tx:
        executions = tx.list_executions()
        arns = [r.arn for r in executions]
        return {
            "executions": executions,
            "operations": {arn: tx.all_operations(arn) for arn in arns},
            "events": {
                arn: tx.read_events(arn, after=0, limit=None, reverse=False) for arn in arns
            },
            "timers": tx.due_timers(10**15, 1_000),
            "callbacks": {cb: tx.get_callback(cb) for cb in ("cb-base", "cb-new")},
            "functions": tx.list_functions(),
            "reserved": tx.get_reserved_concurrency("f"),
            "versions": tx.list_versions("f"),
            "aliases": tx.list_aliases("f"),
        }


def _base(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:base", input_payload='"in"'))
        tx.put_operations("arn:base", [({"Id": "w", "Type": "WAIT", "Status": "STARTED"}, 1, 1)])
        tx.append_events("arn:base", [{"EventId": 1}])
        tx.schedule_timer("arn:base", "w", "wait", 100)
        tx.insert_callback("cb-base", "arn:base", "w", 0)
        tx.put_function("f", "h", "{}", 1)
        tx.publish_version("f", "h", "{}", 1)
        tx.put_alias("f", "live", "1", "{}", "")


def test_a_transaction_that_raises_leaves_nothing_and_the_error_passes_through(
    store: Store,
) -> None:
    _base(store)
    before = _state(store)
    boom = _BoomError()
    with pytest.raises(_BoomError) as raised, store.transaction() as tx:
        tx.insert_execution(execution_row("arn:new", input_payload='"x"'))
        tx.put_operations("arn:new", [({"Id": "s", "Type": "STEP", "Status": "READY"}, 1, 1)])
        tx.append_events("arn:new", [{"EventId": 1}, {"EventId": 2}])
        tx.schedule_timer("arn:new", "", "execution_timeout", 50)
        tx.insert_callback("cb-new", "arn:new", "s", 1)
        tx.update_execution("arn:base", {"status": "FAILED", "result": '"r"', "end_ms": 9})
        tx.put_operations("arn:base", [({"Id": "w", "Type": "WAIT", "Status": "SUCCEEDED"}, 0, 2)])
        tx.append_events("arn:base", [{"EventId": 2}])
        tx.schedule_timer("arn:base", "w", "wait", 999)
        tx.cancel_timers("arn:base", "w")
        tx.put_function("f", "h2", '{"x": 1}', 2)
        tx.put_function("g", "h", "{}", 2)
        tx.set_reserved_concurrency("f", 3)
        tx.publish_version("f", "h2", "{}", 2)
        tx.delete_version("f", 1)
        tx.put_alias("f", "beta", "2", "{}", "")
        tx.delete_alias("f", "live")
        tx.delete_executions(["arn:base"])
        raise boom
    assert raised.value is boom
    assert _state(store) == before


def test_committed_writes_are_seen_by_later_transactions_and_other_stores(
    store: Store, open_another: Callable[[], Store]
) -> None:
    _base(store)
    with store.transaction() as tx:
        tx.update_execution("arn:base", {"status": "SUCCEEDED", "result": '"done"', "end_ms": 7})
    expected = _state(store)
    assert expected["executions"][0].result == '"done"'
    other = open_another()
    assert _state(other) == expected
    with other.transaction() as tx:  # and back the other way
        tx.insert_execution(execution_row("arn:from-other"))
    with store.transaction(write=False) as tx:
        assert tx.get_execution("arn:from-other") is not None


def test_committed_writes_outlive_the_store(
    store: Store, open_another: Callable[[], Store]
) -> None:
    _base(store)
    expected = _state(store)
    store.close()
    assert _state(open_another()) == expected


def test_readers_never_see_uncommitted_writes(
    store: Store, open_another: Callable[[], Store]
) -> None:
    other = open_another()
    written, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store.transaction() as tx:
            tx.insert_execution(execution_row("arn:a"))
            written.set()
            assert release.wait(_WAIT)

    thread = _Thread(writer)
    thread.start()
    try:
        assert written.wait(_WAIT)
        for reader in (store, other):
            with reader.transaction(write=False) as tx:
                assert tx.get_execution("arn:a") is None
                assert tx.list_executions() == []
    finally:
        release.set()
        thread.finish()
    for reader in (store, other):
        with reader.transaction(write=False) as tx:
            assert tx.get_execution("arn:a") is not None


def test_a_read_transaction_reads_one_snapshot(store: Store) -> None:
    """Several reads in one read transaction agree with each other even if a write commits in
    between (the PostgreSQL store needs REPEATABLE READ for its read transactions)."""
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a"))
    with store.transaction(write=False) as tx:
        assert [r.arn for r in tx.list_executions()] == ["arn:a"]

        def writer() -> None:
            with store.transaction() as wtx:
                wtx.insert_execution(execution_row("arn:b"))
                wtx.update_execution("arn:a", {"status": "SUCCEEDED"})

        thread = _Thread(writer)
        thread.start()
        thread.finish()
        assert [r.arn for r in tx.list_executions()] == ["arn:a"]
        assert required(tx.get_execution("arn:a")).status == "RUNNING"
    with store.transaction(write=False) as tx:
        assert [r.arn for r in tx.list_executions()] == ["arn:a", "arn:b"]


def _claim(tx: Transaction, token: str) -> None:
    tx.update_execution(
        "arn:a",
        {"lease_token": token, "lease_owner": token, "lease_expires_ms": 1_000, "needs_invoke": 0},
    )


@pytest.mark.parametrize("second_on", ["same-store", "another-store"])
def test_write_transactions_are_serialized(
    store: Store, open_another: Callable[[], Store], second_on: str
) -> None:
    """Two dispatchers claim the same execution at once: the second one's transaction runs only
    after the first one's has finished, so it reads the first one's lease and backs off."""
    other = store if second_on == "same-store" else open_another()
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a", needs_invoke=1))
    first_inside, release_first, second_inside = (threading.Event() for _ in range(3))
    seen_by_second: list[str | None] = []

    def first() -> None:
        with store.transaction() as tx:
            assert required(tx.get_execution("arn:a")).lease_token is None
            _claim(tx, "t1")
            first_inside.set()
            assert release_first.wait(_WAIT)

    def second() -> None:
        with other.transaction() as tx:
            second_inside.set()
            lease = required(tx.get_execution("arn:a")).lease_token
            seen_by_second.append(lease)
            if lease is None:  # the fence: claim only what nobody holds
                _claim(tx, "t2")

    one = _Thread(first)
    one.start()
    two = _Thread(second)
    try:
        assert first_inside.wait(_WAIT)
        two.start()
        assert not second_inside.wait(0.2), "a second writer ran inside the first one"
    finally:
        release_first.set()
        one.finish()
        if two.ident is not None:  # started
            two.finish()
    assert seen_by_second == ["t1"]
    with store.transaction(write=False) as tx:
        row = required(tx.get_execution("arn:a"))
    assert (row.lease_token, row.lease_owner, row.needs_invoke) == ("t1", "t1", 0)


@pytest.mark.parametrize("stale_on", ["same-store", "another-store"])
def test_a_stale_invocation_is_fenced_and_leaves_nothing(
    store: Store, open_another: Callable[[], Store], stale_on: str
) -> None:
    """An invocation whose lease was taken over writes its checkpoint, then finds another token
    on the execution and raises: none of its writes is kept, the new holder's are."""
    stale_store = store if stale_on == "same-store" else open_another()
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a", needs_invoke=1))
        _claim(tx, "t0")
    with stale_store.transaction(write=False) as tx:
        held = required(tx.get_execution("arn:a")).lease_token
    assert held == "t0"
    with store.transaction() as tx:  # the lease expired; another dispatcher took it over
        _claim(tx, "t1")
        tx.put_operations("arn:a", [({"Id": "s", "Type": "STEP", "Status": "STARTED"}, 1, 1)])
    before = _state(store)
    with pytest.raises(_FencedError), stale_store.transaction() as tx:
        tx.put_operations("arn:a", [({"Id": "s", "Type": "STEP", "Status": "FAILED"}, 0, 2)])
        tx.put_operations("arn:a", [({"Id": "t", "Type": "WAIT", "Status": "STARTED"}, 2, 3)])
        tx.append_events("arn:a", [{"EventId": 1, "EventType": "StaleStep"}])
        tx.schedule_timer("arn:a", "t", "wait", 5)
        tx.update_execution("arn:a", {"status": "FAILED", "error": '{"E": 1}', "end_ms": 5})
        if required(tx.get_execution("arn:a", payloads=False)).lease_token != held:
            raise _FencedError
    assert _state(store) == before
    assert _state(stale_store) == before


def test_the_store_keeps_working_after_a_conflict(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:a"))
    for _ in range(2):
        with pytest.raises(ConflictError), store.transaction() as tx:
            tx.insert_execution(execution_row("arn:b"))
            tx.insert_execution(execution_row("arn:a"))
    with store.transaction() as tx:
        tx.insert_execution(execution_row("arn:c"))
    with store.transaction(write=False) as tx:
        assert [r.arn for r in tx.list_executions()] == ["arn:a", "arn:c"]


def test_a_group_commits_its_transactions_at_its_end(store: Store) -> None:
    if not isinstance(store, SupportsGroupCommit):
        pytest.skip("the backend has no group commit (optional)")
    with store.group():
        with store.transaction() as tx:
            tx.insert_execution(execution_row("arn:a"))
        with pytest.raises(_BoomError), store.transaction() as tx:
            tx.insert_execution(execution_row("arn:b"))
            raise _BoomError
        with store.transaction() as tx:
            tx.insert_execution(execution_row("arn:c"))
            assert tx.get_execution("arn:a") is not None  # the group's earlier writes
            assert tx.get_execution("arn:b") is None
    with store.transaction(write=False) as tx:
        assert [r.arn for r in tx.list_executions()] == ["arn:a", "arn:c"]
