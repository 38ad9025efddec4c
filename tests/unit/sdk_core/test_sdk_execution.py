"""@durable_execution: event parsing, outcome mapping, replay checks (sdk-spec.md §3, §9.5, §12)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from _sdk_fakes import ARN, FakeBackend

from durable_lambda.config import Duration
from durable_lambda.context import DurableContext
from durable_lambda.exceptions import CheckpointError, ExecutionError, StepInterruptedError
from durable_lambda.execution import (
    LAMBDA_RESPONSE_SIZE_LIMIT,
    DurableExecutionInvocationInput,
    durable_execution,
)
from durable_lambda.lambda_service import OperationAction, OperationType

BAD_PAYLOAD = "Unexpected payload provided to start the durable execution."


@durable_execution
def echo(event: Any, context: DurableContext) -> Any:
    return event


@pytest.mark.parametrize("event", [None, "World", {"foo": 1}, {"DurableExecutionArn": ARN}])
def test_malformed_event_raises_execution_error(event: Any) -> None:
    with pytest.raises(ExecutionError, match=BAD_PAYLOAD):
        echo(event, None)


def test_invocation_input_round_trips_through_json_dict() -> None:
    event = FakeBackend({"a": 1}).event()
    as_dict = event.to_dict()
    parsed = DurableExecutionInvocationInput.from_json_dict(as_dict)
    assert parsed.to_dict() == as_dict
    assert as_dict["InitialExecutionState"]["Operations"][0]["Type"] == "EXECUTION"


@pytest.mark.parametrize(
    ("raw", "expected"), [("", {}), ("   ", {}), ('{"k": [1]}', {"k": [1]}), ("7", 7)]
)
def test_input_payload_parsing(raw: str, expected: Any) -> None:
    backend = FakeBackend(raw_input=raw)
    output = backend.invoke(echo)
    assert output["Status"] == "SUCCEEDED"
    import json

    assert json.loads(output["Result"]) == expected


def test_none_result_omits_result() -> None:
    assert FakeBackend().invoke(durable_execution(lambda e, c: None)) == {"Status": "SUCCEEDED"}


def test_non_json_result_fails_with_type_error() -> None:
    output = FakeBackend().invoke(durable_execution(lambda e, c: {1, 2}))
    assert output["Status"] == "FAILED"
    assert output["Error"]["ErrorType"] == "TypeError"


def test_user_exception_becomes_failed_output() -> None:
    def handler(event: Any, context: DurableContext) -> Any:
        raise KeyError("nope")

    output = FakeBackend().invoke(durable_execution(handler))
    assert output == {
        "Status": "FAILED",
        "Error": {"ErrorMessage": "'nope'", "ErrorType": "KeyError"},
    }


def test_retryable_invocation_error_is_raised_out_of_handler() -> None:
    def handler(event: Any, context: DurableContext) -> Any:
        raise StepInterruptedError("retry me")

    with pytest.raises(StepInterruptedError):
        FakeBackend().invoke(durable_execution(handler))


def test_large_result_is_checkpointed_as_execution_succeed() -> None:
    big = "y" * (LAMBDA_RESPONSE_SIZE_LIMIT + 1)
    backend = FakeBackend()
    output = backend.invoke(durable_execution(lambda e, c: big))

    assert output == {"Status": "SUCCEEDED", "Result": ""}
    update = backend.execution_updates[0]
    assert update.operation_type is OperationType.EXECUTION
    assert update.action is OperationAction.SUCCEED
    assert update.operation_id.startswith("execution-result-")
    assert update.payload is not None and len(update.payload) == len(big) + 2


def test_large_error_is_checkpointed_as_execution_fail() -> None:
    def handler(event: Any, context: DurableContext) -> Any:
        raise ValueError("z" * LAMBDA_RESPONSE_SIZE_LIMIT)

    backend = FakeBackend()
    assert backend.invoke(durable_execution(handler)) == {"Status": "FAILED"}
    assert backend.execution_updates[0].action is OperationAction.FAIL


def test_changed_operation_type_is_non_deterministic() -> None:
    version = {"n": 1}

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        if version["n"] == 1:
            context.wait(Duration(5))
        else:
            context.step(lambda _: "now a step")
        return "done"

    backend = FakeBackend()
    assert backend.invoke(handler) == {"Status": "PENDING"}
    version["n"] = 2
    output = backend.invoke(handler)

    assert output["Status"] == "FAILED"
    assert "Non-deterministic operation identity" in output["Error"]["ErrorMessage"]
    assert "type checkpoint='WAIT' current='STEP'" in output["Error"]["ErrorMessage"]
    assert output["Error"]["ErrorType"].endswith("NonDeterministicExecutionError")


def test_changed_name_is_non_deterministic() -> None:
    names = iter(["first", "second"])

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: 1, name=next(names))
        context.wait(Duration(1))
        return 1

    backend = FakeBackend()
    backend.invoke(handler)
    backend.advance()
    assert (
        "name checkpoint='first' current='second'"
        in backend.invoke(handler)["Error"]["ErrorMessage"]
    )


def test_logger_is_muted_while_replaying(caplog: pytest.LogCaptureFixture) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.logger.info("before step (replaying: %s)", context.is_replaying())
        context.step(lambda _: 1, name="s")
        context.logger.info("between")
        context.wait(Duration(1))
        context.logger.info("after wait")
        return "ok"

    backend = FakeBackend()
    with caplog.at_level(logging.INFO):
        backend.run(handler)

    messages = [r.getMessage() for r in caplog.records if hasattr(r, "executionArn")]
    assert messages == ["before step (replaying: False)", "between", "after wait"]
    assert all(
        getattr(r, "executionArn", None) == ARN
        for r in caplog.records
        if r.getMessage() == "between"
    )


def test_child_context_logger_replays_independently(caplog: pytest.LogCaptureFixture) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(child: DurableContext) -> str:
            child.logger.info("in child")
            child.wait(Duration(1))
            child.logger.info("child resumed")
            return "c"

        return context.run_in_child_context(body, name="kid")

    backend = FakeBackend()
    with caplog.at_level(logging.INFO):
        assert backend.run(handler)["Status"] == "SUCCEEDED"
    messages = [r.getMessage() for r in caplog.records if hasattr(r, "executionArn")]
    assert messages == ["in child", "child resumed"]


def test_state_pages_are_loaded_before_running() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        total = sum(context.step(lambda _, i=i: i) for i in range(5))
        context.wait(Duration(1))
        return total

    backend = FakeBackend()
    backend.invoke(handler)
    backend.advance()
    output = handler(backend.event(page_size=2), None)

    assert output == {"Status": "SUCCEEDED", "Result": "10"}
    assert len(backend.updates) == 11, "nothing re-run"


def test_revoked_token_downgrades_outcome_to_pending() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: 1)
        return context.step(lambda _: 2)

    backend = FakeBackend()
    backend.revoke_on_request = 1
    assert backend.invoke(handler) == {"Status": "PENDING"}
    assert len(backend.requests) == 1


def test_non_retryable_checkpoint_error_fails_execution() -> None:
    backend = FakeBackend()
    backend.fail_on_request = CheckpointError("KMS says no", error={"Code": "KMSDisabledException"})
    from durable_lambda.exceptions import DurableApiErrorCategory

    backend.fail_on_request.error_category = DurableApiErrorCategory.EXECUTION
    output = backend.invoke(durable_execution(lambda e, c: c.step(lambda _: 1)))
    assert output["Status"] == "FAILED"
    assert output["Error"]["ErrorMessage"] == "KMS says no"


def test_retryable_checkpoint_error_is_raised() -> None:
    backend = FakeBackend()
    backend.fail_on_request = CheckpointError("throttled")
    with pytest.raises(CheckpointError, match="throttled"):
        backend.invoke(durable_execution(lambda e, c: c.step(lambda _: 1)))
