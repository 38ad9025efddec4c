"""The real aws CLI (awscli v1, ``.venv/bin/aws``) against ``durable-lambda serve``: every
function-management operation, every invocation type and all nine durable-execution operations,
run as subprocesses with an isolated, credential-dummy environment.

One server is shared by the module; each CLI call costs about half a second, so the work is
batched into a few tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import ROLE, Server, zip_of

AWS = Path(sys.executable).with_name("aws")

APPROVAL_APP = """
from durable_lambda import durable_execution


@durable_execution
def approval(event, context):
    return {"answer": context.wait_for_callback(lambda callback_id, ctx: None, name="approval")}
"""


def plain_app(tag: str) -> str:
    return f'''
import os


def handler(event, context):
    return {{
        "tag": "{tag}",
        "greeting": os.environ.get("GREETING"),
        "version": context.function_version,
    }}


def other(event, context):
    return {{"tag": "{tag}-other"}}
'''


pytestmark = pytest.mark.skipif(not AWS.exists(), reason="the aws CLI is not installed in the venv")


class Cli:
    """Runs ``aws lambda ...`` against the server; JSON output parsed, errors kept as text."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.home = home
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "AWS_PAGER": "",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [
            str(AWS),
            "--endpoint-url",
            self.url,
            "--region",
            "us-east-1",
            "--output",
            "json",
            "lambda",
            *args,
        ]
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=120, cwd=self.home
        )

    def ok(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, (
            f"aws lambda {' '.join(args)} -> {done.returncode}: {done.stderr}"
        )
        return json.loads(done.stdout) if done.stdout.strip() else None

    def fails(self, *args: str, code: str) -> str:
        done = self.run(*args)
        assert done.returncode == 255, (
            f"aws lambda {' '.join(args)} -> {done.returncode}: {done.stdout}{done.stderr}"
        )
        assert f"({code})" in done.stderr, done.stderr
        return done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("aws-cli-server"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def cli(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    home = tmp_path_factory.mktemp("aws-cli-home")
    (home / "plain-v1.zip").write_bytes(zip_of({"plain.py": plain_app("v1")}))
    (home / "plain-v2.zip").write_bytes(zip_of({"plain.py": plain_app("v2")}))
    (home / "approval.zip").write_bytes(zip_of({"app.py": APPROVAL_APP}))
    return Cli(server.url, home)


def test_function_management_and_invoke(cli: Cli) -> None:
    created = cli.ok(
        "create-function",
        "--function-name",
        "cli-fn",
        "--runtime",
        "python3.13",
        "--role",
        ROLE,
        "--handler",
        "plain.handler",
        "--zip-file",
        "fileb://plain-v1.zip",
        "--timeout",
        "20",
        "--environment",
        "Variables={GREETING=hi}",
    )
    assert (
        created["FunctionName"] == "cli-fn"
        and created["Timeout"] == 20
        and created["Version"] == "$LATEST"
    )
    cli.fails(
        "create-function",
        "--function-name",
        "cli-fn",
        "--runtime",
        "python3.13",
        "--role",
        ROLE,
        "--handler",
        "plain.handler",
        "--zip-file",
        "fileb://plain-v1.zip",
        code="ResourceConflictException",
    )
    cli.fails(
        "create-function",
        "--function-name",
        "cli-bad",
        "--runtime",
        "python3.13",
        "--role",
        ROLE,
        "--handler",
        "plain.handler",
        "--zip-file",
        "fileb://plain-v1.zip",
        "--timeout",
        "901",
        code="InvalidParameterValueException",
    )
    got = cli.ok("get-function", "--function-name", "cli-fn")
    assert got["Configuration"]["Handler"] == "plain.handler" and got["Code"][
        "Location"
    ].startswith("file://")
    assert cli.ok("get-function-configuration", "--function-name", "cli-fn")["Environment"][
        "Variables"
    ] == {"GREETING": "hi"}

    v1 = cli.ok("publish-version", "--function-name", "cli-fn", "--description", "one")
    assert v1["Version"] == "1" and v1["Description"] == "one"
    code = cli.ok(
        "update-function-code",
        "--function-name",
        "cli-fn",
        "--zip-file",
        "fileb://plain-v2.zip",
        "--publish",
    )
    assert code["Version"] == "2" and code["CodeSha256"] != created["CodeSha256"]
    latest = cli.ok(
        "get-function-configuration", "--function-name", "cli-fn", "--qualifier", "$LATEST"
    )
    assert latest["RevisionId"] != code["RevisionId"]  # each version has its own
    conf = cli.ok(
        "update-function-configuration",
        "--function-name",
        "cli-fn",
        "--memory-size",
        "256",
        "--description",
        "updated",
        "--revision-id",
        latest["RevisionId"],
    )
    assert conf["MemorySize"] == 256 and conf["Description"] == "updated"
    cli.fails(
        "update-function-configuration",
        "--function-name",
        "cli-fn",
        "--timeout",
        "5",
        "--revision-id",
        created["RevisionId"],
        code="PreconditionFailedException",
    )
    assert [f["FunctionName"] for f in cli.ok("list-functions")["Functions"]] == ["cli-fn"]
    versions = cli.ok("list-versions-by-function", "--function-name", "cli-fn")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]

    alias = cli.ok(
        "create-alias", "--function-name", "cli-fn", "--name", "live", "--function-version", "1"
    )
    assert alias["AliasArn"].endswith(":cli-fn:live")
    assert (
        cli.ok("get-alias", "--function-name", "cli-fn", "--name", "live")["FunctionVersion"] == "1"
    )
    moved = cli.ok(
        "update-alias",
        "--function-name",
        "cli-fn",
        "--name",
        "live",
        "--function-version",
        "2",
        "--routing-config",
        json.dumps({"AdditionalVersionWeights": {"1": 0.5}}),
        "--revision-id",
        alias["RevisionId"],
    )
    assert moved["FunctionVersion"] == "2" and moved["RoutingConfig"][
        "AdditionalVersionWeights"
    ] == {"1": 0.5}
    cli.fails(
        "update-alias",
        "--function-name",
        "cli-fn",
        "--name",
        "live",
        "--description",
        "x",
        "--revision-id",
        alias["RevisionId"],
        code="PreconditionFailedException",
    )
    assert [a["Name"] for a in cli.ok("list-aliases", "--function-name", "cli-fn")["Aliases"]] == [
        "live"
    ]

    out = cli.home / "out.json"
    sync = cli.ok(
        "invoke", "--function-name", "cli-fn", "--qualifier", "1", "--payload", '{"a": 1}', str(out)
    )
    assert (
        sync["StatusCode"] == 200 and sync["ExecutedVersion"] == "1" and "FunctionError" not in sync
    )
    assert json.loads(out.read_text()) == {"tag": "v1", "greeting": "hi", "version": "1"}
    latest = cli.ok("invoke", "--function-name", "cli-fn", "--payload", "{}", str(out))
    assert latest["ExecutedVersion"] == "$LATEST" and json.loads(out.read_text())["tag"] == "v2"
    event = cli.ok(
        "invoke",
        "--function-name",
        "cli-fn",
        "--invocation-type",
        "Event",
        "--payload",
        "{}",
        str(out),
    )
    assert event["StatusCode"] == 202
    dry = cli.ok("invoke", "--function-name", "cli-fn", "--invocation-type", "DryRun", str(out))
    assert dry["StatusCode"] == 204
    cli.fails(
        "invoke",
        "--function-name",
        "missing",
        "--payload",
        "{}",
        str(out),
        code="ResourceNotFoundException",
    )
    cli.fails(
        "invoke",
        "--function-name",
        "cli-fn",
        "--payload",
        "{nope",
        str(out),
        code="InvalidRequestContentException",
    )

    cli.fails(
        "delete-function",
        "--function-name",
        "cli-fn",
        "--qualifier",
        "2",
        code="ResourceConflictException",
    )
    assert cli.ok("delete-alias", "--function-name", "cli-fn", "--name", "live") is None
    cli.fails(
        "get-alias", "--function-name", "cli-fn", "--name", "live", code="ResourceNotFoundException"
    )
    assert cli.ok("delete-function", "--function-name", "cli-fn", "--qualifier", "1") == {
        "StatusCode": 204
    }
    assert [
        v["Version"]
        for v in cli.ok("list-versions-by-function", "--function-name", "cli-fn")["Versions"]
    ] == ["$LATEST", "2"]
    assert cli.ok("delete-function", "--function-name", "cli-fn") == {"StatusCode": 204}
    cli.fails("get-function", "--function-name", "cli-fn", code="ResourceNotFoundException")
    assert cli.ok("list-functions")["Functions"] == []


def _callback_id(cli: Cli, arn: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        events = cli.ok("get-durable-execution-history", "--durable-execution-arn", arn)["Events"]
        for event in events:
            if event["EventType"] == "CallbackStarted":
                return str(event["CallbackStartedDetails"]["CallbackId"])
        assert time.monotonic() < deadline, "no CallbackStarted event"
        time.sleep(0.2)


def _status(cli: Cli, arn: str, want: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        execution: dict[str, Any] = cli.ok("get-durable-execution", "--durable-execution-arn", arn)
        if execution["Status"] == want:
            return execution
        assert time.monotonic() < deadline, f"execution stuck in {execution['Status']}"
        time.sleep(0.2)


def test_durable_operations(cli: Cli) -> None:
    cli.ok(
        "create-function",
        "--function-name",
        "cli-approver",
        "--runtime",
        "python3.13",
        "--role",
        ROLE,
        "--handler",
        "app.approval",
        "--zip-file",
        "fileb://approval.zip",
        "--timeout",
        "30",
        "--durable-config",
        "ExecutionTimeout=600,RetentionPeriodInDays=7",
    )
    out = str(cli.home / "durable-out.json")
    arns = []
    for name in ("approve", "reject", "halt"):
        started = cli.ok(
            "invoke",
            "--function-name",
            "cli-approver",
            "--invocation-type",
            "Event",
            "--durable-execution-name",
            name,
            "--payload",
            json.dumps({"who": name}),
            out,
        )
        assert (
            started["StatusCode"] == 202
            and "/durable-execution/" + name + "/" in started["DurableExecutionArn"]
        )
        arns.append(started["DurableExecutionArn"])
    approve, reject, halt = arns
    callback = _callback_id(cli, approve)

    assert cli.ok("send-durable-execution-callback-heartbeat", "--callback-id", callback) is None
    assert (
        cli.ok(
            "send-durable-execution-callback-success",
            "--callback-id",
            callback,
            "--result",
            '"yes"',
        )
        is None
    )
    done = _status(cli, approve, "SUCCEEDED")
    assert json.loads(done["Result"]) == {"answer": '"yes"'} and json.loads(
        done["InputPayload"]
    ) == {"who": "approve"}
    cli.fails(
        "send-durable-execution-callback-success",
        "--callback-id",
        callback,
        "--result",
        '"again"',
        code="CallbackTimeoutException",
    )
    cli.fails(
        "send-durable-execution-callback-heartbeat",
        "--callback-id",
        "bad id!",
        code="InvalidParameterValueException",
    )

    assert (
        cli.ok(
            "send-durable-execution-callback-failure",
            "--callback-id",
            _callback_id(cli, reject),
            "--error",
            "ErrorType=Rejected,ErrorMessage=nope",
        )
        is None
    )
    failed = _status(cli, reject, "FAILED")
    assert failed["Error"]["ErrorMessage"] == "nope"

    _callback_id(cli, halt)
    state = cli.run(
        "get-durable-execution-state",
        "--durable-execution-arn",
        halt,
        "--checkpoint-token",
        "c3RhbGU=",
    )
    assert state.returncode == 255 and "Invalid checkpoint token" in state.stderr
    cli.fails(
        "checkpoint-durable-execution",
        "--durable-execution-arn",
        halt,
        "--checkpoint-token",
        "c3RhbGU=",
        "--updates",
        "[]",
        code="InvalidParameterValueException",
    )
    stopped = cli.ok(
        "stop-durable-execution",
        "--durable-execution-arn",
        halt,
        "--error",
        "ErrorType=Halt,ErrorMessage=by cli",
    )
    assert isinstance(stopped["StopTimestamp"], (str, int, float))
    assert _status(cli, halt, "STOPPED")["Error"]["ErrorType"] == "Halt"

    listed = cli.ok("list-durable-executions-by-function", "--function-name", "cli-approver")[
        "DurableExecutions"
    ]
    assert [e["DurableExecutionArn"] for e in listed] == arns
    assert [e["Status"] for e in listed] == ["SUCCEEDED", "FAILED", "STOPPED"]
    only = cli.ok(
        "list-durable-executions-by-function",
        "--function-name",
        "cli-approver",
        "--statuses",
        "FAILED",
        "STOPPED",
        "--reverse-order",
    )["DurableExecutions"]
    assert [e["DurableExecutionArn"] for e in only] == [halt, reject]
    paged = cli.ok(
        "list-durable-executions-by-function", "--function-name", "cli-approver", "--page-size", "1"
    )
    assert [
        e["DurableExecutionArn"] for e in paged["DurableExecutions"]
    ] == arns  # the CLI followed NextMarker
    history = cli.ok(
        "get-durable-execution-history", "--durable-execution-arn", approve, "--page-size", "2"
    )["Events"]
    types = [e["EventType"] for e in history]
    assert (
        types[0] == "ExecutionStarted"
        and types[-1] == "ExecutionSucceeded"
        and "CallbackSucceeded" in types
    )
    assert [e["EventId"] for e in history] == list(range(1, len(history) + 1))
    lean = cli.ok(
        "get-durable-execution-history",
        "--durable-execution-arn",
        approve,
        "--no-include-execution-data",
    )["Events"]
    assert "Payload" not in lean[0]["ExecutionStartedDetails"].get("Input", {})
    cli.fails(
        "get-durable-execution",
        "--durable-execution-arn",
        approve.rsplit("/", 1)[0] + "/missing",
        code="ResourceNotFoundException",
    )
    cli.fails(
        "get-durable-execution",
        "--durable-execution-arn",
        "not-an-arn",
        code="InvalidParameterValueException",
    )
    cli.fails(
        "list-durable-executions-by-function",
        "--function-name",
        "cli-approver",
        "--statuses",
        "DONE",
        code="InvalidParameterValueException",
    )
    assert cli.ok("delete-function", "--function-name", "cli-approver") == {"StatusCode": 204}
    cli.fails(
        "list-durable-executions-by-function",
        "--function-name",
        "cli-approver",
        code="ResourceNotFoundException",
    )
