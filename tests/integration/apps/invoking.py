"""Callers and targets for the chained-invoke tests."""

from __future__ import annotations

from typing import Any

from durable_lambda import DurableContext, durable_execution
from durable_lambda.exceptions import InvokeError


def plain_double(event: Any, context: Any) -> Any:
    """A plain (non-durable) Lambda handler."""
    return {"doubled": event["value"] * 2, "request": context.aws_request_id != ""}


@durable_execution
def durable_version(event: Any, context: DurableContext) -> Any:
    return context.step(lambda _: {"version": "v1", "got": event}, name="answer")


@durable_execution
def call(event: Any, context: DurableContext) -> Any:
    """Invokes ``event["target"]`` with ``event["payload"]``; returns the result or the error."""
    try:
        return {"ok": context.invoke(event["target"], event.get("payload"), name="call")}
    except InvokeError as err:
        return {"error_type": err.error_type, "message": err.message}


@durable_execution
def call_unserialisable(event: Any, context: DurableContext) -> Any:
    return context.invoke("plain", {"bad": {1, 2, 3}})


@durable_execution
def map_over(event: Any, context: DurableContext) -> Any:
    return context.map(event["items"], lambda ctx, item, i, items: item).get_results()
