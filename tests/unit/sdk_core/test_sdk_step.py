"""context.step: replay, retries, at-most-once interruption (sdk-spec.md §4.1, §16)."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

import pytest
from _sdk_fakes import FakeBackend

from durable_lambda._sdk.identifier import make_operation_id
from durable_lambda.config import Duration, StepConfig, StepSemantics
from durable_lambda.context import DurableContext, durable_step
from durable_lambda.exceptions import StepError
from durable_lambda.execution import durable_execution
from durable_lambda.lambda_service import (
    OperationAction,
    OperationStatus,
    OperationType,
    StepDetails,
)
from durable_lambda.retries import RetryDecision
from durable_lambda.types import StepContext

FIRST_ID = make_operation_id(None, 1)


def retry_every_second(max_attempts: int) -> Any:
    def strategy(error: Exception, attempt: int) -> RetryDecision:
        if attempt >= max_attempts:
            return RetryDecision(should_retry=False, delay=Duration(0))
        return RetryDecision(should_retry=True, delay=Duration(attempt * 2))

    return strategy


def test_first_operation_id_is_blake2b_of_one() -> None:
    assert FIRST_ID == "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"


def test_step_start_and_succeed_travel_with_round_tripped_payload() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda _: {"greeting": f"hi {event['who']}"}, name="greet")

    backend = FakeBackend({"who": "ann"})
    output = backend.run(handler)

    assert output == {"Status": "SUCCEEDED", "Result": '{"greeting": "hi ann"}'}
    assert backend.actions() == [("STEP", "START", "greet"), ("STEP", "SUCCEED", "greet")]
    succeed = backend.updates[1]
    assert succeed.operation_id == FIRST_ID
    assert succeed.sub_type == "Step"
    assert succeed.parent_id is None


def test_succeeded_step_is_not_rerun_on_replay() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        value = context.step(lambda _: runs.append(1) or 41, name="once")
        context.wait(Duration(1))
        return value + 1

    backend = FakeBackend()
    output = backend.run(handler)

    assert output == {"Status": "SUCCEEDED", "Result": "42"}
    assert runs == [1]
    assert len(backend.outputs) == 2


def test_failed_step_replays_the_same_error() -> None:
    seen: list[tuple[str, str | None, str]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.step(lambda _: int("x"), name="parse", config=StepConfig(retry_strategy=_never))
        except StepError as err:
            seen.append((err.message, err.error_type, type(err.__cause__).__name__))
        context.wait(Duration(1))
        return "done"

    backend = FakeBackend()
    assert backend.run(handler)["Status"] == "SUCCEEDED"
    assert seen[0] == seen[1]
    assert seen[0][1] == "ValueError"
    fail = backend.updates[1]
    assert fail.action is OperationAction.FAIL
    assert fail.error is not None and fail.error.type == "ValueError"


def _never(error: Exception, attempt: int) -> RetryDecision:
    return RetryDecision(should_retry=False, delay=Duration(0))


def test_retry_sends_retry_with_delay_and_suspends() -> None:
    attempts: list[int] = []

    def flaky(step_context: StepContext) -> str:
        attempts.append(step_context.attempt)
        if step_context.attempt < 3:
            raise RuntimeError(f"boom {step_context.attempt}")
        return "ok"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(
            flaky, name="flaky", config=StepConfig(retry_strategy=retry_every_second(5))
        )

    backend = FakeBackend()
    output = backend.run(handler)

    assert output == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert attempts == [1, 2, 3]
    assert [o["Status"] for o in backend.outputs] == ["PENDING", "PENDING", "SUCCEEDED"]
    assert [
        (u.action, u.step_options) for u in backend.updates if u.action is OperationAction.RETRY
    ] == [
        (OperationAction.RETRY, replace_delay(2)),
        (OperationAction.RETRY, replace_delay(4)),
    ]
    retry = backend.updates[1]
    assert retry.error is not None and retry.error.message == "boom 1"
    assert backend.actions()[-2:] == [("STEP", "START", "flaky"), ("STEP", "SUCCEED", "flaky")]


def replace_delay(seconds: int) -> Any:
    from durable_lambda.lambda_service import StepOptions

    return StepOptions(seconds)


def test_retry_delay_below_one_second_is_raised_to_one() -> None:
    def instant(error: Exception, attempt: int) -> RetryDecision:
        return RetryDecision(should_retry=attempt < 2, delay=Duration(0))

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda _: 1 / 0, config=StepConfig(retry_strategy=instant))

    backend = FakeBackend()
    output = backend.run(handler)

    assert output["Status"] == "FAILED"
    assert output["Error"]["ErrorType"] == "aws_durable_execution_sdk_python.exceptions.StepError"
    retry = [u for u in backend.updates if u.action is OperationAction.RETRY]
    assert (
        retry[0].step_options is not None and retry[0].step_options.next_attempt_delay_seconds == 1
    )
    assert backend.updates[-1].action is OperationAction.FAIL


def test_at_most_once_start_is_its_own_request() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
        return context.step(lambda _: "charged", name="charge", config=config)

    backend = FakeBackend()
    assert backend.run(handler)["Status"] == "SUCCEEDED"
    assert [[str(u.action) for u in r] for r in backend.requests] == [["START"], ["SUCCEED"]]


def _started_step(backend: FakeBackend, name: str, attempt: int = 0) -> None:
    """Models a crash after the START of the first root step was recorded."""
    from durable_lambda.lambda_service import Operation

    backend.operations[FIRST_ID] = Operation(
        operation_id=FIRST_ID,
        operation_type=OperationType.STEP,
        status=OperationStatus.STARTED,
        name=name,
        sub_type="Step",
        step_details=StepDetails(attempt=attempt),
    )


@pytest.mark.parametrize("retries", [False, True])
def test_interrupted_at_most_once_step_is_never_rerun(retries: bool) -> None:
    runs: list[int] = []
    strategy = retry_every_second(2) if retries else _never

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = StepConfig(
            step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY, retry_strategy=strategy
        )
        return context.step(lambda _: runs.append(1) or "sent", name="email", config=config)

    backend = FakeBackend()
    _started_step(backend, "email")
    first = backend.invoke(handler)

    first_update = backend.updates[0]
    assert runs == []
    assert first_update.action is (OperationAction.RETRY if retries else OperationAction.FAIL)
    assert first_update.error is not None
    assert (
        first_update.error.type
        == "aws_durable_execution_sdk_python.exceptions.StepInterruptedError"
    )
    if not retries:
        assert first["Status"] == "FAILED"
        assert len(backend.updates) == 1
        return
    assert first["Status"] == "PENDING"
    backend.advance()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '"sent"'}
    assert runs == [1]
    assert backend.actions()[1:] == [("STEP", "START", "email")] * 1 + [
        ("STEP", "SUCCEED", "email")
    ]


def test_interrupted_at_least_once_step_reruns_without_new_start() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda s: s.attempt, name="idempotent")

    backend = FakeBackend()
    _started_step(backend, "idempotent")

    assert backend.invoke(handler) == {"Status": "SUCCEEDED", "Result": "1"}
    assert backend.actions() == [("STEP", "SUCCEED", "idempotent")]


def test_pending_retry_suspends_without_running() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda _: runs.append(1), name="later")

    backend = FakeBackend()
    _started_step(backend, "later", attempt=1)
    op = backend.operations[FIRST_ID]
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    backend.operations[FIRST_ID] = replace(
        op, status=OperationStatus.PENDING, step_details=StepDetails(1, future)
    )

    assert backend.invoke(handler) == {"Status": "PENDING"}
    assert runs == []
    assert backend.updates == []


def test_durable_step_decorator_names_the_step() -> None:
    @durable_step
    def add(step_context: StepContext, a: int, b: int) -> int:
        return a + b

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(add(2, 3))

    backend = FakeBackend()
    assert backend.run(handler)["Result"] == "5"
    assert backend.actions()[0] == ("STEP", "START", "add")


def test_step_context_logger_carries_operation_fields(caplog: pytest.LogCaptureFixture) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda s: s.logger.info("inside step"), name="logs")

    backend = FakeBackend()
    with caplog.at_level("INFO"):
        backend.run(handler)

    record = next(r for r in caplog.records if r.getMessage() == "inside step")
    assert record.operationId == FIRST_ID  # type: ignore[attr-defined]
    assert record.operationName == "logs"  # type: ignore[attr-defined]
    assert record.attempt == 1  # type: ignore[attr-defined]
