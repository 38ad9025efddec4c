"""Conformance handlers for the ``step`` suite (requirements 1-1 … 1-20).

One ``@durable_execution`` function per requirement, written from the requirement's ``handler`` /
``invocations`` prose. "Fails on the first attempt" is decided from ``StepContext.attempt`` (the
durable attempt number), never from process memory, so the handlers behave the same under the
thread and the process invoker. The crash requirements (1-17, 1-18) need the process invoker.
"""

from __future__ import annotations

import json
from typing import Any

from conformance_support import crash_once

from durable_lambda import DurableContext, StepError, durable_execution, durable_step
from durable_lambda.config import Duration, JitterStrategy, StepConfig, StepSemantics
from durable_lambda.retries import (
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)
from durable_lambda.serdes import SerDes, SerDesContext
from durable_lambda.types import StepContext


class TransientError(Exception):
    """The custom error type of 1-15 / 1-16."""


class UppercaseSerDes(SerDes[Any]):
    """JSON serdes that uppercases every string value on serialization (1-6)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return json.dumps(_uppercase(value))

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return json.loads(data)


def _uppercase(value: Any) -> Any:
    if isinstance(value, str):
        return value.upper()
    if isinstance(value, list):
        return [_uppercase(item) for item in value]
    if isinstance(value, dict):
        return {key: _uppercase(item) for key, item in value.items()}
    return value


def _fixed_retry(max_attempts: int, delay_seconds: int, backoff_rate: float = 1.0) -> Any:
    """A retry strategy without jitter: delays are exactly ``delay * rate**(attempt-1)``."""
    return create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(delay_seconds),
            backoff_rate=backoff_rate,
            jitter_strategy=JitterStrategy.NONE,
        )
    )


NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


@durable_step
def greet(step_context: StepContext, name: Any) -> str:
    return f"Hello, {name}!"


@durable_step
def greet_with_logs(step_context: StepContext, name: Any) -> str:
    step_context.logger.info(f"Greeting step started for: {name}")
    greeting = f"Hello, {name}!"
    step_context.logger.info(f"Greeting step completed with: {greeting}")
    return greeting


@durable_execution
def handler_1_1(event: Any, context: DurableContext) -> str:
    return context.step(greet(event))


@durable_execution
def handler_1_2(event: Any, context: DurableContext) -> str:
    return context.step(lambda _: f"Hello, {event}!", name="custom_step_name")


@durable_execution
def handler_1_3(event: Any, context: DurableContext) -> str:
    result1 = context.step(lambda _: "first", name="step_one")
    return context.step(lambda _: f"{result1}_second", name="step_two")


@durable_execution
def handler_1_4(event: Any, context: DurableContext) -> dict[str, Any]:
    def build_response(_: StepContext) -> dict[str, Any]:
        tags = list(event["tags"])
        return {"user": {"name": event["name"], "tags": tags}, "count": len(tags)}

    return context.step(build_response, name="build_response")


@durable_execution
def handler_1_5(event: Any, context: DurableContext) -> None:
    return context.step(lambda _: None, name="do_nothing")


@durable_execution
def handler_1_6(event: Any, context: DurableContext) -> Any:
    return context.step(
        lambda _: event, name="return_input", config=StepConfig(serdes=UppercaseSerDes())
    )


@durable_execution
def handler_1_7(event: Any, context: DurableContext) -> str:
    return context.step(greet_with_logs(event))


@durable_execution
def handler_1_8(event: Any, context: DurableContext) -> str:
    value = context.step(lambda _: "computed", name="compute")
    context.wait(Duration.from_seconds(2))
    return value


@durable_execution
def handler_1_9(event: Any, context: DurableContext) -> str:
    def produce(step_context: StepContext) -> str:
        step_context.logger.info("step executed")
        return "cached_value"

    value = context.step(produce, name="produce")
    context.wait(Duration.from_seconds(1))
    return value


@durable_execution
def handler_1_10(event: Any, context: DurableContext) -> str:
    def fail(step_context: StepContext) -> None:
        step_context.logger.info("step executed")
        raise ValueError("permanent failure")

    try:
        context.step(fail, name="fail", config=NO_RETRY)
        outcome = "not raised"
    except StepError as err:
        outcome = f"caught: {err}"
    context.wait(Duration.from_seconds(1))
    return outcome


@durable_execution
def handler_1_11(event: Any, context: DurableContext) -> str:
    def unreliable(step_context: StepContext) -> str:
        if step_context.attempt == 1:
            raise RuntimeError("transient failure on attempt 1")
        return "Operation succeeded"

    return context.step(
        unreliable, name="unreliable", config=StepConfig(retry_strategy=_fixed_retry(3, 1))
    )


@durable_execution
def handler_1_12(event: Any, context: DurableContext) -> None:
    def always_fail(step_context: StepContext) -> None:
        raise RuntimeError(f"attempt {step_context.attempt} failed")

    config = StepConfig(retry_strategy=_fixed_retry(4, 1))
    context.step(always_fail, name="always_fail", config=config)


@durable_execution
def handler_1_13(event: Any, context: DurableContext) -> str:
    def unreliable(step_context: StepContext) -> str:
        if step_context.attempt < 3:
            raise RuntimeError(f"failure on attempt {step_context.attempt}")
        return "succeeded on attempt 3"

    return context.step(unreliable, name="unreliable")  # SDK default retry strategy


@durable_execution
def handler_1_14(event: Any, context: DurableContext) -> str:
    def unreliable(step_context: StepContext) -> str:
        if step_context.attempt < 3:
            raise RuntimeError(f"failure on attempt {step_context.attempt}")
        return "succeeded on attempt 3"

    strategy = _fixed_retry(5, 2, backoff_rate=3.0)
    return context.step(unreliable, name="unreliable", config=StepConfig(retry_strategy=strategy))


def retry_on_transient(error: Exception, attempts_made: int) -> RetryDecision:
    """Retries only ``TransientError`` (1-15), at most 3 attempts, 1 s apart."""
    if isinstance(error, TransientError) and attempts_made < 3:
        return RetryDecision.retry(Duration.from_seconds(1))
    return RetryDecision.no_retry()


def no_retry_on_transient_error(error: Exception, attempts_made: int) -> RetryDecision:
    """Refuses to retry ``TransientError`` (1-16); anything else is retried once."""
    if isinstance(error, TransientError) or attempts_made >= 2:
        return RetryDecision.no_retry()
    return RetryDecision.retry(Duration.from_seconds(1))


@durable_execution
def handler_1_15(event: Any, context: DurableContext) -> str:
    def flaky(step_context: StepContext) -> str:
        if step_context.attempt == 1:
            raise TransientError("temporary outage")
        return "recovered from TransientError"

    return context.step(flaky, name="flaky", config=StepConfig(retry_strategy=retry_on_transient))


@durable_execution
def handler_1_16(event: Any, context: DurableContext) -> None:
    def flaky(step_context: StepContext) -> None:
        raise TransientError("temporary outage")

    context.step(flaky, name="flaky", config=StepConfig(retry_strategy=no_retry_on_transient_error))


@durable_execution
def handler_1_17(event: Any, context: DurableContext) -> str:
    arn = context.execution_context.durable_execution_arn

    def at_most_once_flaky_step(step_context: StepContext) -> str:
        step_context.logger.info(f"processing input {event}")
        crash_once(arn, "1-17")
        return "unreachable on the first attempt"

    config = StepConfig(
        retry_strategy=RetryPresets.none(),
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
    )
    return context.step(at_most_once_flaky_step, name="at_most_once_flaky_step", config=config)


@durable_execution
def handler_1_18(event: Any, context: DurableContext) -> str:
    arn = context.execution_context.durable_execution_arn

    def at_most_once_retrying_step(step_context: StepContext) -> str:
        step_context.logger.info(f"processing input {event}")
        crash_once(arn, "1-18")
        return "succeeded on second attempt"

    config = StepConfig(
        retry_strategy=_fixed_retry(3, 1),
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
    )
    return context.step(
        at_most_once_retrying_step, name="at_most_once_retrying_step", config=config
    )


@durable_execution
def handler_1_19(event: Any, context: DurableContext) -> None:
    def failing(_: StepContext) -> None:
        raise ValueError("this step always fails")

    context.step(failing, name="failing", config=NO_RETRY)


@durable_execution
def handler_1_20(event: Any, context: DurableContext) -> str:
    def failing(_: StepContext) -> str:
        raise ValueError("primary path failed")

    try:
        value = context.step(failing, name="failing", config=NO_RETRY)
    except StepError:
        value = "fallback"
    return context.step(lambda _: f"{value}_result", name="use_fallback")
