"""Conformance handlers for the ``wait`` suite (requirements 2-1 … 2-5)."""

from __future__ import annotations

from typing import Any

from durable_lambda import DurableContext, durable_execution
from durable_lambda.config import Duration


@durable_execution
def handler_2_1(event: Any, context: DurableContext) -> str:
    context.wait(Duration.from_seconds(2))
    return "waited"


@durable_execution
def handler_2_2(event: Any, context: DurableContext) -> str:
    context.wait(Duration.from_seconds(2), name="custom_wait_name")
    return "waited"


@durable_execution
def handler_2_3(event: Any, context: DurableContext) -> dict[str, int]:
    context.wait(Duration.from_seconds(2), name="wait-1")
    context.wait(Duration.from_seconds(2), name="wait-2")
    return {"completedWaits": 2}


@durable_execution
def handler_2_4(event: Any, context: DurableContext) -> str:
    context.wait(Duration.from_minutes(1))
    return "waited a minute"


@durable_execution
def handler_2_5(event: Any, context: DurableContext) -> str:
    context.wait(Duration.from_hours(1))
    return "waited an hour"
