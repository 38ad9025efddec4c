"""Worker processes through the real server: warm reuse, Lambda's environment, code-dir imports,
timeouts, crashes, bad return values, LogType=Tail. The server must survive every one of them."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import Server, zip_of

PKG_INIT = "from .helper import shout\n"
PKG_HELPER = "def shout(text):\n    return text.upper() + '!'\n"
PROBE = """
import os, sys, time, json
import jmespath
from pkg import shout

CALLS = []


def handler(event, context):
    CALLS.append(1)
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "raise":
        raise ValueError("bad input: " + str(event.get("why")))
    if action == "exit":
        os._exit(3)
    if action == "unserialisable":
        return {"when": object()}
    if action == "print":
        print("hello from the handler")
        print("x" * 6000)
        print("last line")
    return {
        "pid": os.getpid(),
        "calls": len(CALLS),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "shout": shout("hi"),
        "jmespath": getattr(jmespath, "MARKER", "venv"),
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_ENDPOINT_URL_LAMBDA", "AWS_ACCESS_KEY_ID", "AWS_REGION", "LAMBDA_TASK_ROOT",
            "_HANDLER", "GREETING", "DL_TEST_SERVER_SECRET")},
        "context": {
            "function_name": context.function_name,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "request_id_len": len(context.aws_request_id),
            "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 3000,
        },
    }
"""
FILES = {
    "probe.py": PROBE,
    "pkg/__init__.py": PKG_INIT,
    "pkg/helper.py": PKG_HELPER,
    # A package in the zip takes precedence over the one installed with the runtime.
    "jmespath/__init__.py": "MARKER = 'from-zip'\n",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    os.environ["DL_TEST_SERVER_SECRET"] = "must-not-leak"
    srv = Server(tmp_path)
    try:
        yield srv
    finally:
        srv.stop()
        os.environ.pop("DL_TEST_SERVER_SECRET", None)


@pytest.fixture
def client(server: Server) -> Any:
    c = server.client()
    c.create_function(
        FunctionName="probe",
        Runtime="python3.13",
        Role="arn:aws:iam::000000000000:role/x",
        Handler="probe.handler",
        Code={"ZipFile": zip_of(FILES)},
        Timeout=3,
        MemorySize=256,
        Environment={"Variables": {"GREETING": "hello", "AWS_REGION": "user-cannot-override"}},
    )
    return c


def call(client: Any, payload: dict[str, Any], **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = client.invoke(FunctionName="probe", Payload=json.dumps(payload), **kwargs)
    return response, json.loads(response["Payload"].read())


def test_worker_environment_context_and_code_dir(client: Any, server: Server) -> None:
    response, body = call(client, {})
    assert "FunctionError" not in response, body
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "probe"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_ENDPOINT_URL_LAMBDA"] == server.url
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_ACCESS_KEY_ID"] != os.environ.get(
        "AWS_ACCESS_KEY_ID"
    )
    assert env["AWS_REGION"] == "us-east-1"  # reserved variables win over the function's
    assert env["GREETING"] == "hello"
    assert env["_HANDLER"] == "probe.handler"
    assert env["DL_TEST_SERVER_SECRET"] is None  # nothing of the server's environment leaks
    assert body["cwd"] == env["LAMBDA_TASK_ROOT"] == body["path0"]
    assert body["shout"] == "HI!" and body["jmespath"] == "from-zip"
    ctx = body["context"]
    assert ctx["function_name"] == "probe" and ctx["memory_limit_in_mb"] == 256
    assert ctx["invoked_function_arn"].endswith(":function:probe:$LATEST")
    assert ctx["request_id_len"] >= 32 and ctx["remaining_ok"]


def test_warm_worker_is_reused(client: Any) -> None:
    _, first = call(client, {})
    _, second = call(client, {})
    assert second["pid"] == first["pid"]
    assert second["calls"] == first["calls"] + 1  # module globals survive, as in a warm sandbox


def test_a_busy_function_keeps_a_warm_worker_per_concurrent_invocation(client: Any) -> None:
    """The pool keeps as many idle workers per function as invocations can run at once (16):
    a second burst of 12 concurrent calls reuses the 12 processes of the first, instead of
    cold-starting the ones beyond a smaller idle limit. The first burst is also the server's
    first use of worker processes: its concurrent invocations must share one pool."""
    from concurrent.futures import ThreadPoolExecutor

    client.create_function(  # a roomy timeout: a slow cold start under load must not kill a worker
        FunctionName="busy",
        Runtime="python3.13",
        Role="arn:aws:iam::000000000000:role/x",
        Handler="probe.handler",
        Code={"ZipFile": zip_of(FILES)},
        Timeout=60,
    )
    payload = json.dumps({"action": "sleep", "seconds": 0.5})

    def one(_: int) -> int:
        response = client.invoke(FunctionName="busy", Payload=payload)
        body = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, body
        return int(body["pid"])

    def burst() -> set[int]:
        with ThreadPoolExecutor(12) as pool:
            return set(pool.map(one, range(12)))

    first = burst()
    assert len(first) == 12  # they ran at once, each in its own worker
    assert burst() == first


def test_workers_run_at_a_lower_priority_than_the_server(client: Any) -> None:
    """Decision 0011: handler code yields the CPU to the server (nice +10 by default)."""
    _, body = call(client, {})
    server = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, body["pid"]) == min(19, server + 10)


def test_timeout_kills_the_worker_and_the_next_call_gets_a_fresh_one(client: Any) -> None:
    _, warm = call(client, {})
    response, body = call(client, {"action": "sleep", "seconds": 30})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "timed out after 3.00 seconds" in body["errorMessage"]
    _, after = call(client, {})
    assert after["pid"] != warm["pid"] and after["calls"] == 1


@pytest.mark.parametrize(
    ("payload", "error_type"),
    [
        ({"action": "raise", "why": "x"}, "ValueError"),
        ({"action": "exit"}, "Runtime.ExitError"),
        ({"action": "unserialisable"}, "TypeError"),
    ],
)
def test_failing_handlers_never_take_the_server_down(
    client: Any, payload: dict[str, Any], error_type: str
) -> None:
    response, body = call(client, payload)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type, body
    healthy, ok = call(client, {})
    assert "FunctionError" not in healthy and ok["shout"] == "HI!"


def test_log_type_tail_returns_the_last_4_kb_of_the_invocations_output(client: Any) -> None:
    response, _ = call(client, {"action": "print"}, LogType="Tail")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert len(tail.encode()) <= 4096
    assert "last line" in tail and "REPORT RequestId:" in tail
    assert "hello from the handler" not in tail  # pushed out by the 6,000-character line
    response, _ = call(client, {})
    assert "LogResult" not in response


def test_unknown_log_type_is_a_client_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ClientError) as err:
        client.invoke(FunctionName="probe", Payload=b"{}", LogType="Everything")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
