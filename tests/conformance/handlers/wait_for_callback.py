"""Conformance handlers for the ``wait_for_callback`` suite (requirements 7-1 … 7-15).

The submitters only log the callback id: the validator plays the external system and answers the
(anonymous) inner callback itself. Results are returned as the raw string the SDK hands back
(pass-through serdes) unless the requirement configures a serdes (7-11).
"""

from __future__ import annotations

from typing import Any

from durable_lambda import CallbackError, DurableContext, durable_execution
from durable_lambda.config import Duration, JitterStrategy, WaitForCallbackConfig
from durable_lambda.retries import RetryStrategyConfig, create_retry_strategy
from durable_lambda.serdes import JsonSerDes
from durable_lambda.types import WaitForCallbackContext


def submit(callback_id: str, callback_context: WaitForCallbackContext) -> None:
    """Hands the callback id to the "external system" (here: just logs it)."""
    callback_context.logger.info(f"submitted callback {callback_id}")


def _timeout(seconds: int) -> WaitForCallbackConfig:
    return WaitForCallbackConfig(timeout=Duration.from_seconds(seconds))


def _heartbeat(seconds: int) -> WaitForCallbackConfig:
    return WaitForCallbackConfig(heartbeat_timeout=Duration.from_seconds(seconds))


@durable_execution
def handler_7_1(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(submit, name=event)


@durable_execution
def handler_7_2(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(submit, name="approval")


@durable_execution
def handler_7_3(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(lambda callback_id, _: None)


@durable_execution
def handler_7_4(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(submit, name=event)


@durable_execution
def handler_7_5(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(submit, name=event, config=_timeout(3))


@durable_execution
def handler_7_6(event: Any, context: DurableContext) -> Any:
    try:
        return context.wait_for_callback(submit, name=event)
    except CallbackError:
        return "recovered"


def failing_submitter(callback_id: str, callback_context: WaitForCallbackContext) -> None:
    raise RuntimeError(f"could not submit callback {callback_id}")


@durable_execution
def handler_7_7(event: Any, context: DurableContext) -> Any:
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2,
            initial_delay=Duration.from_seconds(1),
            backoff_rate=1.0,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    config = WaitForCallbackConfig(retry_strategy=strategy)
    return context.wait_for_callback(failing_submitter, name=event, config=config)


@durable_execution
def handler_7_8(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(
        lambda child: child.wait_for_callback(submit, name=event), name="wrapper"
    )


@durable_execution
def handler_7_9(event: Any, context: DurableContext) -> Any:
    context.wait_for_callback(submit, name="first")
    return context.wait_for_callback(submit, name="second")


@durable_execution
def handler_7_10(event: Any, context: DurableContext) -> Any:
    context.wait(Duration.from_seconds(1))
    context.step(lambda _: {"prepared": True}, name="prepare")
    return context.wait_for_callback(submit, name=event)


@durable_execution
def handler_7_11(event: Any, context: DurableContext) -> Any:
    decision = context.wait_for_callback(
        submit, name=event, config=WaitForCallbackConfig(serdes=JsonSerDes())
    )
    return decision["status"]


@durable_execution
def handler_7_12(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(submit, name=event, config=_heartbeat(5))


@durable_execution
def handler_7_13(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(submit, name=event, config=_heartbeat(10))


@durable_execution
def handler_7_14(event: Any, context: DurableContext) -> Any:
    try:
        return context.wait_for_callback(submit, name=event, config=_timeout(3))
    except CallbackError:
        return "timed-out-handled"


@durable_execution
def handler_7_15(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(submit, name=event)
