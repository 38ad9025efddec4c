"""Conformance handlers for the ``invoke`` suite (requirements 5-1 … 5-16) and their targets.

The targets are durable functions too (the history asserts the child execution's ARN in
``ChainedInvokeStartedDetails.DurableExecutionArn``). Their function names are the logical ids
under which ``template.yaml`` declares them; the constants below must match it.
"""

from __future__ import annotations

import json
from typing import Any

from durable_lambda import DurableContext, InvokeError, durable_execution
from durable_lambda.config import Duration, InvokeConfig
from durable_lambda.serdes import SerDes, SerDesContext

ECHO_TARGET = "InvokeEchoTarget"
FAILING_TARGET = "InvokeFailingTarget"
LENGTH_TARGET = "InvokeLengthTarget"
LARGE_PAYLOAD_CHARS = 200 * 1024  # close to the 256 KiB checkpoint / async payload limits


# -- targets -----------------------------------------------------------------------------------


@durable_execution
def echo_target(event: Any, context: DurableContext) -> Any:
    """Returns whatever it receives."""
    return event


@durable_execution
def failing_target(event: Any, context: DurableContext) -> Any:
    """Always fails the (child) execution."""
    raise RuntimeError(f"target failed for input {event!r}")


@durable_execution
def length_target(event: Any, context: DurableContext) -> dict[str, int]:
    """Processes a (large) payload and returns a small summary of it."""
    data = event.get("data", "") if isinstance(event, dict) else ""
    return {"received_chars": len(data)}


# -- serdes --------------------------------------------------------------------------------------


class UppercasePayloadSerDes(SerDes[Any]):
    """JSON with every string uppercased (5-15: transforms the outgoing payload)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        if isinstance(value, dict):
            value = {k: v.upper() if isinstance(v, str) else v for k, v in value.items()}
        elif isinstance(value, str):
            value = value.upper()
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return json.loads(data)


class UppercaseResultSerDes(SerDes[str]):
    """Uppercases the raw result text (5-16: ``"hello"`` arrives as ``"HELLO"``, quotes kept)."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data.upper()


# -- requirements --------------------------------------------------------------------------------


@durable_execution
def handler_5_1(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO_TARGET, event)


@durable_execution
def handler_5_2(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO_TARGET, event["payload"], name=event["name"])


@durable_execution
def handler_5_3(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO_TARGET, event)


@durable_execution
def handler_5_4(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO_TARGET, None)


@durable_execution
def handler_5_5(event: Any, context: DurableContext) -> Any:
    return context.invoke(FAILING_TARGET, event)


@durable_execution
def handler_5_6(event: Any, context: DurableContext) -> Any:
    try:
        return context.invoke(FAILING_TARGET, event)
    except InvokeError:
        return "fallback"


@durable_execution
def handler_5_7(event: Any, context: DurableContext) -> Any:
    return context.invoke(LENGTH_TARGET, {"data": "x" * LARGE_PAYLOAD_CHARS})


@durable_execution
def handler_5_8(event: Any, context: DurableContext) -> Any:
    config: InvokeConfig[Any, Any] = InvokeConfig(tenant_id=event["tenantId"])
    return context.invoke(ECHO_TARGET, event["payload"], config=config)


@durable_execution
def handler_5_9(event: Any, context: DurableContext) -> Any:
    result = context.invoke(ECHO_TARGET, {"value": "cached"})
    context.wait(Duration.from_seconds(1))
    return result


@durable_execution
def handler_5_10(event: Any, context: DurableContext) -> str:
    try:
        context.invoke(FAILING_TARGET, {"value": "doomed"})
        outcome = "not raised"
    except InvokeError as err:
        outcome = f"caught: {err}"
    context.wait(Duration.from_seconds(1))
    return outcome


@durable_execution
def handler_5_11(event: Any, context: DurableContext) -> Any:
    prepared = context.step(lambda _: {"prepared": "value"}, name="prepare")
    return context.invoke(ECHO_TARGET, prepared)


@durable_execution
def handler_5_12(event: Any, context: DurableContext) -> Any:
    echoed = context.invoke(ECHO_TARGET, {"value": 21})
    return context.step(lambda _: {"doubled": echoed["value"] * 2}, name="use_invoke_result")


@durable_execution
def handler_5_13(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(
        lambda child: child.invoke(ECHO_TARGET, {"from": "child"}), name="invoke_in_child"
    )


@durable_execution
def handler_5_14(event: Any, context: DurableContext) -> list[Any]:
    first = context.invoke(ECHO_TARGET, {"call": 1})
    second = context.invoke(ECHO_TARGET, {"call": 2})
    return [first, second]


@durable_execution
def handler_5_15(event: Any, context: DurableContext) -> Any:
    config: InvokeConfig[Any, Any] = InvokeConfig(serdes_payload=UppercasePayloadSerDes())
    return context.invoke(ECHO_TARGET, event, config=config)


@durable_execution
def handler_5_16(event: Any, context: DurableContext) -> Any:
    config: InvokeConfig[Any, str] = InvokeConfig(serdes_result=UppercaseResultSerDes())
    return context.invoke(ECHO_TARGET, event, config=config)
