"""Chained invoke through the embedded runtime: plain and durable targets, versions, aliases,
errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_lambda_server.runtime import Runtime

APP = str(Path(__file__).resolve().parent / "apps" / "invoking.py")


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = Runtime.open(tmp_path / "state.db", skip_time=True)
    runtime.register_function("caller", f"{APP}:call")
    runtime.register_function("plain", f"{APP}:plain_double")
    runtime.register_function("target", f"{APP}:durable_version")
    runtime.register_function("unserialisable", f"{APP}:call_unserialisable")
    runtime.register_function("mapper", f"{APP}:map_over")
    runtime.start()
    yield runtime
    runtime.stop()


def run(rt: Runtime, function: str, payload: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = rt.invoke(function, json.dumps(payload).encode(), timeout=60)
    execution = rt.engine.get_execution(result.arn)
    events = rt.engine.get_history(result.arn, include_execution_data=True)["Events"]
    return execution, events


def started(events: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in events if e["EventType"] == "ChainedInvokeStarted")[
        "ChainedInvokeStartedDetails"
    ]


def test_plain_target_runs_once_and_returns_its_value(rt: Runtime) -> None:
    execution, events = run(rt, "caller", {"target": "plain", "payload": {"value": 21}})
    assert execution["Status"] == "SUCCEEDED"
    assert json.loads(execution["Result"]) == {"ok": {"doubled": 42, "request": True}}
    assert started(events)["ExecutedVersion"] == "$LATEST"
    assert [e["EventType"] for e in events].count("ChainedInvokeSucceeded") == 1


def test_durable_target_runs_as_its_own_execution(rt: Runtime) -> None:
    execution, events = run(rt, "caller", {"target": "target", "payload": {"x": 1}})
    assert json.loads(execution["Result"]) == {"ok": {"version": "v1", "got": {"x": 1}}}
    child_arn = started(events)["DurableExecutionArn"]
    child = rt.engine.get_execution(child_arn)
    assert child["Status"] == "SUCCEEDED"
    child_events = rt.engine.get_history(child_arn)["Events"]
    assert [e["EventType"] for e in child_events][-1] == "ExecutionSucceeded"


def test_versions_aliases_and_arns_resolve(rt: Runtime) -> None:
    v1 = rt.engine.publish_version("target")
    assert v1.version == "1"
    rt.engine.put_alias("target", "live", "1")
    for ref in (
        "target:1",
        "target:live",
        rt.engine.function_arn("target") + ":live",
        rt.engine.function_arn("target"),
    ):
        execution, events = run(rt, "caller", {"target": ref, "payload": 1})
        assert execution["Status"] == "SUCCEEDED", ref
        expected = "$LATEST" if ref == rt.engine.function_arn("target") else "1"
        assert started(events)["ExecutedVersion"] == expected, ref
        assert f":{expected}/durable-execution/" in started(events)["DurableExecutionArn"]


@pytest.mark.parametrize(
    "target", ["no-such-function", "target:7", "target:no-alias", "arn:aws:lambda:x"]
)
def test_unknown_target_is_a_catchable_resource_not_found(rt: Runtime, target: str) -> None:
    execution, events = run(rt, "caller", {"target": target, "payload": 1})
    assert execution["Status"] == "SUCCEEDED"
    result = json.loads(execution["Result"])
    assert result["error_type"] in {"ResourceNotFoundException", "InvalidParameterValueException"}
    assert [e["EventType"] for e in events].count("ChainedInvokeFailed") == 1
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))


def test_unserialisable_payload_fails_clearly_without_starting_anything(rt: Runtime) -> None:
    execution, events = run(rt, "unserialisable", {})
    assert execution["Status"] == "FAILED"
    assert "SerDesError" in execution["Error"]["ErrorType"]
    assert "ChainedInvokeStarted" not in [e["EventType"] for e in events]


def test_map_over_a_non_iterable_is_a_validation_error(rt: Runtime) -> None:
    execution, events = run(rt, "mapper", {"items": 42})
    assert execution["Status"] == "FAILED"
    assert (
        execution["Error"]["ErrorType"]
        == "aws_durable_execution_sdk_python.exceptions.ValidationError"
    )
    assert "sequence" in execution["Error"]["ErrorMessage"]
    assert "ContextStarted" not in [e["EventType"] for e in events]
    ok, _ = run(rt, "mapper", {"items": [1, 2, 3]})
    assert json.loads(ok["Result"]) == [1, 2, 3]


def test_aliases_reject_unknown_versions(rt: Runtime) -> None:
    from durable_lambda_server.wire.errors import (
        InvalidParameterValueException,
        ResourceNotFoundException,
    )

    with pytest.raises(ResourceNotFoundException):
        rt.engine.put_alias("target", "live", "9")
    rt.engine.publish_version("target")
    with pytest.raises(InvalidParameterValueException):
        rt.engine.put_alias("target", "live", "1", routing={"1": 1.5})
    rt.engine.put_alias("target", "live", "1")
    assert rt.engine.get_alias("target", "live")["FunctionVersion"] == "1"
    rt.engine.delete_alias("target", "live")
    with pytest.raises(ResourceNotFoundException):
        rt.engine.get_alias("target", "live")
