"""Child contexts and wait_for_callback (sdk-spec.md §4.4, §4.6, §11)."""

from __future__ import annotations

from typing import Any

from _sdk_fakes import FakeBackend

from durable_lambda._sdk.identifier import make_operation_id
from durable_lambda.config import ChildConfig, Duration, StepConfig, WaitForCallbackConfig
from durable_lambda.context import (
    DurableContext,
    durable_wait_for_callback,
    durable_with_child_context,
)
from durable_lambda.exceptions import (
    CallbackSubmitterError,
    CallbackTimeoutError,
    ChildContextError,
    StepError,
)
from durable_lambda.execution import durable_execution
from durable_lambda.lambda_service import (
    ErrorObject,
    OperationAction,
    OperationStatus,
    OperationType,
)
from durable_lambda.retries import RetryDecision
from durable_lambda.types import WaitForCallbackContext


def _no_retry(error: Exception, attempt: int) -> RetryDecision:
    return RetryDecision(should_retry=False, delay=Duration(0))


@durable_with_child_context
def outer(context: DurableContext, value: str) -> str:
    context.step(lambda _: value, name="outer-step")
    return context.run_in_child_context(inner(value))


@durable_with_child_context
def inner(context: DurableContext, value: str) -> str:
    return context.step(lambda _: value.upper(), name="inner-step")


def test_nested_contexts_chain_ids_and_parent_ids() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.run_in_child_context(outer("abc"))

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '"ABC"'}

    outer_id = make_operation_id(None, 1)
    inner_id = make_operation_id(outer_id, 2)
    assert backend.by_name("outer").operation_id == outer_id
    assert backend.by_name("outer").sub_type == "RunInChildContext"
    assert backend.by_name("outer-step").operation_id == make_operation_id(outer_id, 1)
    assert backend.by_name("outer-step").parent_id == outer_id
    assert backend.by_name("inner").operation_id == inner_id
    assert backend.by_name("inner").parent_id == outer_id
    assert backend.by_name("inner-step").operation_id == make_operation_id(inner_id, 1)
    assert backend.by_name("inner-step").parent_id == inner_id
    assert backend.actions() == [
        ("CONTEXT", "START", "outer"),
        ("STEP", "START", "outer-step"),
        ("STEP", "SUCCEED", "outer-step"),
        ("CONTEXT", "START", "inner"),
        ("STEP", "START", "inner-step"),
        ("STEP", "SUCCEED", "inner-step"),
        ("CONTEXT", "SUCCEED", "inner"),
        ("CONTEXT", "SUCCEED", "outer"),
    ]


def test_plain_function_child_is_named_after_function_lambda_is_not() -> None:
    def named_body(context: DurableContext) -> int:
        return 1

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.run_in_child_context(named_body) + context.run_in_child_context(lambda c: 2)

    backend = FakeBackend()
    assert backend.run(handler)["Result"] == "3"
    contexts = [u for u in backend.updates if u.operation_type is OperationType.CONTEXT]
    assert [u.name for u in contexts] == ["named_body", "named_body", None, None]


def test_completed_child_is_not_rerun_on_replay() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        value = context.run_in_child_context(lambda c: runs.append(1) or "child")
        context.wait(Duration(1))
        return value

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '"child"'}
    assert runs == [1]


def test_child_failure_checkpoints_fail_and_raises_child_context_error() -> None:
    caught: list[tuple[str, str | None]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(child: DurableContext) -> None:
            child.step(lambda _: 1 / 0, name="divide", config=StepConfig(retry_strategy=_no_retry))

        try:
            context.run_in_child_context(body, name="risky")
        except ChildContextError as err:
            caught.append((err.message, err.error_type))
            assert isinstance(err.__cause__, StepError)
        context.wait(Duration(1))
        return "recovered"

    backend = FakeBackend()
    assert backend.run(handler)["Status"] == "SUCCEEDED"
    assert caught[0] == caught[1]
    fail = next(
        u
        for u in backend.updates
        if u.operation_type is OperationType.CONTEXT and u.action is OperationAction.FAIL
    )
    assert fail.error is not None
    assert fail.error.type == "aws_durable_execution_sdk_python.exceptions.StepError"
    assert fail.error.message == "division by zero"


def test_large_child_result_uses_replay_children_and_reruns_body() -> None:
    runs: list[int] = []
    big = "x" * (256 * 1024 + 10)

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(child: DurableContext) -> str:
            runs.append(1)
            return child.step(lambda _: "small") + big

        config: ChildConfig[str] = ChildConfig(summary_generator=lambda r: f"len={len(r)}")
        value = context.run_in_child_context(body, name="big", config=config)
        context.wait(Duration(1))
        return len(value)

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": str(len(big) + 5)}
    succeed = next(
        u
        for u in backend.updates
        if u.operation_type is OperationType.CONTEXT and u.action is OperationAction.SUCCEED
    )
    assert succeed.context_options is not None and succeed.context_options.replay_children
    assert succeed.payload == f"len={len(big) + 5}"
    assert runs == [1, 1]
    assert sum(1 for u in backend.updates if u.action is OperationAction.SUCCEED) == 2


@durable_wait_for_callback
def submit_ticket(callback_id: str, context: WaitForCallbackContext, queue: list[str]) -> None:
    queue.append(callback_id)


def test_wait_for_callback_is_a_context_with_callback_and_submitter() -> None:
    queue: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_callback(submit_ticket(queue), name="approve")

    backend = FakeBackend()
    assert backend.invoke(handler) == {"Status": "PENDING"}
    assert queue == ["cb-1"]
    assert backend.actions() == [
        ("CONTEXT", "START", "approve"),
        ("CALLBACK", "START", "approve create callback id"),
        ("STEP", "START", "approve submitter"),
        ("STEP", "SUCCEED", "approve submitter"),
    ]
    context_id = backend.updates[0].operation_id
    assert backend.updates[0].sub_type == "WaitForCallback"
    assert all(u.parent_id == context_id for u in backend.updates[1:])
    assert backend.updates[3].payload == "null"

    backend.complete_callback("cb-1", result="yes")
    assert backend.invoke(handler) == {"Status": "SUCCEEDED", "Result": '"yes"'}
    assert queue == ["cb-1"]
    assert backend.actions()[-1] == ("CONTEXT", "SUCCEED", "approve")


def test_unnamed_wait_for_callback_uses_bare_inner_names() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_callback(lambda cid, ctx: None)

    backend = FakeBackend()
    backend.invoke(handler)
    assert [name for _, _, name in backend.actions()] == [
        None,
        "create callback id",
        "submitter",
        "submitter",
    ]


def test_wait_for_callback_timeout_surfaces_as_callback_timeout_error() -> None:
    errors: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            return context.wait_for_callback(lambda cid, ctx: None, name="w")
        except CallbackTimeoutError as err:
            errors.append(type(err).__name__)
            return "timed out"

    backend = FakeBackend()
    backend.invoke(handler)
    backend.complete_callback(
        "cb-1", error=ErrorObject(type="Callback.Timeout"), status=OperationStatus.TIMED_OUT
    )
    assert backend.invoke(handler) == {"Status": "SUCCEEDED", "Result": '"timed out"'}
    fail = backend.updates[-1]
    assert fail.action is OperationAction.FAIL
    assert (
        fail.error is not None
        and fail.error.type == "aws_durable_execution_sdk_python.exceptions.CallbackTimeoutError"
    )
    # replay of the FAILED context surfaces the same class
    assert backend.invoke(handler)["Result"] == '"timed out"'
    assert errors == ["CallbackTimeoutError", "CallbackTimeoutError"]


def test_failing_submitter_becomes_callback_submitter_error() -> None:
    def submitter(callback_id: str, context: WaitForCallbackContext) -> None:
        raise ConnectionError("queue down")

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = WaitForCallbackConfig(retry_strategy=_no_retry)
        try:
            context.wait_for_callback(submitter, name="w", config=config)
        except CallbackSubmitterError as err:
            return f"{type(err.__cause__).__name__}: {err.message}"
        return "no"

    backend = FakeBackend()
    assert backend.run(handler) == {"Status": "SUCCEEDED", "Result": '"StepError: queue down"'}
