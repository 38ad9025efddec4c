"""``durable-lambda deploy template.yaml``: deploy a SAM template's functions through boto3.

Every ``AWS::Serverless::Function`` of the template goes to a running ``durable-lambda serve``
(or any Lambda API endpoint).

The template is loaded and validated completely before the first request, so a bad template
deploys nothing. Each function is created, or its code (when the zip's SHA-256 differs) and
configuration (when it differs) are updated. ``AutoPublishAlias`` publishes a version when
something changed and points the alias at it. ``!GetAtt F.Arn`` needs the server's region and
account: they come from ``--region`` / ``--account-id``, else from a function already on the
server, else the client's region and the default account, checked against the ARNs the server
returns (a mismatch re-resolves the template and updates the configurations once more).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import zipfile
from pathlib import Path
from typing import Any

from durable_lambda_server.cli import sam

__all__ = ["DeployError", "add_parser", "cmd_deploy", "parse_overrides", "zip_directory"]

DEFAULT_ENDPOINT = "http://127.0.0.1:9000"
DEFAULT_ACCOUNT = "000000000000"
ARN_FUNCTION_PARTS = 7  # arn:aws:lambda:region:account:function:name
_SKIP_DIRS = {"__pycache__", ".git", ".aws-sam", ".venv", ".pytest_cache", ".mypy_cache"}


class DeployError(Exception):
    """A request the server refused, or a server that cannot be reached (exit status 1)."""


def add_parser(sub: Any) -> None:
    """Add the ``deploy`` subcommand and its options to the CLI's subparsers."""
    deploy = sub.add_parser("deploy", help="deploy a SAM template's functions to a running server")
    deploy.add_argument(
        "template", nargs="?", default="template.yaml", help="SAM template (default: template.yaml)"
    )
    deploy.add_argument(
        "--endpoint-url",
        default=None,
        help=f"Lambda API endpoint (default: env AWS_ENDPOINT_URL_LAMBDA, else {DEFAULT_ENDPOINT})",
    )
    deploy.add_argument(
        "--region",
        default=None,
        help="region for the client and ARNs (default: configured or us-east-1)",
    )
    deploy.add_argument(
        "--account-id", default=None, help="account id in ARNs (default: read from the server)"
    )
    deploy.add_argument(
        "--parameter-overrides",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter values (repeatable)",
    )
    deploy.add_argument(
        "--stack-name",
        default="durable-lambda",
        help="value of AWS::StackName (default: durable-lambda)",
    )
    deploy.add_argument("--json", action="store_true", help="machine-readable output")
    deploy.set_defaults(func=cmd_deploy)


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``["Key=Value", "ParameterKey=K,ParameterValue=V"]`` -> ``{"Key": "Value", "K": "V"}``."""
    out: dict[str, str] = {}
    for item in items:
        for word in item.split():
            if word.startswith("ParameterKey="):
                key_part, _, value_part = word.partition(",")
                if not value_part.startswith("ParameterValue="):
                    raise sam.TemplateError(f"invalid parameter override {word!r}")
                out[key_part.split("=", 1)[1]] = value_part.split("=", 1)[1]
                continue
            key, sep, value = word.partition("=")
            if not sep or not key:
                raise sam.TemplateError(f"invalid parameter override {word!r}: expected Key=Value")
            out[key] = value
    return out


def zip_directory(directory: Path) -> bytes:
    """The files under ``directory`` as a reproducible zip.

    The archive depends only on the files' paths, contents and modes (fixed timestamps, sorted
    order), so an unchanged directory gives the same ``CodeSha256`` and is not re-uploaded.
    """
    files: list[tuple[str, Path]] = []
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if (
            any(part in _SKIP_DIRS for part in relative.parts[:-1])
            or path.suffix == ".pyc"
            or not path.is_file()
        ):
            continue
        files.append((relative.as_posix(), path))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buf.getvalue()


def _client(endpoint: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    os.environ.setdefault(
        "AWS_EC2_METADATA_DISABLED", "true"
    )  # no instance-metadata probe for a local server
    session = boto3.Session(region_name=region)
    credentials: dict[str, str] = {}
    if session.get_credentials() is None:
        credentials = {
            "aws_access_key_id": "durable-lambda",
            "aws_secret_access_key": "durable-lambda",
        }
    config = Config(
        retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=120
    )
    return session.client("lambda", endpoint_url=endpoint, config=config, **credentials)


def _error_code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _server_identity(client: Any) -> tuple[str, str] | None:
    """(region, account) from the ARN of any function on the server, or None when it has none."""
    functions = client.list_functions(MaxItems=1).get("Functions") or []
    if not functions:
        return None
    parts = str(functions[0].get("FunctionArn", "")).split(":")
    return (parts[3], parts[4]) if len(parts) >= ARN_FUNCTION_PARTS else None


def _desired(spec: sam.FunctionSpec) -> dict[str, Any]:
    config: dict[str, Any] = {
        "Handler": spec.handler,
        "Runtime": spec.runtime,
        "Timeout": spec.timeout,
        "MemorySize": spec.memory_size,
        "Description": spec.description,
        "Environment": {"Variables": dict(spec.environment)},
    }
    if spec.durable_config is not None:
        config["DurableConfig"] = dict(spec.durable_config)
    return config


def _differs(current: dict[str, Any], desired: dict[str, Any]) -> bool:
    for key, want in desired.items():
        have = current.get(key)
        if key == "Environment":
            if (have or {}).get("Variables", {}) != want["Variables"]:
                return True
        elif key == "DurableConfig":
            if not isinstance(have, dict) or any(have.get(k) != v for k, v in want.items()):
                return True
        elif key == "Description":
            if (have or "") != want:
                return True
        elif have != want:
            return True
    return False


def _deploy_one(client: Any, spec: sam.FunctionSpec, code: bytes, account: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    sha = base64.b64encode(hashlib.sha256(code).digest()).decode()
    desired = _desired(spec)
    try:
        current: dict[str, Any] | None = client.get_function(FunctionName=spec.name)[
            "Configuration"
        ]
    except ClientError as err:
        if _error_code(err) != "ResourceNotFoundException":
            raise
        current = None
    if current is None:
        role = f"arn:aws:iam::{account}:role/durable-lambda-{spec.name}"
        config = client.create_function(
            FunctionName=spec.name, Role=role, Code={"ZipFile": code}, **desired
        )
        _wait(client, "function_active_v2", spec.name)
        action = "created"
    else:
        changes: list[str] = []
        config = current
        if current.get("CodeSha256") != sha:
            config = client.update_function_code(FunctionName=spec.name, ZipFile=code)
            _wait(client, "function_updated_v2", spec.name)
            changes.append("code")
        if _differs(current, desired):
            config = client.update_function_configuration(FunctionName=spec.name, **desired)
            _wait(client, "function_updated_v2", spec.name)
            changes.append("configuration")
        action = f"updated {' + '.join(changes)}" if changes else "unchanged"
    arn = str(config["FunctionArn"]).split(":")
    result: dict[str, Any] = {
        "LogicalId": spec.logical_id,
        "FunctionName": spec.name,
        "Action": action,
        "Durable": spec.durable_config is not None,
        "Version": "$LATEST",
        "FunctionArn": ":".join(arn[:7]),
    }
    if spec.auto_publish_alias:
        result.update(_publish_alias(client, spec, sha, desired))
    return result


def _wait(client: Any, waiter: str, name: str) -> None:
    """Until the function is ready for the next change (immediate on durable-lambda serve)."""
    client.get_waiter(waiter).wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300})


def _publish_alias(
    client: Any, spec: sam.FunctionSpec, sha: str, desired: dict[str, Any]
) -> dict[str, Any]:
    """Publishes a version unless the alias already serves this code and configuration."""
    from botocore.exceptions import ClientError

    alias = str(spec.auto_publish_alias)
    try:
        existing: dict[str, Any] | None = client.get_alias(FunctionName=spec.name, Name=alias)
    except ClientError as err:
        if _error_code(err) != "ResourceNotFoundException":
            raise
        existing = None
    current = None
    if existing is not None:
        current = client.get_function(FunctionName=spec.name, Qualifier=alias)["Configuration"]
    if existing and current and current.get("CodeSha256") == sha and not _differs(current, desired):
        version = str(existing["FunctionVersion"])
    else:
        version = str(client.publish_version(FunctionName=spec.name)["Version"])
    if existing is None:
        out = client.create_alias(FunctionName=spec.name, Name=alias, FunctionVersion=version)
    elif existing["FunctionVersion"] != version:
        out = client.update_alias(FunctionName=spec.name, Name=alias, FunctionVersion=version)
    else:
        out = existing
    return {"Version": version, "Alias": alias, "AliasArn": out.get("AliasArn")}


def deploy(
    client: Any,
    template: Path,
    *,
    overrides: dict[str, str],
    region: str,
    account: str | None,
    stack_name: str,
) -> list[dict[str, Any]]:
    """Deploys every function of ``template``; the rows describe what was done."""
    stack = sam.load_template(
        template,
        overrides=overrides,
        region=region,
        account_id=account or DEFAULT_ACCOUNT,
        stack_name=stack_name,
    )
    specs = sam.function_specs(stack)  # every template error surfaces before the first request
    codes = {spec.logical_id: zip_directory(spec.code_dir) for spec in specs}
    guessed = account is None
    if guessed:
        identity = _call(lambda: _server_identity(client), "reading the server's functions")
        if identity is not None:
            region, account = identity
            specs = _respec(template, overrides, region, account, stack_name)
    account = account or DEFAULT_ACCOUNT
    results = [
        _call(
            lambda s=spec: _deploy_one(client, s, codes[s.logical_id], account),
            f"deploying {spec.logical_id} ({spec.name})",
        )
        for spec in specs
    ]
    parts = results[0]["FunctionArn"].split(":")
    if guessed and len(parts) >= ARN_FUNCTION_PARTS and (parts[3], parts[4]) != (region, account):
        # The server names ARNs differently from our guess: resolve again and redeploy (idempotent).
        specs = _respec(template, overrides, parts[3], parts[4], stack_name)
        first = {row["LogicalId"]: row["Action"] for row in results}
        results = [
            _call(
                lambda s=spec: _deploy_one(client, s, codes[s.logical_id], parts[4]),
                f"deploying {spec.logical_id} ({spec.name})",
            )
            for spec in specs
        ]
        for row in results:
            if first.get(row["LogicalId"]) == "created" or row["Action"] == "unchanged":
                row["Action"] = first.get(row["LogicalId"], row["Action"])
    return results


def _respec(
    template: Path, overrides: dict[str, str], region: str, account: str, stack_name: str
) -> list[sam.FunctionSpec]:
    stack = sam.load_template(
        template, overrides=overrides, region=region, account_id=account, stack_name=stack_name
    )
    return sam.function_specs(stack)


def _call(action: Any, what: str) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        return action()
    except EndpointConnectionError as err:
        raise DeployError(
            f"cannot reach {err.kwargs.get('endpoint_url')}: is `durable-lambda serve` running?"
        ) from err
    except ClientError as err:
        message = (getattr(err, "response", None) or {}).get("Error", {}).get("Message") or str(err)
        raise DeployError(f"{what}: {_error_code(err) or 'error'}: {message}") from err
    except BotoCoreError as err:
        raise DeployError(f"{what}: {err}") from err


def cmd_deploy(args: argparse.Namespace) -> int:
    """``durable-lambda deploy``: deploy the template to the endpoint and print what changed."""
    import boto3

    template = Path(args.template)
    overrides = parse_overrides(list(args.parameter_overrides))
    region = args.region or boto3.Session().region_name or "us-east-1"
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or DEFAULT_ENDPOINT
    results = deploy(
        _client(endpoint, region),
        template,
        overrides=overrides,
        region=region,
        account=args.account_id,
        stack_name=args.stack_name,
    )
    _render(results, endpoint, as_json=args.json)
    return 0


def _render(results: list[dict[str, Any]], endpoint: str, *, as_json: bool) -> None:
    from durable_lambda_server.cli import render

    if as_json:
        render.print_json({"Endpoint": endpoint, "Functions": results})
        return
    from rich.table import Table

    table = Table(title=f"Deployed to {endpoint}")
    for column in ("Resource", "Function", "Action", "Version / alias", "Durable", "ARN"):
        table.add_column(column, overflow="fold")
    for row in results:
        version = row["Version"] + (f" ({row['Alias']})" if row.get("Alias") else "")
        style = (
            "green"
            if row["Action"] == "created"
            else ("dim" if row["Action"] == "unchanged" else "cyan")
        )
        table.add_row(
            row["LogicalId"],
            row["FunctionName"],
            f"[{style}]{row['Action']}[/{style}]",
            version,
            "yes" if row["Durable"] else "no",
            row.get("AliasArn") or row["FunctionArn"],
        )
    render.console.print(table)
