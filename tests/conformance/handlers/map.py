"""Conformance handlers for the ``map`` suite (requirements 9-1 … 9-20).

Items run with ``max_concurrency=1`` unless the requirement is about concurrency (9-11); an item
whose value is ``"fail"`` raises. Batch results are projected to plain JSON for the return value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from durable_lambda import DurableContext, durable_execution
from durable_lambda.concurrency.models import BatchItem, BatchResult, CompletionReason
from durable_lambda.config import (
    BatchItemStatus,
    CompletionConfig,
    Duration,
    MapConfig,
    NestingType,
)
from durable_lambda.serdes import EXTENDED_TYPES_SERDES, SerDes, SerDesContext

MapFunction = Callable[[DurableContext, Any, int, Sequence[Any]], Any]
LARGE_ITEM_CHARS = 70 * 1024


def _label(value: Any) -> str:
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


def sequential(**completion: Any) -> MapConfig:
    if not completion:
        return MapConfig(max_concurrency=1)
    return MapConfig(max_concurrency=1, completion_config=CompletionConfig(**completion))


def identity_or_fail(ctx: DurableContext, item: Any, index: int, items: Sequence[Any]) -> Any:
    if item == "fail":
        raise ValueError(f"item {index} failed")
    return item


def upper(ctx: DurableContext, item: str, index: int, items: Sequence[Any]) -> str:
    return item.upper()


@durable_execution
def handler_9_1(event: Any, context: DurableContext) -> list[Any]:
    def greet(ctx: DurableContext, item: Any, index: int, items: Sequence[Any]) -> str:
        return ctx.step(lambda _: f"Hello, {item}!", name=f"greet-{index}")

    return context.map(event, greet, name="map", config=sequential()).get_results()


@durable_execution
def handler_9_2(event: Any, context: DurableContext) -> list[Any]:
    def double(ctx: DurableContext, item: int, index: int, items: Sequence[Any]) -> int:
        return item * 2

    return context.map(event, double, config=sequential()).get_results()


@durable_execution
def handler_9_3(event: Any, context: DurableContext) -> list[Any]:
    def add_index(ctx: DurableContext, item: int, index: int, items: Sequence[Any]) -> int:
        return item + index

    return context.map(event, add_index, name="indexed", config=sequential()).get_results()


@durable_execution
def handler_9_4(event: Any, context: DurableContext) -> list[Any]:
    return context.map(list(event or []), identity_or_fail, name="empty").get_results()


@durable_execution
def handler_9_5(event: Any, context: DurableContext) -> dict[str, Any]:
    items = ["ok", "fail", "never"]
    config = sequential(tolerated_failure_count=0)
    batch = context.map(items, identity_or_fail, name="failfast", config=config)
    return projection(batch)


@durable_execution
def handler_9_6(event: Any, context: DurableContext) -> list[Any]:
    items = ["fail", "never"]
    config = sequential(tolerated_failure_count=0)
    batch = context.map(items, identity_or_fail, name="throwing", config=config)
    batch.throw_if_error()
    return batch.get_results()


@durable_execution
def handler_9_7(event: Any, context: DurableContext) -> dict[str, Any]:
    items = ["a", "b", "c", "d"]
    config = sequential(min_successful=2)
    batch = context.map(items, identity_or_fail, name="min-successful", config=config)
    return {
        "completionReason": _label(batch.completion_reason),
        "successCount": batch.success_count,
        "totalCount": batch.total_count,
    }


@durable_execution
def handler_9_8(event: Any, context: DurableContext) -> dict[str, Any]:
    items = ["a", "fail", "c"]
    config = sequential(tolerated_failure_count=1)
    batch = context.map(items, identity_or_fail, name="tolerated", config=config)
    return projection(batch)


@durable_execution
def handler_9_9(event: Any, context: DurableContext) -> dict[str, Any]:
    items = ["fail", "fail", "c"]
    config = sequential(tolerated_failure_count=1)
    batch = context.map(items, identity_or_fail, name="tolerated-exceeded", config=config)
    return projection(batch, with_status=False)


@durable_execution
def handler_9_10(event: Any, context: DurableContext) -> dict[str, Any]:
    items = ["fail", "fail", "c", "d"]
    config = sequential(tolerated_failure_percentage=25)
    batch = context.map(items, identity_or_fail, name="tolerated-pct", config=config)
    return projection(batch, with_status=False)


@durable_execution
def handler_9_11(event: Any, context: DurableContext) -> list[Any]:
    items = ["r0", "r1", "r2"]
    config = MapConfig(max_concurrency=2)
    return context.map(items, identity_or_fail, name="concurrent", config=config).get_results()


@durable_execution
def handler_9_12(event: Any, context: DurableContext) -> list[Any]:
    def in_step(ctx: DurableContext, item: Any, index: int, items: Sequence[Any]) -> Any:
        return ctx.step(lambda _: item, name=f"item-{index}")

    config = MapConfig(max_concurrency=1, nesting_type=NestingType.FLAT)
    return context.map(["fa", "fb"], in_step, name="flat", config=config).get_results()


@durable_execution
def handler_9_13(event: Any, context: DurableContext) -> list[Any]:
    config = MapConfig(max_concurrency=1, item_namer=lambda item, index: f"item-{item}")
    return context.map(
        event, lambda ctx, item, index, items: item * 10, name="named-items", config=config
    ).get_results()


class PrefixSerDes(SerDes[str]):
    """Per-item serdes storing ``"wrapped:<value>"`` (9-14); deserializing strips the prefix."""

    PREFIX = "wrapped:"

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return f"{self.PREFIX}{value}"

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        if not data.startswith(self.PREFIX):
            raise ValueError(f"not written by PrefixSerDes: {data!r}")
        return data[len(self.PREFIX) :]


@durable_execution
def handler_9_14(event: Any, context: DurableContext) -> list[Any]:
    config = MapConfig(max_concurrency=1, item_serdes=PrefixSerDes())
    return context.map(["x", "y"], upper, name="serdes", config=config).get_results()


@durable_execution
def handler_9_15(event: Any, context: DurableContext) -> list[Any]:
    def maybe_wait(ctx: DurableContext, item: Any, index: int, items: Sequence[Any]) -> Any:
        if index == 1:
            ctx.wait(Duration.from_seconds(1))
        return ctx.step(lambda _: item, name=f"produce-{index}")

    return context.map(["r0", "r1"], maybe_wait, name="suspend", config=sequential()).get_results()


@durable_execution
def handler_9_16(event: Any, context: DurableContext) -> dict[str, int]:
    def large(ctx: DurableContext, item: str, index: int, items: Sequence[Any]) -> str:
        return item * LARGE_ITEM_CHARS

    batch = context.map(["a", "b", "c", "d"], large, name="large", config=sequential())
    return {"successCount": batch.success_count, "totalCount": batch.total_count}


@durable_execution
def handler_9_17(event: Any, context: DurableContext) -> list[Any]:
    results = context.map(["a", "b"], upper, name="then-wait", config=sequential()).get_results()
    context.wait(Duration.from_seconds(1))
    return results


@durable_execution
def handler_9_18(event: Any, context: DurableContext) -> dict[str, Any]:
    config = sequential(tolerated_failure_count=1)
    batch = context.map(["ok", "fail"], identity_or_fail, name="fail-then-wait", config=config)
    context.wait(Duration.from_seconds(1))
    return projection(batch)


class OperationSerDes(SerDes[BatchResult[Any]]):
    """Whole-map-result serdes: ``"OPSERDE:" + ",".join(results)`` and back (9-19, 9-20)."""

    PREFIX = "OPSERDE:"

    def serialize(self, value: BatchResult[Any], serdes_context: SerDesContext) -> str:
        return self.PREFIX + ",".join(str(result) for result in value.get_results())

    def deserialize(self, data: str, serdes_context: SerDesContext) -> BatchResult[Any]:
        if not data.startswith(self.PREFIX):
            raise ValueError(f"not written by OperationSerDes: {data!r}")
        body = data[len(self.PREFIX) :]
        values = body.split(",") if body else []
        items = [
            BatchItem(index=index, status=BatchItemStatus.SUCCEEDED, result=value)
            for index, value in enumerate(values)
        ]
        return BatchResult(all=items, completion_reason=CompletionReason.ALL_COMPLETED)


def _op_serdes_config() -> MapConfig:
    return MapConfig(max_concurrency=1, serdes=OperationSerDes(), item_serdes=EXTENDED_TYPES_SERDES)


@durable_execution
def handler_9_19(event: Any, context: DurableContext) -> list[Any]:
    return context.map(["x", "y"], upper, name="op-serde", config=_op_serdes_config()).get_results()


@durable_execution
def handler_9_20(event: Any, context: DurableContext) -> list[Any]:
    batch = context.map(["x", "y"], upper, name="op-serde-replay", config=_op_serdes_config())
    context.wait(Duration.from_seconds(1))
    return batch.get_results()
