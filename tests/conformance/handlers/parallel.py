"""Conformance handlers for the ``parallel`` suite (requirements 8-1 … 8-22).

Unless a requirement is about concurrency (8-11) branches run with ``max_concurrency=1`` so the
history is deterministic. Batch results are projected to plain JSON (the handler's return value
is ``json.dumps``-ed, so a ``BatchResult`` itself cannot be returned).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from durable_lambda import BatchResult, DurableContext, ParallelBranch, durable_execution
from durable_lambda.config import CompletionConfig, Duration, NestingType, ParallelConfig
from durable_lambda.serdes import SerDes, SerDesContext

Branch = Callable[[DurableContext], Any]


def _label(value: Any) -> str:
    """Enum member -> its name (``CompletionReason.ALL_COMPLETED`` -> ``"ALL_COMPLETED"``)."""
    return str(getattr(value, "name", value))


def projection(batch: BatchResult[Any], *, with_status: bool = True) -> dict[str, Any]:
    """The ``{completionReason, status?, successCount, failureCount, totalCount}`` projection."""
    result: dict[str, Any] = {"completionReason": _label(batch.completion_reason)}
    if with_status:
        result["status"] = _label(batch.status)
    result["successCount"] = batch.success_count
    result["failureCount"] = batch.failure_count
    result["totalCount"] = batch.total_count
    return result


def sequential(**completion: Any) -> ParallelConfig:
    """One branch at a time; the given completion thresholds, else the parallel default."""
    if not completion:
        return ParallelConfig(max_concurrency=1)
    return ParallelConfig(max_concurrency=1, completion_config=CompletionConfig(**completion))


def constant(value: Any) -> Branch:
    return lambda _ctx: value


def step_returning(value: Any) -> Branch:
    return lambda ctx: ctx.step(lambda _: value, name=f"produce-{value}")


def failing(label: str) -> Branch:
    def branch(ctx: DurableContext) -> Any:
        raise ValueError(f"branch {label} failed")

    return branch


def run(
    context: DurableContext, name: str | None, branches: Sequence[Any], config: ParallelConfig
) -> BatchResult[Any]:
    return context.parallel(branches, name=name, config=config)


@durable_execution
def handler_8_1(event: Any, context: DurableContext) -> list[Any]:
    branches = [step_returning("task-1"), step_returning("task-2")]
    return run(context, "parallel", branches, sequential()).get_results()


@durable_execution
def handler_8_2(event: Any, context: DurableContext) -> list[Any]:
    branches = [constant("alpha"), constant("beta")]
    return context.parallel(branches, config=ParallelConfig(max_concurrency=1)).get_results()


@durable_execution
def handler_8_3(event: Any, context: DurableContext) -> list[Any]:
    branches = [
        ParallelBranch(func=constant("one"), name="first"),
        ParallelBranch(func=constant("two"), name="second"),
    ]
    return run(context, "named", branches, sequential()).get_results()


@durable_execution
def handler_8_4(event: Any, context: DurableContext) -> list[Any]:
    branches = [constant("hello"), constant(42), constant({"k": "v"})]
    return run(context, "hetero", branches, sequential()).get_results()


@durable_execution
def handler_8_5(event: Any, context: DurableContext) -> list[Any]:
    return run(context, "empty", [], ParallelConfig()).get_results()


@durable_execution
def handler_8_6(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [constant("ok"), failing("b1"), constant("never")]
    batch = run(context, "failfast", branches, sequential(tolerated_failure_count=0))
    return projection(batch)


@durable_execution
def handler_8_7(event: Any, context: DurableContext) -> list[Any]:
    branches = [failing("b0"), constant("never")]
    batch = run(context, "throwing", branches, sequential(tolerated_failure_count=0))
    batch.throw_if_error()
    return batch.get_results()


@durable_execution
def handler_8_8(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [constant("a"), constant("b"), constant("c"), constant("d")]
    batch = run(context, "min-successful", branches, sequential(min_successful=2))
    return {
        "completionReason": _label(batch.completion_reason),
        "successCount": batch.success_count,
        "totalCount": batch.total_count,
    }


@durable_execution
def handler_8_9(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [constant("a"), failing("b1"), constant("c")]
    batch = run(context, "tolerated", branches, sequential(tolerated_failure_count=1))
    return projection(batch)


@durable_execution
def handler_8_10(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [failing("b0"), failing("b1"), constant("never")]
    batch = run(context, "tolerated-exceeded", branches, sequential(tolerated_failure_count=1))
    return projection(batch, with_status=False)


@durable_execution
def handler_8_11(event: Any, context: DurableContext) -> list[Any]:
    branches = [constant("r0"), constant("r1"), constant("r2")]
    config = ParallelConfig(max_concurrency=2)
    return run(context, "concurrent", branches, config).get_results()


@durable_execution
def handler_8_12(event: Any, context: DurableContext) -> list[Any]:
    branches = [step_returning("fa"), step_returning("fb")]
    config = ParallelConfig(max_concurrency=1, nesting_type=NestingType.FLAT)
    return run(context, "flat", branches, config).get_results()


@durable_execution
def handler_8_13(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [failing("b0"), failing("b1"), constant("c"), constant("d")]
    batch = run(context, "tolerated-pct", branches, sequential(tolerated_failure_percentage=25))
    return projection(batch, with_status=False)


def wait_then_return(ctx: DurableContext) -> str:
    ctx.wait(Duration.from_seconds(2))
    return "b1"


@durable_execution
def handler_8_14(event: Any, context: DurableContext) -> list[Any]:
    branches = [step_returning("b0"), wait_then_return]
    return run(context, "replay", branches, sequential()).get_results()


class WrappingSerDes(SerDes[Any]):
    """Serializes ``v`` as ``{"wrapped": v}`` and unwraps on the way back (8-15)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return json.dumps({"wrapped": value})

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return json.loads(data)["wrapped"]


@durable_execution
def handler_8_15(event: Any, context: DurableContext) -> list[Any]:
    config = ParallelConfig(max_concurrency=1, item_serdes=WrappingSerDes())
    return run(context, "serde", [constant("x"), constant("y")], config).get_results()


@durable_execution
def handler_8_16(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [failing("b0"), failing("b1"), failing("b2")]
    batch = run(context, "all-fail", branches, sequential(tolerated_failure_count=3))
    return projection(batch)


@durable_execution
def handler_8_17(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [constant("a"), failing("b1"), constant("c")]
    batch = run(context, "min-not-reached", branches, sequential(min_successful=3))
    return projection(batch)


@durable_execution
def handler_8_18(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [failing("b0"), failing("b1"), constant("c"), constant("d")]
    config = sequential(min_successful=3, tolerated_failure_count=1)
    return projection(run(context, "combined", branches, config), with_status=False)


@durable_execution
def handler_8_19(event: Any, context: DurableContext) -> list[Any]:
    branches = [constant("a"), constant("b")]
    config = ParallelConfig(max_concurrency=0)  # invalid: rejected before any operation
    return run(context, "bad-concurrency", branches, config).get_results()


@durable_execution
def handler_8_20(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [constant("a"), failing("b1"), constant("c")]
    batch = run(context, "accessors", branches, sequential(tolerated_failure_count=1))
    return {
        "hasFailure": batch.has_failure,
        "successCount": len(batch.succeeded()),
        "failureCount": len(batch.failed()),
        "errorCount": len(batch.get_errors()),
    }


def inner_parallel(ctx: DurableContext) -> list[Any]:
    branches = [step_returning("i1"), step_returning("i2")]
    return run(ctx, "inner", branches, sequential()).get_results()


@durable_execution
def handler_8_21(event: Any, context: DurableContext) -> list[Any]:
    return run(context, "outer", [inner_parallel], sequential()).get_results()


@durable_execution
def handler_8_22(event: Any, context: DurableContext) -> dict[str, Any]:
    branches = [failing("b0"), constant("b"), constant("c"), constant("d")]
    batch = run(context, "pct-boundary", branches, sequential(tolerated_failure_percentage=25))
    return projection(batch)
