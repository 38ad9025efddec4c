"""Conformance handlers for the ``callback`` suite (requirements 4-1 … 4-19).

The validator answers callbacks by name (``CallbackActions``), so every callback is named from the
input or with the fixed name the prose gives. Without a serdes the SDK hands back the raw result
string the external system sent (pass-through); the handlers decode it as JSON where the prose
says they return "the deserialized result".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from durable_lambda import CallbackError, DurableContext, durable_execution
from durable_lambda.config import CallbackConfig, Duration
from durable_lambda.serdes import SerDes, SerDesContext


def _decode(raw: str | None) -> Any:
    """The JSON value behind a pass-through callback result (``None`` when there was none)."""
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def _seconds(value: int) -> CallbackConfig:
    return CallbackConfig(timeout=Duration.from_seconds(value))


@durable_execution
def handler_4_1(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    return _decode(callback.result())


@durable_execution
def handler_4_2(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name="approval")
    return _decode(callback.result())


@durable_execution
def handler_4_3(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event, config=_seconds(5))
    return _decode(callback.result())


@durable_execution
def handler_4_4(event: Any, context: DurableContext) -> Any:
    config = CallbackConfig(heartbeat_timeout=Duration.from_seconds(5))
    callback = context.create_callback(name=event, config=config)
    return _decode(callback.result())


@durable_execution
def handler_4_5(event: Any, context: DurableContext) -> Any:
    config = CallbackConfig(heartbeat_timeout=Duration.from_seconds(10))
    callback = context.create_callback(name=event, config=config)
    return _decode(callback.result())


@durable_execution
def handler_4_6(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    return _decode(callback.result())


@durable_execution
def handler_4_7(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    context.step(lambda _: "side work done", name="side_work")
    return _decode(callback.result())


@durable_execution
def handler_4_8(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event, config=_seconds(5))
    context.step(lambda _: "side work done", name="side_work")
    return _decode(callback.result())


@durable_execution
def handler_4_9(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    context.wait(Duration.from_seconds(5))
    return _decode(callback.result())


@durable_execution
def handler_4_10(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    context.wait(Duration.from_seconds(5))
    return _decode(callback.result())


@durable_execution
def handler_4_11(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event, config=_seconds(3))
    context.wait(Duration.from_seconds(6))
    return _decode(callback.result())


@durable_execution
def handler_4_12(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    result = _decode(callback.result())
    context.wait(Duration.from_seconds(2))
    return result


@durable_execution
def handler_4_13(event: Any, context: DurableContext) -> str:
    callback = context.create_callback(name=event)
    try:
        message = f"approved: {_decode(callback.result())}"
    except CallbackError as err:
        message = f"callback failed: {err}"
    context.wait(Duration.from_seconds(2))
    return message


@durable_execution
def handler_4_14(event: Any, context: DurableContext) -> str:
    callback = context.create_callback(name=event, config=_seconds(3))
    try:
        message = f"approved: {_decode(callback.result())}"
    except CallbackError as err:
        message = f"callback timed out: {err}"
    context.wait(Duration.from_seconds(2))
    return message


@dataclass(frozen=True)
class Received:
    """The typed callback payload of 4-15; ``timestamp`` is epoch seconds."""

    id: str
    message: str
    timestamp: int


class ReceivedSerDes(SerDes[Received]):
    """Parses the raw JSON callback payload into :class:`Received` (ISO timestamp -> seconds)."""

    def serialize(self, value: Received, serdes_context: SerDesContext) -> str:
        return json.dumps(asdict(value))

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Received:
        raw = json.loads(data)
        stamp = raw["timestamp"]
        if isinstance(stamp, str):
            parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            stamp = int(parsed.timestamp())
        return Received(id=str(raw["id"]), message=str(raw["message"]), timestamp=int(stamp))


class IntSerDes(SerDes[int]):
    """Parses the raw callback payload into a number (4-16)."""

    def serialize(self, value: int, serdes_context: SerDesContext) -> str:
        return str(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> int:
        return int(json.loads(data))


@durable_execution
def handler_4_15(event: Any, context: DurableContext) -> dict[str, Any]:
    callback = context.create_callback(name=event, config=CallbackConfig(serdes=ReceivedSerDes()))
    received = callback.result()
    if not isinstance(received, Received):
        raise TypeError(f"custom deserializer not applied, got {received!r}")
    return {"received": asdict(received)}


@durable_execution
def handler_4_16(event: Any, context: DurableContext) -> dict[str, int]:
    callback = context.create_callback(name=event, config=CallbackConfig(serdes=IntSerDes()))
    count = callback.result()
    if not isinstance(count, int):
        raise TypeError(f"custom deserializer not applied, got {count!r}")
    return {"count": count, "doubled": count * 2}


@durable_execution
def handler_4_17(event: Any, context: DurableContext) -> list[Any]:
    first = context.create_callback(name=event[0])
    result_a = _decode(first.result())
    second = context.create_callback(name=event[1])
    result_b = _decode(second.result())
    return [result_a, result_b]


@durable_execution
def handler_4_18(event: Any, context: DurableContext) -> list[Any]:
    callback_a = context.create_callback(name=event[0])
    callback_b = context.create_callback(name=event[1])
    result_a = _decode(callback_a.result())
    result_b = _decode(callback_b.result())
    return [result_a, result_b]


@durable_execution
def handler_4_19(event: Any, context: DurableContext) -> list[Any]:
    callback_a = context.create_callback(name=event[0])
    callback_b = context.create_callback(name=event[1])
    result_b = _decode(callback_b.result())
    result_a = _decode(callback_a.result())
    return [result_a, result_b]
