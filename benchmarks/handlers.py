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
