"""context.map / context.parallel (sdk-spec.md §4.7, §4.8, §15)."""

from __future__ import annotations

from typing import Any

import pytest
from _sdk_fakes import FakeBackend

from durable_lambda._sdk.identifier import branch_operation_id, make_operation_id
from durable_lambda.concurrency.models import CompletionReason
from durable_lambda.config import (
    BatchItemStatus,
    CompletionConfig,
    Duration,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
)
from durable_lambda.context import DurableContext
from durable_lambda.execution import durable_execution
from durable_lambda.lambda_service import OperationType

MAP_ID = make_operation_id(None, 1)


def contexts(backend: FakeBackend) -> list[tuple[str, str | None, str | None]]:
    return [
        (str(u.action), u.sub_type, u.name)
        for u in backend.updates
        if u.operation_type is OperationType.CONTEXT
    ]


def test_map_runs_iterations_in_order_with_index_ids() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def double(ctx: DurableContext, item: int, index: int, items: Any) -> int:
            return ctx.step(lambda _: item * 2, name=f"double-{index}")

        batch = context.map([1, 2], double, name="doubles", config=MapConfig(max_concurrency=1))
        return batch.get_results()

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": "[2, 4]"}
    assert backend.actions() == [
        ("CONTEXT", "START", "doubles"),
        ("CONTEXT", "START", "map-item-0"),
        ("STEP", "START", "double-0"),
        ("STEP", "SUCCEED", "double-0"),
        ("CONTEXT", "SUCCEED", "map-item-0"),
        ("CONTEXT", "START", "map-item-1"),
        ("STEP", "START", "double-1"),
        ("STEP", "SUCCEED", "double-1"),
        ("CONTEXT", "SUCCEED", "map-item-1"),
        ("CONTEXT", "SUCCEED", "doubles"),
    ]
    iteration = branch_operation_id(MAP_ID, 0)
    assert backend.by_name("map-item-0").operation_id == iteration
    assert backend.by_name("map-item-0").parent_id == MAP_ID
    assert backend.by_name("map-item-0").sub_type == "MapIteration"
    assert backend.by_name("double-0").operation_id == make_operation_id(iteration, 1)
    assert backend.by_name("double-0").parent_id == iteration


def test_parallel_fail_fast_stops_admitting_and_returns_batch() -> None:
    ran: list[int] = []

    def branch(i: int, fail: bool = False) -> Any:
        def run(ctx: DurableContext) -> int:
            ran.append(i)
            if fail:
                raise ValueError(f"branch {i} failed")
            return i

        return run

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        batch = context.parallel(
            [branch(0), branch(1, fail=True), branch(2)], config=ParallelConfig(max_concurrency=1)
        )
        return {
            "reason": batch.completion_reason.value,
            "statuses": [item.status.value for item in batch.all],
            "error": batch.all[1].error.type,
        }

    backend = FakeBackend()
    output = backend.run(handler)

    assert output["Status"] == "SUCCEEDED"
    import json

    assert json.loads(output["Result"]) == {
        "reason": "FAILURE_TOLERANCE_EXCEEDED",
        "statuses": ["SUCCEEDED", "FAILED"],
        "error": "ValueError",
    }
    assert ran == [0, 1]
    assert contexts(backend) == [
        ("START", "Parallel", None),
        ("START", "ParallelBranch", "parallel-branch-0"),
        ("SUCCEED", "ParallelBranch", "parallel-branch-0"),
        ("START", "ParallelBranch", "parallel-branch-1"),
        ("FAIL", "ParallelBranch", "parallel-branch-1"),
        ("SUCCEED", "Parallel", None),
    ]


@pytest.mark.parametrize(
    ("completion", "failing", "expected_reason", "expected_ran"),
    [
        (
            CompletionConfig(min_successful=2),
            set(),
            CompletionReason.MIN_SUCCESSFUL_REACHED,
            [0, 1],
        ),
        (
            CompletionConfig(tolerated_failure_count=1),
            {1},
            CompletionReason.ALL_COMPLETED,
            [0, 1, 2, 3],
        ),
        (
            CompletionConfig(tolerated_failure_count=1),
            {1, 2},
            CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
            [0, 1, 2],
        ),
        (
            CompletionConfig(tolerated_failure_percentage=25),
            {1, 2},
            CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
            [0, 1, 2],
        ),
        (
            CompletionConfig(tolerated_failure_percentage=25),
            {1},
            CompletionReason.ALL_COMPLETED,
            [0, 1, 2, 3],
        ),
    ],
    ids=["min-successful", "count-tolerated", "count-exceeded", "pct-exceeded", "pct-boundary"],
)
def test_completion_policies(
    completion: CompletionConfig,
    failing: set[int],
    expected_reason: CompletionReason,
    expected_ran: list[int],
) -> None:
    ran: list[int] = []
    reasons: list[CompletionReason] = []

    def work(ctx: DurableContext, item: int, index: int, items: Any) -> int:
        ran.append(index)
        if index in failing:
            raise RuntimeError("bad item")
        return item

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config: MapConfig[Any] = MapConfig(max_concurrency=1, completion_config=completion)
        reasons.append(context.map([0, 1, 2, 3], work, config=config).completion_reason)
        return None

    FakeBackend().run(handler)
    assert reasons == [expected_reason]
    assert ran == expected_ran


def test_branch_wait_suspends_batch_and_replay_skips_finished_branch() -> None:
    runs: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def quick(ctx: DurableContext) -> str:
            return ctx.step(lambda _: runs.append("quick") or "q")

        def slow(ctx: DurableContext) -> str:
            ctx.wait(Duration(2))
            return "s"

        batch = context.parallel(
            [quick, ParallelBranch(slow, name="slow")], config=ParallelConfig(max_concurrency=1)
        )
        return batch.get_results()

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '["q", "s"]'}
    assert [o["Status"] for o in backend.outputs] == ["PENDING", "SUCCEEDED"]
    assert runs == ["quick"]
    assert contexts(backend)[-2:] == [
        ("SUCCEED", "ParallelBranch", "slow"),
        ("SUCCEED", "Parallel", None),
    ]


def test_flat_nesting_parents_operations_to_the_batch() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def work(ctx: DurableContext, item: str, index: int, items: Any) -> str:
            return ctx.step(lambda _: item.upper(), name=f"up-{item}")

        config: MapConfig[Any] = MapConfig(nesting_type=NestingType.FLAT, max_concurrency=1)
        return context.map(["a", "b"], work, name="flat", config=config).get_results()

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '["A", "B"]'}
    assert [u.sub_type for u in backend.updates if u.operation_type is OperationType.CONTEXT] == [
        "Map",
        "Map",
    ]
    step = backend.by_name("up-a")
    assert step.parent_id == MAP_ID
    assert step.operation_id == make_operation_id(branch_operation_id(MAP_ID, 0), 1)


def test_completed_map_replays_from_stored_batch_result() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        batch = context.map([1, 2], lambda c, item, i, items: runs.append(i) or item)
        context.wait(Duration(1))
        return [item.status.value for item in batch.all]

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '["SUCCEEDED", "SUCCEEDED"]'}
    assert sorted(runs) == [0, 1]


def test_empty_batch_and_invalid_concurrency() -> None:
    @durable_execution
    def empty(event: Any, context: DurableContext) -> Any:
        return len(context.parallel([]).all)

    backend = FakeBackend()
    assert backend.run(empty) == {"Status": "SUCCEEDED", "Result": "0"}
    assert contexts(backend) == [("START", "Parallel", None), ("SUCCEED", "Parallel", None)]

    @durable_execution
    def invalid(event: Any, context: DurableContext) -> Any:
        return context.parallel([lambda c: 1], config=ParallelConfig(max_concurrency=0))

    backend = FakeBackend()
    output = backend.run(invalid)
    assert output["Status"] == "FAILED"
    assert backend.updates == []


def test_batch_item_statuses_use_batch_item_status() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        batch = context.map([1], lambda c, item, i, items: item)
        assert batch.all[0].status is BatchItemStatus.SUCCEEDED
        return batch.all[0].result

    assert FakeBackend().run(handler)["Result"] == "1"
