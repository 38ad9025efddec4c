"""Store contract, the invocation queue (``InvocationQueue``): which execution may run next (new
work and expired leases), lease expiry, running counts and reserved concurrency, and finished
executions past their retention. Runs on every backend."""

from __future__ import annotations

from durable_lambda_server.store import ExecutionRow, Store
from tests.store.rows import execution_row

_DAY_MS = 86_400_000


def _insert(store: Store, *rows: ExecutionRow) -> None:
    with store.transaction() as tx:
        for row in rows:
            tx.insert_execution(row)


def _claimable(
    store: Store, now_ms: int, arn: str | None = None, exclude: tuple[str, ...] = ()
) -> str | None:
    with store.transaction(write=False) as tx:
        row = tx.claimable_execution(now_ms, arn=arn, exclude_functions=exclude)
    return None if row is None else row.arn


def test_new_work_is_claimed_oldest_first(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:new-30", start_ms=30, needs_invoke=1),
        execution_row("arn:new-10", start_ms=10, needs_invoke=1, input_payload='"in"'),
        execution_row("arn:new-20", start_ms=20, needs_invoke=1),
        execution_row("arn:suspended", start_ms=1),
        execution_row("arn:done", start_ms=0, needs_invoke=1, status="SUCCEEDED", end_ms=5),
    )
    with store.transaction(write=False) as tx:
        row = tx.claimable_execution(1_000)
        assert row is not None and row.arn == "arn:new-10"
        assert row.input_payload == '"in"'  # the claim reads the input it hands the handler
    for expected in ("arn:new-10", "arn:new-20", "arn:new-30"):
        assert _claimable(store, 1_000) == expected
        with store.transaction() as tx:  # claimed: leased, wants no more invocations
            tx.update_execution(
                expected, {"needs_invoke": 0, "lease_token": "t", "lease_expires_ms": 5_000}
            )
    assert _claimable(store, 1_000) is None
    with store.transaction(write=False) as tx:
        assert not tx.has_claimable(1_000)


def test_a_live_lease_is_claimable_once_it_expires(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:invoking", needs_invoke=1, lease_expires_ms=100),
        execution_row("arn:waiting", needs_invoke=0, lease_expires_ms=200),
    )
    with store.transaction(write=False) as tx:
        assert tx.claimable_execution(99) is None
        assert not tx.has_claimable(99)
        assert tx.has_claimable(100)  # expiry is inclusive
        assert not tx.has_claimable(10)
    assert _claimable(store, 100) == "arn:invoking"
    assert _claimable(store, 150, arn="arn:waiting") is None
    assert _claimable(store, 200, arn="arn:waiting") == "arn:waiting"  # its runtime died


def test_expired_leases_and_new_work_compete_by_start(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:new", start_ms=20, needs_invoke=1),
        execution_row("arn:expired-old", start_ms=10, lease_expires_ms=50),
    )
    assert _claimable(store, 49) == "arn:new"
    assert _claimable(store, 50) == "arn:expired-old"
    _insert(store, execution_row("arn:new-older", start_ms=5, needs_invoke=1))
    assert _claimable(store, 50) == "arn:new-older"


def test_of_expired_leases_the_first_to_expire_is_claimed_first(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:later", start_ms=1, lease_expires_ms=80),
        execution_row("arn:sooner", start_ms=2, lease_expires_ms=70),
    )
    assert _claimable(store, 75) == "arn:sooner"
    assert _claimable(store, 100) == "arn:sooner"
    with store.transaction() as tx:
        tx.update_execution("arn:sooner", {"lease_expires_ms": 10_000})  # renewed
    assert _claimable(store, 100) == "arn:later"


def test_finished_executions_are_never_claimable(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:succeeded", needs_invoke=1, status="SUCCEEDED"),
        execution_row("arn:failed", lease_expires_ms=5, status="FAILED"),
        execution_row("arn:stopped", needs_invoke=1, lease_expires_ms=5, status="STOPPED"),
    )
    with store.transaction(write=False) as tx:
        assert tx.claimable_execution(1_000) is None
        assert not tx.has_claimable(1_000)
        assert tx.next_lease_expiry_ms() is None
        for arn in ("arn:succeeded", "arn:failed", "arn:stopped"):
            assert tx.claimable_execution(1_000, arn=arn) is None


def test_a_claim_can_ask_for_one_execution(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:oldest", start_ms=1, needs_invoke=1),
        execution_row("arn:wanted", start_ms=9, needs_invoke=1),
        execution_row("arn:suspended", start_ms=2),
    )
    assert _claimable(store, 10, arn="arn:wanted") == "arn:wanted"
    assert _claimable(store, 10, arn="arn:suspended") is None
    assert _claimable(store, 10, arn="arn:unknown") is None
    assert _claimable(store, 10, arn="arn:wanted", exclude=("fn",)) is None


def test_excluded_functions_are_skipped(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:busy-new", start_ms=1, needs_invoke=1, function_name="busy"),
        execution_row("arn:busy-expired", start_ms=2, function_name="busy", lease_expires_ms=5),
        execution_row("arn:free", start_ms=3, needs_invoke=1, function_name="free"),
    )
    assert _claimable(store, 10) == "arn:busy-new"
    assert _claimable(store, 10, exclude=("busy",)) == "arn:free"
    assert _claimable(store, 10, exclude=("busy", "free")) is None
    assert _claimable(store, 10, exclude=("other",)) == "arn:busy-new"
    with store.transaction(write=False) as tx:
        assert tx.has_claimable(10)  # knows no concurrency limits


def test_next_lease_expiry_is_the_earliest_running_lease(store: Store) -> None:
    _insert(store, execution_row("arn:new", needs_invoke=1))
    with store.transaction(write=False) as tx:
        assert tx.next_lease_expiry_ms() is None
    _insert(
        store,
        execution_row("arn:late", lease_expires_ms=900),
        execution_row("arn:early", lease_expires_ms=300),
        execution_row("arn:ended", lease_expires_ms=100, status="SUCCEEDED"),
    )
    with store.transaction() as tx:
        assert tx.next_lease_expiry_ms() == 300
        tx.update_execution("arn:early", {"lease_token": None, "lease_expires_ms": None})
        assert tx.next_lease_expiry_ms() == 900


def test_count_running_counts_a_functions_running_executions(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:a1", lease_expires_ms=100),
        execution_row("arn:a2", lease_expires_ms=200),
        execution_row("arn:a3"),  # suspended: running, no lease
        execution_row("arn:a4", lease_expires_ms=900, status="SUCCEEDED"),
        execution_row("arn:b1", function_name="other", lease_expires_ms=900),
    )
    with store.transaction(write=False) as tx:
        assert tx.count_running("fn") == 3
        assert tx.count_running("other") == 1
        assert tx.count_running("nobody") == 0
        assert tx.count_running("fn", leased_after_ms=0) == 2
        assert tx.count_running("fn", leased_after_ms=100) == 1  # a lease ending then is over
        assert tx.count_running("fn", leased_after_ms=200) == 0


def test_functions_at_their_reserved_concurrency(store: Store) -> None:
    with store.transaction() as tx:
        for name, reserved in (("two", 2), ("zero", 0), ("one", 1), ("free", None)):
            tx.put_function(name, "h", "{}", 1)
            tx.set_reserved_concurrency(name, reserved)
        tx.insert_execution(execution_row("arn:two-1", function_name="two", lease_expires_ms=100))
        tx.insert_execution(execution_row("arn:two-2", function_name="two", lease_expires_ms=200))
        tx.insert_execution(execution_row("arn:one", function_name="one", needs_invoke=1))
        tx.insert_execution(execution_row("arn:free", function_name="free", lease_expires_ms=99))
    with store.transaction(write=False) as tx:
        assert sorted(tx.functions_at_concurrency_limit(50)) == ["two", "zero"]
        assert sorted(tx.functions_at_concurrency_limit(100)) == ["zero"]  # one lease ran out
    with store.transaction() as tx:
        tx.update_execution("arn:one", {"lease_token": "t", "lease_expires_ms": 500})
        tx.set_reserved_concurrency("zero", None)
        assert sorted(tx.functions_at_concurrency_limit(100)) == ["one"]


def test_expired_executions_are_finished_ones_past_their_retention(store: Store) -> None:
    _insert(
        store,
        execution_row("arn:old", status="SUCCEEDED", end_ms=1_000, retention_days=1),
        execution_row("arn:long", status="FAILED", end_ms=1_000, retention_days=30),
        execution_row("arn:running", end_ms=None, retention_days=1),
        execution_row("arn:parent"),
        execution_row(
            "arn:child", status="SUCCEEDED", end_ms=0, retention_days=1, parent_arn="arn:parent"
        ),
        execution_row("arn:orphan", status="STOPPED", end_ms=0, parent_arn="arn:gone"),
    )
    with store.transaction(write=False) as tx:
        assert tx.expired_executions(1_000 + _DAY_MS - 1, 10) == []
        # the bound is inclusive; a child whose caller still runs is kept for it
        assert sorted(tx.expired_executions(1_000 + _DAY_MS, 10)) == ["arn:old"]
        assert sorted(tx.expired_executions(30 * _DAY_MS, 10)) == ["arn:old", "arn:orphan"]
        assert sorted(tx.expired_executions(10**15, 10)) == ["arn:long", "arn:old", "arn:orphan"]
        assert len(tx.expired_executions(10**15, 2)) == 2
    with store.transaction() as tx:
        tx.update_execution("arn:parent", {"status": "SUCCEEDED", "end_ms": 10**14})
        assert "arn:child" in tx.expired_executions(10**14, 10)
