"""Reserved concurrency and the operations cap over the Lambda API, with boto3 (issue 5).

Put/Get/DeleteFunctionConcurrency and GetFunction's ``Concurrency``; a synchronous Invoke of a
plain function beyond its reserved concurrency is throttled (429, ``Retry-After``, Reason
``ReservedFunctionConcurrentInvocationLimitExceeded``) while Event invokes queue; 0 throttles
everything. ``durable-lambda serve --max-operations`` rejects the checkpoint that would exceed
the cap and the execution fails with that error.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live import ROLE, Server, free_port, lambda_client, serve_process, zip_of

ROOT = Path(__file__).resolve().parents[2]

PLAIN_APP = """
import os
import time


def handler(event, context):
    gate = (event or {}).get("gate")
    deadline = time.time() + 60
    while gate and not os.path.exists(gate) and time.time() < deadline:
        time.sleep(0.02)
    return {"done": (event or {}).get("n")}
"""

DURABLE_APP = """
from durable_lambda import durable_execution


@durable_execution
def handler(event, context):
    return {"n": event.get("n")}


@durable_execution
def many_steps(event, context):
    return [context.step(lambda _, i=i: i, name=f"s{i}") for i in range(10)]
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path)
    yield srv
    srv.stop()


def create(client: Any, name: str, *, durable: bool, handler: str = "app.handler") -> None:
    kwargs: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.13",
        "Role": ROLE,
        "Handler": handler,
        "Timeout": 60,
        "Code": {"ZipFile": zip_of({"app.py": DURABLE_APP if durable else PLAIN_APP})},
    }
    if durable:
        kwargs["DurableConfig"] = {"ExecutionTimeout": 600, "RetentionPeriodInDays": 7}
    client.create_function(**kwargs)


def error_of(call: Any) -> ClientError:
    with pytest.raises(ClientError) as info:
        call()
    return info.value


def running(server: Server, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.runtime.engine.list_executions(name, statuses=["RUNNING"])[
        "DurableExecutions"
    ]
    return found


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_function_concurrency_operations(server: Server) -> None:
    client = server.client()
    create(client, "plain", durable=False)
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(
        FunctionName="plain"
    )
    assert "Concurrency" not in client.get_function(FunctionName="plain")
    put = client.put_function_concurrency(FunctionName="plain", ReservedConcurrentExecutions=3)
    assert put["ReservedConcurrentExecutions"] == 3
    assert (
        client.get_function_concurrency(FunctionName="plain")["ReservedConcurrentExecutions"] == 3
    )
    arn = client.get_function(FunctionName="plain")["Configuration"]["FunctionArn"]
    assert client.get_function(FunctionName=arn)["Concurrency"] == {
        "ReservedConcurrentExecutions": 3
    }
    client.delete_function_concurrency(FunctionName="plain")
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(
        FunctionName="plain"
    )
    assert "Concurrency" not in client.get_function(FunctionName="plain")
    for call in (
        lambda: client.put_function_concurrency(
            FunctionName="nope", ReservedConcurrentExecutions=1
        ),
        lambda: client.get_function_concurrency(FunctionName="nope"),
        lambda: client.delete_function_concurrency(FunctionName="nope"),
    ):
        err = error_of(call)
        assert err.response["Error"]["Code"] == "ResourceNotFoundException"
    unchecked = server.client(validate=False)
    for bad in (-1, "2", True):
        err = error_of(
            lambda bad=bad: unchecked.put_function_concurrency(
                FunctionName="plain", ReservedConcurrentExecutions=bad
            )
        )
        assert err.response["Error"]["Code"] == "InvalidParameterValueException"
    err = error_of(
        lambda: client.put_function_concurrency(
            FunctionName="plain:1", ReservedConcurrentExecutions=1
        )
    )
    assert err.response["Error"]["Code"] == "InvalidParameterValueException"


def test_sync_invoke_beyond_reserved_concurrency_is_throttled(
    server: Server, tmp_path: Path
) -> None:
    client = server.client()
    create(client, "plain", durable=False)
    client.put_function_concurrency(FunctionName="plain", ReservedConcurrentExecutions=1)
    gate = tmp_path / "gate"
    results: list[Any] = []
    first = threading.Thread(
        target=lambda: results.append(
            client.invoke(FunctionName="plain", Payload=json.dumps({"gate": str(gate), "n": 1}))
        )
    )
    first.start()
    try:
        wait_until(lambda: len(running(server, "plain")) == 1, "the first invoke to start")
        err = error_of(lambda: client.invoke(FunctionName="plain", Payload=b'{"n": 2}'))
        assert err.response["Error"]["Code"] == "TooManyRequestsException"
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert err.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]
        assert err.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert len(running(server, "plain")) == 1  # the throttled call started nothing
        # an Event invoke queues instead: 202, run once the slot is free
        queued = client.invoke(FunctionName="plain", InvocationType="Event", Payload=b'{"n": 3}')
        assert queued["StatusCode"] == 202
        assert len(running(server, "plain")) == 2
    finally:
        gate.touch()
        first.join(timeout=60)
    assert json.loads(results[0]["Payload"].read()) == {"done": 1}
    wait_until(lambda: not running(server, "plain"), "the queued event to run")
    response = client.invoke(FunctionName="plain", Payload=b'{"n": 4}')  # a free slot again
    assert json.loads(response["Payload"].read()) == {"done": 4}


def test_zero_reserved_concurrency_throttles_everything(server: Server) -> None:
    client = server.client()
    create(client, "plain", durable=False)
    create(client, "durable", durable=True)
    for name in ("plain", "durable"):
        client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        err = error_of(lambda name=name: client.invoke(FunctionName=name, Payload=b'{"n": 1}'))
        assert err.response["Error"]["Code"] == "TooManyRequestsException"
        assert err.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    # an Event invoke of the durable function is accepted and queued, never dispatched ...
    arn = client.invoke(FunctionName="durable", InvocationType="Event", Payload=b'{"n": 5}')[
        "DurableExecutionArn"
    ]
    assert server.runtime.engine.claim_invocation("probe", 60) is None
    assert client.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    # ... until the reservation is removed
    client.delete_function_concurrency(FunctionName="durable")
    server.runtime.dispatcher.wake()
    wait_until(
        lambda: client.get_durable_execution(DurableExecutionArn=arn)["Status"] == "SUCCEEDED",
        "the execution",
    )
    assert json.loads(client.get_durable_execution(DurableExecutionArn=arn)["Result"]) == {"n": 5}


def test_serve_max_operations_fails_an_execution_that_exceeds_it(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "serve" / "state.db"
    client = lambda_client(f"http://127.0.0.1:{port}")
    command = [
        sys.executable,
        "-m",
        "durable_lambda_server.cli.main",
        "serve",
        "--port",
        str(port),
        "--db",
        str(db),
        "--log-level",
        "warning",
        "--max-operations",
        "5",
        "--worker-user",
        "root",
    ]
    with serve_process(
        command, port, ready=lambda: client.list_functions(), cwd=ROOT, env=dict(os.environ)
    ):
        create(client, "steps", durable=True, handler="app.many_steps")
        response = client.invoke(FunctionName="steps", Payload=b"{}")
        assert response.get("FunctionError") == "Unhandled"
        execution = client.get_durable_execution(
            DurableExecutionArn=response["DurableExecutionArn"]
        )
        assert execution["Status"] == "FAILED"
        assert "operations per execution" in execution["Error"]["ErrorMessage"]
        events = client.get_durable_execution_history(
            DurableExecutionArn=response["DurableExecutionArn"]
        )["Events"]
        assert sum(e["EventType"] == "StepSucceeded" for e in events) <= 4
