"""Conformance handlers for the ``wait_for_condition`` suite (requirements 6-1 … 6-13).

Polling cadences are whole seconds without jitter so the suite stays fast and the
``NextAttemptDelaySeconds`` the requirements assert (6-5) are exact.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from durable_lambda import DurableContext, WaitForConditionError, durable_execution
from durable_lambda.config import Duration, JitterStrategy
from durable_lambda.serdes import SerDes, SerDesContext
from durable_lambda.types import WaitForConditionCheckContext
from durable_lambda.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)


def fixed_delay_strategy(
    should_continue: Callable[[Any], bool], delay_seconds: int = 1, max_attempts: int = 60
) -> Callable[[Any, int], WaitForConditionDecision]:
    """``create_wait_strategy`` with a constant delay: no backoff, no jitter."""
    return create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=should_continue,
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(delay_seconds),
            max_delay=Duration.from_seconds(delay_seconds),
            backoff_rate=1.0,
            jitter_strategy=JitterStrategy.NONE,
        )
    )


def increment(state: int, check_context: WaitForConditionCheckContext) -> int:
    return state + 1


def count_up(context: DurableContext, start: int, threshold: int, name: str | None = None) -> int:
    config = WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: state < threshold),
        initial_state=start,
    )
    return context.wait_for_condition(increment, config=config, name=name)


@durable_execution
def handler_6_1(event: Any, context: DurableContext) -> int:
    return count_up(context, 0, int(event))


@durable_execution
def handler_6_2(event: Any, context: DurableContext) -> int:
    threshold = int(event)
    config = WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: state < threshold),
        initial_state=5,
    )
    return context.wait_for_condition(lambda state, _: state, config=config)


@durable_execution
def handler_6_3(event: Any, context: DurableContext) -> int:
    return count_up(context, 0, int(event), name="poll-status")


@durable_execution
def handler_6_4(event: Any, context: DurableContext) -> int:
    return count_up(context, 5, int(event))


@durable_execution
def handler_6_5(event: Any, context: DurableContext) -> int:
    threshold = int(event)
    config = WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: state < threshold, delay_seconds=2),
        initial_state=0,
    )
    return context.wait_for_condition(increment, config=config)


@durable_execution
def handler_6_6(event: Any, context: DurableContext) -> int:
    config = WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: True, max_attempts=3),
        initial_state=int(event or 0),
    )
    return context.wait_for_condition(increment, config=config)


def failing_check(state: Any, check_context: WaitForConditionCheckContext) -> Any:
    raise RuntimeError(f"check failed on attempt {check_context.attempt}")


def _failing_config() -> WaitForConditionConfig[Any]:
    return WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: True), initial_state="start"
    )


@durable_execution
def handler_6_7(event: Any, context: DurableContext) -> Any:
    return context.wait_for_condition(failing_check, config=_failing_config())


@durable_execution
def handler_6_8(event: Any, context: DurableContext) -> Any:
    try:
        return context.wait_for_condition(failing_check, config=_failing_config())
    except WaitForConditionError:
        return "recovered"


def advance_job(
    state: dict[str, Any], check_context: WaitForConditionCheckContext
) -> dict[str, Any]:
    attempts = int(state["attempts"]) + 1
    return {"status": "DONE" if attempts >= 2 else "PENDING", "attempts": attempts}


@durable_execution
def handler_6_9(event: Any, context: DurableContext) -> dict[str, Any]:
    config = WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: state["status"] == "PENDING"),
        initial_state={"status": "PENDING", "attempts": 0},
    )
    return context.wait_for_condition(advance_job, config=config)


@durable_execution
def handler_6_10(event: Any, context: DurableContext) -> None:
    config = WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: state is not None),
        initial_state="start",
    )
    return context.wait_for_condition(lambda state, _: None, config=config)


class Base64StringSerDes(SerDes[str]):
    """Checkpoints the string state base64-encoded (6-11), so only this serdes can read it."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return "b64:" + base64.b64encode(value.encode()).decode()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        if not data.startswith("b64:"):
            raise ValueError(f"not written by Base64StringSerDes: {data!r}")
        return base64.b64decode(data[4:]).decode()


@durable_execution
def handler_6_11(event: Any, context: DurableContext) -> str:
    config = WaitForConditionConfig(
        wait_strategy=fixed_delay_strategy(lambda state: len(state) < 2),
        initial_state="",
        serdes=Base64StringSerDes(),
    )
    return context.wait_for_condition(lambda state, _: state + "x", config=config)


@durable_execution
def handler_6_12(event: Any, context: DurableContext) -> int:
    reached = count_up(context, 0, int(event))
    return context.step(lambda _: reached * 10, name="multiply")


@durable_execution
def handler_6_13(event: Any, context: DurableContext) -> int:
    first = count_up(context, 0, 2)
    return count_up(context, first, 4)
