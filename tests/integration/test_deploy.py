"""``durable-lambda deploy`` end to end: a real ``durable-lambda serve`` process, the real console
script deploying a SAM template of three functions that invoke each other, and boto3 checking
what runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import free_port, lambda_client, serve_process

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent / "durable-lambda"

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Prefix:
    Type: String
    Default: shop
Globals:
  Function:
    Runtime: python3.13
    Timeout: 30
    Environment:
      Variables:
        STAGE: test
Resources:
  Orchestrator:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${Prefix}-orchestrator"
      CodeUri: orchestrator/
      Handler: app.handler
      DurableConfig:
        ExecutionTimeout: 600
        RetentionPeriodInDays: 7
      Environment:
        Variables:
          VALIDATE_FUNCTION: !Ref Validate
          PAYMENT_ARN: !GetAtt Payment.Arn
  Validate:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${Prefix}-validate"
      CodeUri: validate
      Handler: rules.handler
      MemorySize: 256
  Payment:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Join ["-", [!Ref Prefix, payment]]
      CodeUri: ./payment
      Handler: pay.handler
      AutoPublishAlias: live
      DurableConfig:
        ExecutionTimeout: 300
  Queue:
    Type: AWS::SQS::Queue
"""

ORCHESTRATOR = """
import os

from durable_lambda import DurableContext, durable_execution


@durable_execution
def handler(event, context: DurableContext):
    check = context.invoke(
        os.environ["VALIDATE_FUNCTION"], {"amount": event["amount"]}, name="validate"
    )
    paid = context.invoke(os.environ["PAYMENT_ARN"], {"amount": event["amount"]}, name="pay")
    return {
        "check": check,
        "paid": paid,
        "stage": os.environ["STAGE"],
        "payment_arn": os.environ["PAYMENT_ARN"],
    }
"""

VALIDATE = """
def handler(event, context):
    return {"valid": event["amount"] > 0, "rule": "RULE"}
"""

PAYMENT = """
from durable_lambda import durable_execution


@durable_execution
def handler(event, context):
    tx = context.step(lambda _: "tx-" + str(event["amount"]), name="charge")
    return {"transaction": tx, "release": "RELEASE"}
"""


@contextlib.contextmanager
def serve(state_dir: Path) -> Iterator[str]:
    """A real ``durable-lambda serve`` process on a free port; yields its URL."""
    port = free_port()
    command = [
        str(BIN),
        "serve",
        "--port",
        str(port),
        "--db",
        str(state_dir / "state.db"),
        "--log-level",
        "warning",
    ]
    with serve_process(command, port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("deploy-server")) as url:
        yield url


@pytest.fixture
def client(endpoint: str) -> Any:
    return lambda_client(endpoint, read_timeout=90)


def write_app(root: Path, *, rule: str = "positive", release: str = "v1") -> Path:
    files = {
        "template.yaml": TEMPLATE,
        "orchestrator/app.py": ORCHESTRATOR,
        "validate/rules.py": VALIDATE.replace("RULE", rule),
        "payment/pay.py": PAYMENT.replace("RELEASE", release),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "template.yaml"


def run_deploy(
    endpoint: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [str(BIN), "deploy", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
    )


def deploy_json(
    endpoint: str, template: Path, prefix: str, *args: str
) -> dict[str, dict[str, Any]]:
    done = run_deploy(
        endpoint,
        str(template),
        "--endpoint-url",
        endpoint,
        "--json",
        "--parameter-overrides",
        f"Prefix={prefix}",
        *args,
    )
    assert done.returncode == 0, done.stderr
    return {row["LogicalId"]: row for row in json.loads(done.stdout)["Functions"]}


def invoke(
    client: Any, name: str, payload: dict[str, Any], **extra: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    response = client.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), **extra)
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, body
    return response, body


def test_deploy_wires_functions_that_invoke_each_other(
    tmp_path: Path, endpoint: str, client: Any
) -> None:
    template = write_app(tmp_path)
    rows = deploy_json(endpoint, template, "shop")

    assert set(rows) == {"Orchestrator", "Validate", "Payment"}  # the SQS queue is not a function
    assert {r["Action"] for r in rows.values()} == {"created"}
    assert (
        rows["Orchestrator"]["Durable"]
        and rows["Payment"]["Durable"]
        and not rows["Validate"]["Durable"]
    )
    assert rows["Payment"]["Version"] == "1" and rows["Payment"]["Alias"] == "live"

    orchestrator = client.get_function(FunctionName="shop-orchestrator")["Configuration"]
    payment_arn = client.get_function(FunctionName="shop-payment")["Configuration"]["FunctionArn"]
    assert orchestrator["Environment"]["Variables"] == {
        "STAGE": "test",
        "VALIDATE_FUNCTION": "shop-validate",
        "PAYMENT_ARN": payment_arn,
    }
    assert orchestrator["DurableConfig"]["ExecutionTimeout"] == 600
    assert orchestrator["DurableConfig"]["RetentionPeriodInDays"] == 7
    assert orchestrator["Timeout"] == 30 and orchestrator["Handler"] == "app.handler"
    assert client.get_function(FunctionName="shop-validate")["Configuration"]["MemorySize"] == 256
    assert client.get_alias(FunctionName="shop-payment", Name="live")["FunctionVersion"] == "1"

    response, body = invoke(client, "shop-orchestrator", {"amount": 42})
    assert body == {
        "check": {"valid": True, "rule": "positive"},
        "paid": {"transaction": "tx-42", "release": "v1"},
        "stage": "test",
        "payment_arn": payment_arn,
    }
    events = client.get_durable_execution_history(
        DurableExecutionArn=response["DurableExecutionArn"]
    )["Events"]
    started = [
        e["ChainedInvokeStartedDetails"] for e in events if e["EventType"] == "ChainedInvokeStarted"
    ]
    assert [s["FunctionName"] for s in started] == ["shop-validate", payment_arn]
    assert sum(e["EventType"] == "ChainedInvokeSucceeded" for e in events) == 2


def test_redeploy_applies_changed_code_and_moves_the_alias(
    tmp_path: Path, endpoint: str, client: Any
) -> None:
    template = write_app(tmp_path)
    deploy_json(endpoint, template, "again")

    unchanged = deploy_json(endpoint, template, "again")
    assert {r["Action"] for r in unchanged.values()} == {"unchanged"}
    assert unchanged["Payment"]["Version"] == "1"  # nothing changed: no new version

    write_app(tmp_path, rule="strict", release="v2")
    rows = deploy_json(endpoint, template, "again")
    assert rows["Validate"]["Action"] == "updated code"
    assert rows["Payment"]["Action"] == "updated code"
    assert rows["Orchestrator"]["Action"] == "unchanged"
    assert rows["Payment"]["Version"] == "2"
    assert client.get_alias(FunctionName="again-payment", Name="live")["FunctionVersion"] == "2"

    _, body = invoke(client, "again-orchestrator", {"amount": 5})
    assert body["check"] == {"valid": True, "rule": "strict"}
    assert body["paid"] == {"transaction": "tx-5", "release": "v2"}
    _, via_alias = invoke(client, "again-payment", {"amount": 7}, Qualifier="live")
    assert via_alias == {"transaction": "tx-7", "release": "v2"}
    _, old = invoke(client, "again-payment", {"amount": 7}, Qualifier="1")
    assert old["release"] == "v1"


def test_configuration_change_is_applied(tmp_path: Path, endpoint: str, client: Any) -> None:
    template = write_app(tmp_path)
    deploy_json(endpoint, template, "conf")
    template.write_text(
        TEMPLATE.replace("STAGE: test", "STAGE: prod").replace("MemorySize: 256", "MemorySize: 512")
    )
    rows = deploy_json(endpoint, template, "conf")
    assert rows["Validate"]["Action"] == "updated configuration"
    assert client.get_function(FunctionName="conf-validate")["Configuration"]["MemorySize"] == 512
    _, body = invoke(client, "conf-orchestrator", {"amount": 1})
    assert body["stage"] == "prod"


def test_table_output_and_endpoint_from_environment(
    tmp_path: Path, endpoint: str, client: Any
) -> None:
    template = write_app(tmp_path)
    done = run_deploy(
        endpoint,
        str(template),
        "--parameter-overrides",
        "Prefix=tbl",
        env={"AWS_ENDPOINT_URL_LAMBDA": endpoint},
    )
    assert done.returncode == 0, done.stderr
    for text in ("Orchestrator", "tbl-validate", "created", "1 (live)", "arn:aws:lambda:"):
        assert text in done.stdout
    assert (
        client.get_function(FunctionName="tbl-payment")["Configuration"]["FunctionName"]
        == "tbl-payment"
    )


def test_bad_template_exits_2_and_deploys_nothing(
    tmp_path: Path, endpoint: str, client: Any
) -> None:
    template = write_app(tmp_path)
    template.write_text(TEMPLATE.replace("!GetAtt Payment.Arn", "!GetAtt Missing.Arn"))
    done = run_deploy(
        endpoint, str(template), "--endpoint-url", endpoint, "--parameter-overrides", "Prefix=bad"
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "Missing" in done.stderr and "Traceback" not in done.stderr
    names = {f["FunctionName"] for f in client.list_functions()["Functions"]}
    assert not any(n.startswith("bad-") for n in names)


def test_unreachable_server_is_one_line_exit_1(tmp_path: Path) -> None:
    template = write_app(tmp_path)
    done = run_deploy("", str(template), "--endpoint-url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "durable-lambda serve" in done.stderr and "Traceback" not in done.stderr


def test_arns_follow_the_server_when_the_client_region_differs(tmp_path: Path) -> None:
    """On an empty server the ARN region is a guess (the client's): corrected from the server's
    ARNs."""
    with serve(tmp_path / "fresh") as url:
        client = lambda_client(url)
        rows = deploy_json(url, write_app(tmp_path / "app"), "geo", "--region", "eu-west-1")
        assert {r["Action"] for r in rows.values()} == {"created"}
        payment_arn = client.get_function(FunctionName="geo-payment")["Configuration"][
            "FunctionArn"
        ]
        assert ":eu-west-1:" not in payment_arn
        env = client.get_function(FunctionName="geo-orchestrator")["Configuration"]["Environment"][
            "Variables"
        ]
        assert env["PAYMENT_ARN"] == payment_arn
        assert rows["Payment"]["FunctionArn"] == payment_arn
        # An explicit account and region are used as given.
        rows = deploy_json(
            url,
            write_app(tmp_path / "app2"),
            "pin",
            "--region",
            "eu-west-1",
            "--account-id",
            "111122223333",
        )
        env = client.get_function(FunctionName="pin-orchestrator")["Configuration"]["Environment"][
            "Variables"
        ]
        assert env["PAYMENT_ARN"] == "arn:aws:lambda:eu-west-1:111122223333:function:pin-payment"
