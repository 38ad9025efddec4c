"""Handlers written with AWS's own SDK (aws-durable-execution-sdk-python 3.0.0) run unchanged on the
server: the SDK ships inside the function's zip, as on Lambda, and talks to the server through
boto3 at AWS_ENDPOINT_URL_LAMBDA."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_api import wait_event, wait_status
from tests.live import Server

OFFICIAL = (
    Path(__file__).resolve().parents[2] / ".cache" / "official" / "aws_durable_execution_sdk_python"
)

ORDER_APP = """
import os
from aws_durable_execution_sdk_python import DurableContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
import aws_durable_execution_sdk_python as sdk

ATTEMPTS = {}


@durable_step
def price(step_context, items):
    return sum(item["qty"] * item["unit"] for item in items)


def flaky(step_context):
    ATTEMPTS["n"] = ATTEMPTS.get("n", 0) + 1
    if ATTEMPTS["n"] < 2:
        raise RuntimeError("transient")
    return "reserved"


@durable_execution
def handler(event, context: DurableContext):
    total = context.step(price(event["items"]), name="price")
    reserved = context.step(
        flaky, name="reserve",
        config=StepConfig(retry_strategy=create_retry_strategy(
            RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1)))),
    )
    context.wait(Duration.from_seconds(1), name="cool-off")
    approval = context.wait_for_callback(lambda callback_id, ctx: None, name="approval")
    doubled = context.map([1, 2, 3], lambda ctx, item, index, items: item * 2, name="double")
    return {"total": total, "reserved": reserved, "approval": approval,
            "doubled": doubled.get_results(), "sdk_file": sdk.__file__,
            "code_root": os.environ.get("LAMBDA_TASK_ROOT")}
"""


def official_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        for path in sorted(OFFICIAL.rglob("*.py")):
            zf.write(path, f"aws_durable_execution_sdk_python/{path.relative_to(OFFICIAL)}")
    return buf.getvalue()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not OFFICIAL.is_dir():
        pytest.fail(f"{OFFICIAL} is missing: run scripts/setup.sh --force")
    srv = Server(tmp_path)
    yield srv
    srv.stop()


@pytest.fixture
def client(server: Server) -> Any:
    return server.client()


def test_official_sdk_handler_runs_unchanged(client: Any) -> None:
    client.create_function(
        FunctionName="orders",
        Runtime="python3.13",
        Role="arn:aws:iam::000000000000:role/x",
        Handler="app.handler",
        Code={"ZipFile": official_zip({"app.py": ORDER_APP})},
        Timeout=30,
        DurableConfig={"ExecutionTimeout": 300, "RetentionPeriodInDays": 1},
    )
    payload = {"items": [{"qty": 2, "unit": 5}, {"qty": 1, "unit": 7}]}
    response = client.invoke(
        FunctionName="orders", Payload=json.dumps(payload), InvocationType="Event"
    )
    arn = response["DurableExecutionArn"]
    started = wait_event(client, arn, "CallbackStarted")
    callback_id = started["CallbackStartedDetails"]["CallbackId"]
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=json.dumps("yes"))
    execution = wait_status(client, arn, {"SUCCEEDED", "FAILED"})
    assert execution["Status"] == "SUCCEEDED", execution
    result = json.loads(execution["Result"])
    assert (
        result["total"] == 17
        and result["reserved"] == "reserved"
        and result["approval"] == json.dumps("yes")
    )  # callbacks pass the raw payload through
    assert result["doubled"] == [2, 4, 6]
    assert result["sdk_file"].startswith(result["code_root"])  # the zip's SDK, not ours
    events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    types = [e["EventType"] for e in events]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert (
        types.count("StepFailed") == 1 and "WaitSucceeded" in types and "CallbackSucceeded" in types
    )
    steps = [e for e in events if e["EventType"] == "StepSucceeded"]
    assert {e["Name"] for e in steps} >= {"price", "reserve"}
    assert any(e["EventType"] == "InvocationCompleted" for e in events)
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))


def test_official_sdk_failure_is_reported_like_lambda(client: Any) -> None:
    app = (
        "from aws_durable_execution_sdk_python import durable_execution\n"
        "@durable_execution\n"
        "def handler(event, context):\n"
        "    context.step(lambda _: 1, name='ok')\n"
        "    raise KeyError('missing order')\n"
    )
    client.create_function(
        FunctionName="fails",
        Runtime="python3.13",
        Role="arn:aws:iam::000000000000:role/x",
        Handler="app.handler",
        Code={"ZipFile": official_zip({"app.py": app})},
        Timeout=30,
        DurableConfig={"ExecutionTimeout": 300, "RetentionPeriodInDays": 1},
    )
    started = time.monotonic()
    response = client.invoke(FunctionName="fails", Payload=b"{}")
    assert time.monotonic() - started < 30
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert "missing order" in body["errorMessage"]
    arn = response["DurableExecutionArn"]
    assert client.get_durable_execution(DurableExecutionArn=arn)["Status"] == "FAILED"
