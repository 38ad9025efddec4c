"""``durable-lambda serve`` end to end: uvicorn on a free port, boto3's lambda client unchanged."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live import Server, zip_of

DURABLE_APP = """
from durable_lambda import durable_execution
from durable_lambda.config import Duration


@durable_execution
def handler(event, context):
    doubled = context.step(lambda _: event["n"] * 2, name="double")
    context.wait(Duration.from_seconds(1), name="pause")
    return {"doubled": doubled}


@durable_execution
def approval(event, context):
    return {"answer": context.wait_for_callback(lambda callback_id, ctx: None, name="approval")}


@durable_execution
def crash(event, context):
    import os
    os._exit(1)
"""

PLAIN_APP = """
import os


def handler(event, context):
    return {
        "echo": event,
        "greeting": os.environ.get("GREETING"),
        "version": context.function_version,
    }
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path)
    yield srv
    srv.stop()


@pytest.fixture
def client(server: Server) -> Any:
    return server.client()


def create(
    client: Any, name: str, handler: str, *, durable: bool = True, **extra: Any
) -> dict[str, Any]:
    files = {"app.py": DURABLE_APP} if durable else {"plain.py": PLAIN_APP}
    kwargs: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.13",
        "Role": "arn:aws:iam::000000000000:role/x",
        "Handler": handler,
        "Code": {"ZipFile": zip_of(files)},
        "Timeout": 30,
        **extra,
    }
    if durable:
        kwargs["DurableConfig"] = {"ExecutionTimeout": 600, "RetentionPeriodInDays": 7}
    result: dict[str, Any] = client.create_function(**kwargs)
    return result


def wait_status(client: Any, arn: str, statuses: set[str], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution: dict[str, Any] = client.get_durable_execution(DurableExecutionArn=arn)
        if execution["Status"] in statuses:
            return execution
        assert time.monotonic() < deadline, f"execution stuck in {execution['Status']}"
        time.sleep(0.1)


def wait_event(client: Any, arn: str, event_type: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for event in client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]:
            if event["EventType"] == event_type:
                return dict(event)
        assert time.monotonic() < deadline, f"no {event_type} event"
        time.sleep(0.1)


def test_durable_function_request_response_history_and_listing(client: Any) -> None:
    config = create(client, "doubler", "app.handler")
    assert (
        config["FunctionName"] == "doubler" and config["DurableConfig"]["ExecutionTimeout"] == 600
    )
    assert client.get_function(FunctionName="doubler")["Configuration"]["Handler"] == "app.handler"
    started = time.monotonic()
    response = client.invoke(FunctionName="doubler", Payload=json.dumps({"n": 21}))
    assert time.monotonic() - started >= 1.0  # the 1 s wait really elapsed
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"doubled": 42}
    assert response["ExecutedVersion"] == "$LATEST"
    arn = response["DurableExecutionArn"]
    assert ":function:doubler:$LATEST/durable-execution/" in arn
    execution = client.get_durable_execution(DurableExecutionArn=arn)
    assert execution["Status"] == "SUCCEEDED" and json.loads(execution["Result"]) == {"doubled": 42}
    assert (
        isinstance(execution["StartTimestamp"], datetime)
        and execution["StartTimestamp"].year >= 2025
    )
    events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert all(isinstance(e["EventTimestamp"], datetime) for e in events)
    types = [e["EventType"] for e in events]
    assert (
        types[0] == "ExecutionStarted"
        and types[-1] == "ExecutionSucceeded"
        and "WaitSucceeded" in types
    )
    listed = client.list_durable_executions_by_function(FunctionName="doubler")["DurableExecutions"]
    assert [e["DurableExecutionArn"] for e in listed] == [arn]
    assert (
        client.list_durable_executions_by_function(FunctionName="doubler", Statuses=["RUNNING"])[
            "DurableExecutions"
        ]
        == []
    )


def test_event_invoke_returns_202_and_execution_finishes(client: Any) -> None:
    create(client, "doubler", "app.handler")
    response = client.invoke(FunctionName="doubler", InvocationType="Event", Payload=b'{"n": 1}')
    assert response["StatusCode"] == 202
    execution = wait_status(client, response["DurableExecutionArn"], {"SUCCEEDED"})
    assert json.loads(execution["Result"]) == {"doubled": 2}
    assert client.invoke(FunctionName="doubler", InvocationType="DryRun")["StatusCode"] == 204


def test_named_execution_is_idempotent(client: Any) -> None:
    create(client, "doubler", "app.handler")
    first = client.invoke(
        FunctionName="doubler", Payload=b'{"n": 2}', DurableExecutionName="order-1"
    )
    again = client.invoke(
        FunctionName="doubler", Payload=b'{"n": 2}', DurableExecutionName="order-1"
    )
    assert first["DurableExecutionArn"] == again["DurableExecutionArn"]
    with pytest.raises(ClientError) as err:
        client.invoke(FunctionName="doubler", Payload=b'{"n": 3}', DurableExecutionName="order-1")
    assert err.value.response["Error"]["Code"] == "DurableExecutionAlreadyStartedException"


def test_callback_answered_over_the_api(client: Any) -> None:
    create(client, "approver", "app.approval")
    arn = client.invoke(FunctionName="approver", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    started = wait_event(client, arn, "CallbackStarted")
    callback_id = started["CallbackStartedDetails"]["CallbackId"]
    client.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"approved"')
    execution = wait_status(client, arn, {"SUCCEEDED", "FAILED"})
    assert json.loads(execution["Result"]) == {"answer": '"approved"'}  # raw result, as in test_cli
    with pytest.raises(ClientError) as err:
        client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"twice"')
    assert err.value.response["Error"]["Code"] == "CallbackTimeoutException"


def test_callback_failure_fails_the_execution(client: Any) -> None:
    create(client, "approver", "app.approval")
    arn = client.invoke(FunctionName="approver", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    callback_id = wait_event(client, arn, "CallbackStarted")["CallbackStartedDetails"]["CallbackId"]
    client.send_durable_execution_callback_failure(
        CallbackId=callback_id, Error={"ErrorType": "Rejected", "ErrorMessage": "no"}
    )
    assert wait_status(client, arn, {"SUCCEEDED", "FAILED"})["Status"] == "FAILED"


def test_stop_execution(client: Any) -> None:
    create(client, "approver", "app.approval")
    arn = client.invoke(FunctionName="approver", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    wait_event(client, arn, "CallbackStarted")
    stopped = client.stop_durable_execution(
        DurableExecutionArn=arn, Error={"ErrorType": "Cancelled", "ErrorMessage": "by test"}
    )
    assert isinstance(stopped["StopTimestamp"], datetime)
    execution = client.get_durable_execution(DurableExecutionArn=arn)
    assert execution["Status"] == "STOPPED" and execution["Error"]["ErrorType"] == "Cancelled"


def test_plain_function_versions_and_aliases(client: Any) -> None:
    config = create(
        client,
        "greeter",
        "plain.handler",
        durable=False,
        Environment={"Variables": {"GREETING": "hi"}},
    )
    assert "DurableConfig" not in config
    response = client.invoke(FunctionName="greeter", Payload=b'{"a": 1}')
    assert "DurableExecutionArn" not in response
    assert json.loads(response["Payload"].read()) == {
        "echo": {"a": 1},
        "greeting": "hi",
        "version": "$LATEST",
    }
    version = client.publish_version(FunctionName="greeter")
    assert version["Version"] == "1" and version["FunctionArn"].endswith(":greeter:1")
    alias = client.create_alias(FunctionName="greeter", Name="live", FunctionVersion="1")
    assert alias["AliasArn"].endswith(":greeter:live")
    assert client.get_alias(FunctionName="greeter", Name="live")["FunctionVersion"] == "1"
    assert [a["Name"] for a in client.list_aliases(FunctionName="greeter")["Aliases"]] == ["live"]
    via_alias = client.invoke(FunctionName="greeter", Qualifier="live", Payload=b"{}")
    assert via_alias["ExecutedVersion"] == "1"
    assert json.loads(via_alias["Payload"].read())["version"] == "1"
    assert [
        v["Version"] for v in client.list_versions_by_function(FunctionName="greeter")["Versions"]
    ] == ["$LATEST", "1"]
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["greeter"]
    client.delete_alias(FunctionName="greeter", Name="live")
    client.delete_function(FunctionName="greeter")
    assert client.list_functions()["Functions"] == []


def test_durable_function_with_alias_pins_the_version(client: Any) -> None:
    create(client, "doubler", "app.handler")
    client.publish_version(FunctionName="doubler")
    client.create_alias(FunctionName="doubler", Name="prod", FunctionVersion="1")
    response = client.invoke(FunctionName="doubler", Qualifier="prod", Payload=b'{"n": 5}')
    assert response["ExecutedVersion"] == "1"
    assert ":function:doubler:1/durable-execution/" in response["DurableExecutionArn"]
    assert json.loads(response["Payload"].read()) == {"doubled": 10}


def test_client_errors(client: Any, server: Server) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="missing", Payload=b"{}")
    create(client, "doubler", "app.handler")
    with pytest.raises(ClientError) as err:
        client.invoke(FunctionName="doubler", Payload=b"{not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        create(client, "doubler", "app.handler")
    assert err.value.response["Error"]["Code"] == "ResourceConflictException"
    with pytest.raises(ClientError) as err:
        client.get_durable_execution(
            DurableExecutionArn="arn:aws:lambda:us-east-1:000000000000:function:x:$LATEST/durable-execution/a/b"
        )
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    request = urllib.request.Request(f"{server.url}/2099-01-01/nothing", method="GET")
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(request, timeout=10)
    assert http.value.code == 404
    assert http.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert json.loads(http.value.read())["__type"] == "UnknownOperationException"
    bad = urllib.request.Request(f"{server.url}/2015-03-31/functions", data=b"{oops", method="POST")
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(bad, timeout=10)
    assert (
        http.value.code == 400
        and http.value.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    )


def test_crashing_handler_does_not_take_the_server_down(client: Any) -> None:
    create(client, "crasher", "app.crash")
    arn = client.invoke(FunctionName="crasher", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    wait_event(client, arn, "InvocationCompleted")
    create(client, "doubler", "app.handler")
    response = client.invoke(FunctionName="doubler", Payload=b'{"n": 4}')
    assert json.loads(response["Payload"].read()) == {"doubled": 8}
    client.stop_durable_execution(DurableExecutionArn=arn)


def test_blocking_invoke_leaves_the_server_responsive_and_reports_failure(client: Any) -> None:
    create(client, "approver", "app.approval")
    outcome: dict[str, Any] = {}

    def blocking() -> None:
        response = client.invoke(
            FunctionName="approver", Payload=b"{}", DurableExecutionName="blocked"
        )
        outcome.update(response, body=json.loads(response["Payload"].read()))

    thread = threading.Thread(target=blocking)
    thread.start()
    deadline = time.monotonic() + 30
    while not client.list_durable_executions_by_function(FunctionName="approver")[
        "DurableExecutions"
    ]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    arn = client.list_durable_executions_by_function(FunctionName="approver")["DurableExecutions"][
        0
    ]["DurableExecutionArn"]
    callback_id = wait_event(client, arn, "CallbackStarted")["CallbackStartedDetails"]["CallbackId"]
    assert thread.is_alive()  # still blocked while the API keeps answering
    client.send_durable_execution_callback_failure(
        CallbackId=callback_id, Error={"ErrorType": "Rejected", "ErrorMessage": "no"}
    )
    thread.join(timeout=30)
    assert outcome["StatusCode"] == 200 and outcome["FunctionError"] == "Unhandled"
    assert outcome["DurableExecutionArn"] == arn and "errorType" in outcome["body"]


def test_sdk_facing_operations_reject_bad_tokens(client: Any) -> None:
    create(client, "approver", "app.approval")
    arn = client.invoke(FunctionName="approver", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    wait_event(client, arn, "CallbackStarted")
    for call in (
        lambda: client.get_durable_execution_state(
            DurableExecutionArn=arn, CheckpointToken="c3RhbGU="
        ),
        lambda: client.checkpoint_durable_execution(
            DurableExecutionArn=arn, CheckpointToken="c3RhbGU=", Updates=[]
        ),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert err.value.response["Error"]["Message"].startswith("Invalid checkpoint token")
    client.stop_durable_execution(DurableExecutionArn=arn)
