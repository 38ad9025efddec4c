"""Conformance handlers for the ``child`` suite (requirements 3-1 … 3-18).

Most requirements assert a ``Name`` on the child context events without the prose naming the
context, so the bodies are ``@durable_with_child_context`` functions: the SDK names the context
after the decorated function. 3-11 and 3-17 log with :func:`replay_visible_log` ("replay logging
enabled") so that a re-run of the child body during replay shows up in the captured logs; 3-12
crashes the worker process once and needs the process invoker.
"""

from __future__ import annotations

import contextlib
from typing import Any

from conformance_support import crash_once, replay_visible_log

from durable_lambda import (
    ChildContextError,
    DurableContext,
    durable_execution,
    durable_with_child_context,
)
from durable_lambda.config import ChildConfig, Duration, JitterStrategy, StepConfig
from durable_lambda.retries import RetryPresets, RetryStrategyConfig, create_retry_strategy
from durable_lambda.serdes import SerDes, SerDesContext
from durable_lambda.types import StepContext

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())
CHECKPOINT_LIMIT = 256 * 1024


def _retry_every_second(max_attempts: int) -> StepConfig:
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=max_attempts,
                initial_delay=Duration.from_seconds(1),
                backoff_rate=1.0,
                jitter_strategy=JitterStrategy.NONE,
            )
        )
    )


class UppercaseRawSerDes(SerDes[str]):
    """Serializes a string as its uppercase text, unquoted (3-14); deserializes verbatim."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value.upper()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data


@durable_with_child_context
def echo_in_step(child: DurableContext, value: Any) -> Any:
    return child.step(lambda _: value, name="echo")


@durable_execution
def handler_3_1(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(echo_in_step(event))


@durable_execution
def handler_3_2(event: Any, context: DurableContext) -> Any:
    value = event["value"]
    return context.run_in_child_context(
        lambda child: child.step(lambda _: value, name="echo"), name=event["name"]
    )


@durable_with_child_context
def two_steps(child: DurableContext, value: Any) -> Any:
    first = child.step(lambda _: value, name="first")
    return child.step(lambda _: first, name="second")


@durable_execution
def handler_3_3(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(two_steps(event))


@durable_with_child_context
def failing_step_child(child: DurableContext) -> None:
    def fail(_: StepContext) -> None:
        raise ValueError("step inside child failed")

    child.step(fail, name="fail", config=NO_RETRY)


@durable_execution
def handler_3_4(event: Any, context: DurableContext) -> None:
    context.run_in_child_context(failing_step_child())


@durable_execution
def handler_3_5(event: Any, context: DurableContext) -> Any:
    with contextlib.suppress(ChildContextError):
        context.run_in_child_context(failing_step_child())
    return context.step(lambda _: event, name="recover")


@durable_with_child_context
def inner_child(child: DurableContext, value: Any) -> Any:
    return child.step(lambda _: value, name="inner_step")


@durable_with_child_context
def outer_child(child: DurableContext, value: Any) -> Any:
    child.step(lambda _: value, name="outer_step")
    return child.run_in_child_context(inner_child(value))


@durable_execution
def handler_3_6(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(outer_child(event))


@durable_with_child_context
def retrying_child(child: DurableContext, value: Any) -> Any:
    def flaky(step_context: StepContext) -> Any:
        if step_context.attempt == 1:
            raise RuntimeError("fails on attempt 1")
        return value

    return child.step(flaky, name="flaky", config=_retry_every_second(3))


@durable_execution
def handler_3_7(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(retrying_child(event))


@durable_with_child_context
def exhausting_child(child: DurableContext) -> None:
    def always_fail(step_context: StepContext) -> None:
        raise RuntimeError(f"attempt {step_context.attempt} failed")

    child.step(always_fail, name="always_fail", config=_retry_every_second(2))


@durable_execution
def handler_3_8(event: Any, context: DurableContext) -> None:
    context.run_in_child_context(exhausting_child())


@durable_execution
def handler_3_9(event: Any, context: DurableContext) -> Any:
    result = context.run_in_child_context(echo_in_step(event))
    context.wait(Duration.from_seconds(1))
    return result


@durable_with_child_context
def step_then_wait(child: DurableContext, value: Any) -> Any:
    result = child.step(lambda _: value, name="echo")
    child.wait(Duration.from_seconds(1))
    return result


@durable_execution
def handler_3_10(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(step_then_wait(event))


@durable_with_child_context
def large_result_child(child: DurableContext, value: str, execution_arn: str) -> str:
    replay_visible_log(execution_arn, f"building large result for {value}")
    small = child.step(lambda _: value, name="small")
    repeats = CHECKPOINT_LIMIT // max(1, len(small)) + 1024
    return small * repeats  # > 256 KiB once serialized: checkpointed in ReplayChildren mode


@durable_execution
def handler_3_11(event: Any, context: DurableContext) -> dict[str, Any]:
    arn = context.execution_context.durable_execution_arn
    large = context.run_in_child_context(large_result_child(event, arn))
    context.wait(Duration.from_seconds(1))
    return {"length": len(large), "prefix": large[: len(event)]}


@durable_execution
def handler_3_12(event: Any, context: DurableContext) -> Any:
    arn = context.execution_context.durable_execution_arn

    def crash_then_echo(_: StepContext) -> Any:
        # AT_LEAST_ONCE: the START checkpoints are asynchronous; give them time to land.
        crash_once(arn, "3-12", flush_delay_seconds=1.5)
        return event

    return context.run_in_child_context(
        lambda child: child.step(crash_then_echo, name="crash_then_echo")
    )


@durable_with_child_context
def only_wait(child: DurableContext, value: Any) -> Any:
    child.wait(Duration.from_seconds(1))
    return value


@durable_execution
def handler_3_13(event: Any, context: DurableContext) -> Any:
    context.run_in_child_context(only_wait(event))
    return context.step(lambda _: event, name="after_child")


@durable_with_child_context
def echo_for_serdes(child: DurableContext, value: str) -> str:
    return child.step(lambda _: value, name="echo")


@durable_execution
def handler_3_14(event: Any, context: DurableContext) -> str:
    return context.run_in_child_context(
        echo_for_serdes(event), config=ChildConfig(serdes=UppercaseRawSerDes())
    )


@durable_with_child_context
def raise_directly(child: DurableContext) -> None:
    raise ValueError("child body failed without any durable operation")


@durable_execution
def handler_3_15(event: Any, context: DurableContext) -> None:
    context.run_in_child_context(raise_directly())


@durable_with_child_context
def return_null(child: DurableContext) -> None:
    return None


@durable_execution
def handler_3_16(event: Any, context: DurableContext) -> None:
    return context.run_in_child_context(return_null())


@durable_with_child_context
def log_only(child: DurableContext, value: Any, execution_arn: str) -> Any:
    replay_visible_log(execution_arn, f"child body ran for {value}")
    return value


@durable_execution
def handler_3_17(event: Any, context: DurableContext) -> Any:
    arn = context.execution_context.durable_execution_arn
    result = context.run_in_child_context(log_only(event, arn))
    context.wait(Duration.from_seconds(1))
    return result


@durable_execution
def handler_3_18(event: Any, context: DurableContext) -> Any:
    inner = context.run_in_child_context(step_then_wait(event))
    outer = context.step(lambda _: inner, name="outer_step")
    context.wait(Duration.from_seconds(1))
    return outer
