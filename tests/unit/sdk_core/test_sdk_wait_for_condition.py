"""context.wait_for_condition polling (sdk-spec.md §4.9; conformance 6-x)."""

from __future__ import annotations

from typing import Any

from _sdk_fakes import FakeBackend

from durable_lambda.config import Duration
from durable_lambda.context import DurableContext
from durable_lambda.exceptions import WaitForConditionError
from durable_lambda.execution import durable_execution
from durable_lambda.lambda_service import OperationAction
from durable_lambda.types import WaitForConditionCheckContext
from durable_lambda.waits import WaitForConditionConfig, WaitForConditionDecision


def until(threshold: int, delay: int = 2) -> Any:
    def strategy(state: int, attempt: int) -> WaitForConditionDecision:
        if state >= threshold:
            return WaitForConditionDecision(should_continue=False, delay=Duration(0))
        return WaitForConditionDecision(should_continue=True, delay=Duration(delay))

    return strategy


def increment(state: int, context: WaitForConditionCheckContext) -> int:
    return state + 1


def test_polls_with_retry_payload_until_condition_met() -> None:
    attempts: list[int] = []

    def check(state: int, context: WaitForConditionCheckContext) -> int:
        attempts.append(context.attempt)
        return state + 1

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = WaitForConditionConfig(wait_strategy=until(3), initial_state=0)
        return context.wait_for_condition(check, config=config, name="poll")

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": "3"}
    assert attempts == [1, 2, 3]
    assert [(str(u.action), u.payload, u.sub_type) for u in backend.updates] == [
        ("START", None, "WaitForCondition"),
        ("RETRY", "1", "WaitForCondition"),
        ("START", None, "WaitForCondition"),
        ("RETRY", "2", "WaitForCondition"),
        ("START", None, "WaitForCondition"),
        ("SUCCEED", "3", "WaitForCondition"),
    ]
    retry = backend.updates[1]
    assert retry.step_options is not None and retry.step_options.next_attempt_delay_seconds == 2
    assert retry.error is None
    assert [o["Status"] for o in backend.outputs] == ["PENDING", "PENDING", "SUCCEEDED"]


def test_condition_met_on_first_check_does_not_suspend() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = WaitForConditionConfig(wait_strategy=until(0), initial_state=5)
        return context.wait_for_condition(increment, config=config)

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": "6"}
    assert [str(u.action) for u in backend.updates] == ["START", "SUCCEED"]


def test_check_error_is_terminal_fail() -> None:
    def broken(state: int, context: WaitForConditionCheckContext) -> int:
        raise ValueError("sensor offline")

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = WaitForConditionConfig(wait_strategy=until(3), initial_state=0)
        try:
            return context.wait_for_condition(broken, config=config)
        except WaitForConditionError as err:
            return f"recovered from {err.error_type}"

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '"recovered from ValueError"'}
    assert [str(u.action) for u in backend.updates] == ["START", "FAIL"]


def test_strategy_exhaustion_error_is_recorded_as_fail() -> None:
    def exhausted(state: int, attempt: int) -> WaitForConditionDecision:
        if attempt >= 2:
            raise WaitForConditionError("wait_for_condition exhausted 2 attempts")
        return WaitForConditionDecision(should_continue=True, delay=Duration(1))

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = WaitForConditionConfig(wait_strategy=exhausted, initial_state=0)
        return context.wait_for_condition(increment, config=config)

    backend = FakeBackend()
    output = backend.run(handler)
    assert output["Status"] == "FAILED"
    fail = backend.updates[-1]
    assert fail.action is OperationAction.FAIL
    assert fail.error is not None
    assert fail.error.type == "aws_durable_execution_sdk_python.exceptions.WaitForConditionError"


def test_completed_condition_is_not_polled_again() -> None:
    polls: list[int] = []

    def check(state: int, context: WaitForConditionCheckContext) -> int:
        polls.append(state)
        return state + 1

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = WaitForConditionConfig(wait_strategy=until(2, delay=1), initial_state=0)
        value = context.wait_for_condition(check, config=config)
        return context.step(lambda _: value * 10)

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": "20"}
    assert polls == [0, 1]
