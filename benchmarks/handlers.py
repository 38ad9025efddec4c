"""Handlers used by the benchmarks (plain durable handlers, same as users write)."""

from __future__ import annotations

from typing import Any

from durable_lambda import DurableContext, durable_execution


@durable_execution
def sequential_steps(event: dict[str, Any], context: DurableContext) -> int:
    total = 0
    for i in range(int(event["n"])):
        total += context.step(lambda _, i=i: i, name=f"s{i}")
    return total


@durable_execution
def map_items(event: dict[str, Any], context: DurableContext) -> int:
    items = list(range(int(event["n"])))
    return sum(context.map(items, lambda ctx, item, index, all_items: item).get_results())


@durable_execution
def parallel_branches(event: dict[str, Any], context: DurableContext) -> int:
    branches = [lambda ctx, i=i: i for i in range(int(event["n"]))]
    return sum(context.parallel(branches).get_results())
