"""context.wait, create_callback, invoke (sdk-spec.md §4.2, §4.3, §4.5)."""

from __future__ import annotations

from typing import Any

import pytest
from _sdk_fakes import FakeBackend

from durable_lambda.config import CallbackConfig, Duration, InvokeConfig
from durable_lambda.context import DurableContext
from durable_lambda.exceptions import (
    CallbackExternalError,
    CallbackTimeoutError,
    InvokeError,
    ValidationError,
)
from durable_lambda.execution import durable_execution
from durable_lambda.lambda_service import ErrorObject, OperationStatus
from durable_lambda.serdes import DEFAULT_JSON_SERDES


def test_wait_starts_with_seconds_and_suspends_pending() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.wait(Duration(30), name="nap")
        return "awake"

    backend = FakeBackend()
    assert backend.invoke(handler) == {"Status": "PENDING"}
    start = backend.updates[0]
    assert (str(start.operation_type), str(start.action), start.name, start.sub_type) == (
        "WAIT",
        "START",
        "nap",
        "Wait",
    )
    assert start.wait_options is not None and start.wait_options.wait_seconds == 30

    assert backend.invoke(handler) == {"Status": "PENDING"}, "wait not over yet"
    backend.advance()
    assert backend.invoke(handler) == {"Status": "SUCCEEDED", "Result": '"awake"'}
    assert len(backend.updates) == 1


def test_wait_below_one_second_is_rejected_before_an_id_is_used() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        with pytest.raises(ValidationError):
            context.wait(Duration(0))
        return context.step(lambda _: "first op")

    backend = FakeBackend()
    backend.run(handler)
    from durable_lambda._sdk.identifier import make_operation_id

    assert backend.updates[0].operation_id == make_operation_id(None, 1)


def test_callback_id_comes_from_backend_and_result_passes_through() -> None:
    ids: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        callback = context.create_callback(
            name="approval", config=CallbackConfig(timeout=Duration(60))
        )
        ids.append(callback.callback_id)
        return callback.result()

    backend = FakeBackend()
    assert backend.invoke(handler) == {"Status": "PENDING"}
    start = backend.updates[0]
    assert start.callback_options is not None
    assert (
        start.callback_options.timeout_seconds,
        start.callback_options.heartbeat_timeout_seconds,
    ) == (60, 0)

    backend.complete_callback("cb-1", result='{"ok": true}')
    output = backend.invoke(handler)

    assert ids == ["cb-1", "cb-1"]
    assert output == {"Status": "SUCCEEDED", "Result": '"{\\"ok\\": true}"'}


def test_callback_result_uses_configured_serdes() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        callback = context.create_callback(config=CallbackConfig(serdes=DEFAULT_JSON_SERDES))
        return callback.result()

    backend = FakeBackend()
    backend.invoke(handler)
    backend.complete_callback("cb-1", result='{"ok": true}')
    assert backend.invoke(handler) == {"Status": "SUCCEEDED", "Result": '{"ok": true}'}


@pytest.mark.parametrize(
    ("status", "error_class", "message"),
    [
        (OperationStatus.FAILED, CallbackExternalError, "not approved"),
        (OperationStatus.TIMED_OUT, CallbackTimeoutError, "Callback timed out"),
    ],
)
def test_callback_errors_are_deferred_to_result(
    status: OperationStatus, error_class: type[Exception], message: str
) -> None:
    trail: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        callback = context.create_callback(name="cb")
        trail.append("created")
        try:
            callback.result()
        except error_class as err:
            trail.append(f"caught {err}")
            return "recovered"
        return "unexpected"

    backend = FakeBackend()
    backend.invoke(handler)
    error = (
        ErrorObject(message="not approved", type="RejectedError")
        if status is OperationStatus.FAILED
        else ErrorObject(type="Callback.Timeout")
    )
    backend.complete_callback("cb-1", error=error, status=status)
    output = backend.invoke(handler)

    assert output == {"Status": "SUCCEEDED", "Result": '"recovered"'}
    assert trail == ["created", "created", f"caught {message}"]


def test_uncaught_callback_failure_fails_execution_with_original_message() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.create_callback().result()

    backend = FakeBackend()
    backend.invoke(handler)
    backend.complete_callback(
        "cb-1", error=ErrorObject(message="not approved", type="RejectedError")
    )
    output = backend.invoke(handler)

    assert output["Status"] == "FAILED"
    assert output["Error"]["ErrorMessage"] == "not approved"
    assert output["Error"]["ErrorType"].endswith("CallbackExternalError")


def test_invoke_sends_json_payload_and_returns_result() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.invoke("echo", {"n": 1}, name="call", config=InvokeConfig(tenant_id="t1"))

    backend = FakeBackend()
    assert backend.invoke(handler) == {"Status": "PENDING"}
    start = backend.updates[0]
    assert start.payload == '{"n": 1}'
    assert start.sub_type == "ChainedInvoke"
    assert start.chained_invoke_options is not None
    assert (start.chained_invoke_options.function_name, start.chained_invoke_options.tenant_id) == (
        "echo",
        "t1",
    )

    backend.complete_invoke(start.operation_id, result='{"n": 2}')
    assert backend.invoke(handler) == {"Status": "SUCCEEDED", "Result": '{"n": 2}'}


def test_failed_invoke_raises_invoke_error() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.invoke("boom", None)
        except InvokeError as err:
            return f"fallback: {err.message}"
        return "no"

    backend = FakeBackend()
    backend.invoke(handler)
    backend.complete_invoke(
        backend.updates[0].operation_id, error=ErrorObject(message="bad", type="X")
    )
    assert backend.invoke(handler) == {"Status": "SUCCEEDED", "Result": '"fallback: bad"'}
