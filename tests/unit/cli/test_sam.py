"""SAM template loading for ``durable-lambda deploy``: tags, intrinsics, Globals, parameters,
errors."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from durable_lambda_server.cli import deploy, sam
from durable_lambda_server.cli.main import main

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:"


def make(tmp_path: Path, body: str, *, code: dict[str, str] | None = None) -> Path:
    for rel, text in (
        code if code is not None else {"src/app.py": "def handler(e, c):\n    return e\n"}
    ).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    template = tmp_path / "template.yaml"
    template.write_text(body)
    return template


def specs(template: Path, **kwargs: object) -> dict[str, sam.FunctionSpec]:
    stack = sam.load_template(template, region="eu-west-1", account_id="123456789012", **kwargs)  # type: ignore[arg-type]
    return {s.logical_id: s for s in sam.function_specs(stack)}


FULL = """
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Size:
    Type: Number
    Default: 512
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
    MemorySize: !Ref Size
    Environment:
      Variables:
        STAGE: !Ref Stage
        SHARED: from-globals
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Timeout: 20
      Environment:
        Variables:
          SHARED: overridden
          WORKER_SELF: !Ref AWS::NoValue
  Flow:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${Stage}-flow"
      CodeUri: src
      Handler: app.handler
      AutoPublishAlias: live
      DurableConfig: {ExecutionTimeout: "900", RetentionPeriodInDays: 3}
      Environment:
        Variables:
          WORKER: !Ref Worker
          WORKER_ARN: !GetAtt Worker.Arn
          WORKER_ARN_LIST: !GetAtt [Worker, Arn]
          WORKER_ARN_LONG: {"Fn::GetAtt": ["Worker", "Arn"]}
          WORKER_REF_LONG: {"Ref": "Worker"}
          SUB: !Sub "${Worker}|${Worker.Arn}|${AWS::Region}|${AWS::AccountId}|${!Literal}"
          SUB_VARS: !Sub ["${Name}-${Stage}", {Name: !Ref Worker}]
          SUB_LONG: {"Fn::Sub": "${Flow.Alias}"}
          JOIN: !Join [",", [a, !Ref Worker, {"Fn::Join": ["", [x, y]]}]]
          ENABLED: true
  Bucket:
    Type: AWS::S3::Bucket
"""


def test_functions_resolve_tags_intrinsics_globals_and_parameters(tmp_path: Path) -> None:
    got = specs(make(tmp_path, FULL))
    assert list(got) == ["Worker", "Flow"]
    worker, flow = got["Worker"], got["Flow"]
    assert worker.name == "Worker" and flow.name == "dev-flow"
    assert worker.environment == {"STAGE": "dev", "SHARED": "overridden"}
    assert (worker.timeout, flow.timeout, worker.memory_size, worker.runtime) == (
        20,
        10,
        512,
        "python3.12",
    )
    assert worker.code_dir == (tmp_path / "src").resolve() and worker.handler == "app.handler"
    assert worker.durable_config is None and worker.auto_publish_alias is None
    assert flow.durable_config == {"ExecutionTimeout": 900, "RetentionPeriodInDays": 3}
    assert flow.auto_publish_alias == "live"
    assert flow.environment == {
        "STAGE": "dev",
        "SHARED": "from-globals",
        "WORKER": "Worker",
        "WORKER_ARN": ARN + "Worker",
        "WORKER_ARN_LIST": ARN + "Worker",
        "WORKER_ARN_LONG": ARN + "Worker",
        "WORKER_REF_LONG": "Worker",
        "SUB": f"Worker|{ARN}Worker|eu-west-1|123456789012|${{Literal}}",
        "SUB_VARS": "Worker-dev",
        "SUB_LONG": ARN + "dev-flow:live",
        "JOIN": "a,Worker,xy",
        "ENABLED": "true",
    }


def test_parameter_overrides(tmp_path: Path) -> None:
    template = make(tmp_path, FULL)
    got = specs(template, overrides=deploy.parse_overrides(["Stage=prod Size=1024"]))
    assert got["Flow"].name == "prod-flow" and got["Worker"].memory_size == 1024
    assert deploy.parse_overrides(["ParameterKey=A,ParameterValue=b=c", "D="]) == {
        "A": "b=c",
        "D": "",
    }
    with pytest.raises(sam.TemplateError, match="not one of"):
        specs(template, overrides={"Stage": "qa"})
    with pytest.raises(sam.TemplateError, match="undeclared parameter 'Nope'"):
        specs(template, overrides={"Nope": "1"})
    with pytest.raises(sam.TemplateError, match="expected Key=Value"):
        deploy.parse_overrides(["novalue"])


def test_globals_lists_concatenate_and_maps_merge() -> None:
    merged = sam._merge_globals(
        {
            "Layers": ["a"],
            "Environment": {"Variables": {"A": "1", "B": "2"}},
            "Timeout": 3,
            "X": {"Ref": "P"},
        },
        {
            "Layers": ["b"],
            "Environment": {"Variables": {"B": "3"}},
            "Timeout": 9,
            "X": {"Fn::Sub": "s"},
        },
    )
    assert merged == {
        "Layers": ["a", "b"],
        "Environment": {"Variables": {"A": "1", "B": "3"}},
        "Timeout": 9,
        "X": {"Fn::Sub": "s"},
    }


FUNCTION = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
{props}
  Other:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: src, Handler: app.handler}}
  Table:
    Type: AWS::DynamoDB::Table
"""


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ("      CodeUri: src", "Fn: Handler is missing"),
        ("      Handler: app.handler", "Fn: CodeUri is missing"),
        (
            "      CodeUri: nowhere\n      Handler: app.handler",
            "CodeUri directory 'nowhere' does not exist",
        ),
        ("      CodeUri: src\n      Handler: missing.handler", "missing.py not found"),
        ("      CodeUri: src\n      Handler: nodot", "Handler must be 'module.function'"),
        (
            "      CodeUri: {Bucket: b, Key: k}\n      Handler: app.handler",
            "S3 locations are not supported",
        ),
        ("      CodeUri: src\n      Handler: app.handler\n      Runtime: nodejs20.x", "nodejs20.x"),
        ("      CodeUri: src\n      Handler: app.handler\n      Timeout: 901", "Fn.Timeout"),
        (
            "      CodeUri: src\n      Handler: app.handler\n"
            "      Environment: {Variables: {A: !Ref Ghost}}",
            "unknown resource or parameter 'Ghost'",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n"
            "      Environment: {Variables: {A: !GetAtt Ghost.Arn}}",
            "!GetAtt to unknown resource 'Ghost'",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n"
            "      Environment: {Variables: {A: !GetAtt Other.Name}}",
            "only the Arn attribute",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n"
            "      Environment: {Variables: {A: !Ref Table}}",
            "AWS::DynamoDB::Table resources are not deployed",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n"
            "      Environment: {Variables: {A: !If [c, a, b]}}",
            "unsupported tag !If",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n"
            "      Environment: {Variables: {A: {'Fn::If': [c, a, b]}}}",
            "unsupported intrinsic function Fn::If",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n      FunctionName: Other",
            "same FunctionName 'Other'",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n      FunctionName: !Ref Other",
            "cannot reference function",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n      DurableConfig: {Bogus: 1}",
            "unsupported key 'Bogus'",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n      AutoPublishAlias: '12'",
            "invalid AutoPublishAlias",
        ),
        (
            "      CodeUri: src\n      Handler: app.handler\n"
            "      Environment: {Variables: {A: !Ref Other.Alias}}",
            "Other has no AutoPublishAlias",
        ),
    ],
)
def test_template_errors(tmp_path: Path, props: str, message: str) -> None:
    with pytest.raises(
        sam.TemplateError, match=message.replace("(", r"\(").replace(".", r"\.").replace("!", "!")
    ):
        specs(make(tmp_path, FUNCTION.format(props=props)))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Resources:\n  A: [unclosed\n", "invalid YAML: line"),
        ("- just a list\n", "must be a YAML mapping"),
        ("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n", "no AWS::Serverless::Function"),
        (
            "Parameters:\n  P: {Type: String}\n"
            "Resources:\n  F: {Type: AWS::Serverless::Function}\n",
            "'P' has no Default",
        ),
        ("Resources: {}\n", "no Resources"),
    ],
)
def test_template_level_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(sam.TemplateError, match=message):
        specs(make(tmp_path, body))


def test_cli_reports_a_bad_template_in_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = make(tmp_path, FUNCTION.format(props="      CodeUri: src"))
    # Port 9 (discard) is never contacted: validation fails first.
    assert main(["deploy", str(template), "--endpoint-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("durable-lambda: error: Fn: Handler is missing") and err.count("\n") == 1
    assert main(["deploy", str(tmp_path / "absent.yaml")]) == 2
    assert "cannot read template" in capsys.readouterr().err


def test_zip_is_deterministic_and_skips_caches(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "pkg" / "__pycache__").mkdir(parents=True)
    (code / "pkg" / "__pycache__" / "mod.cpython-313.pyc").write_bytes(b"x")
    (code / "pkg" / "mod.py").write_text("X = 1\n")
    (code / "app.py").write_text("def handler(e, c): return 1\n")
    first = deploy.zip_directory(code)
    (code / "app.py").touch()  # a new mtime changes nothing
    assert deploy.zip_directory(code) == first
    names = zipfile.ZipFile(BytesIO(first)).namelist()
    assert names == ["app.py", "pkg/mod.py"]
    (code / "app.py").write_text("def handler(e, c): return 2\n")
    assert deploy.zip_directory(code) != first
