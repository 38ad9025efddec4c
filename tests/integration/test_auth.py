"""API authentication and worker isolation end to end: uvicorn on 127.0.0.1 with authentication
forced on, real boto3 clients, the aws CLI, and worker processes that sign with their own
execution-scoped key (and, run as root, drop to ``nobody``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from durable_lambda_server.cli.serve import build_security, private_file
from tests.integration.test_api import wait_event, wait_status
from tests.integration.test_official_sdk import OFFICIAL, ORDER_APP, official_zip
from tests.live import Server, free_port, serve_process, zip_of

ROOT = Path(__file__).resolve().parents[2]
AWS = Path(sys.executable).with_name("aws")
KEY, SECRET = "AKIDDURABLETEST0001", "s3cret-for-the-auth-tests-only-0123456789"
TOKEN = "bearer-token-for-the-auth-tests-0123456789"
ROLE = "arn:aws:iam::000000000000:role/x"
IS_ROOT = os.geteuid() == 0

APP = '''
import json
import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from durable_lambda import durable_execution


def _client():
    return boto3.client("lambda", config=Config(retries={"max_attempts": 1}))


def _code(call):
    try:
        call()
        return "ok"
    except ClientError as err:
        return err.response["Error"]["Code"]


@durable_execution
def approval(event, context):
    return {"answer": context.wait_for_callback(lambda callback_id, ctx: None, name="approval")}


@durable_execution
def prober(event, context):
    """Uses the worker's own credentials against routes it must not reach."""
    own = context.execution_context.durable_execution_arn
    other = event["other"]
    c = _client()
    return context.step(lambda _: {
        "list_functions": _code(lambda: c.list_functions()),
        "create_function": _code(lambda: c.create_function(
            FunctionName="evil", Role="r", Handler="a.b", Code={"ZipFile": b"x"},
            Runtime="python3.13")),
        "get_own_execution": _code(lambda: c.get_durable_execution(DurableExecutionArn=own)),
        "own_state_bad_token": _code(lambda: c.get_durable_execution_state(
            DurableExecutionArn=own, CheckpointToken="forged")),
        "other_state": _code(lambda: c.get_durable_execution_state(
            DurableExecutionArn=other, CheckpointToken="x")),
        "other_checkpoint": _code(lambda: c.checkpoint_durable_execution(
            DurableExecutionArn=other, CheckpointToken="x", Updates=[])),
        "callback": _code(lambda: c.send_durable_execution_callback_success(
            CallbackId="abc", Result=b"1")),
        "key_prefix": os.environ["AWS_ACCESS_KEY_ID"][:4],
    }, name="probe")


def isolation(event, context):
    """A plain function: what can the worker's process see?"""
    out = {"uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid()}
    for label, path in event["paths"].items():
        try:
            with open(path, "rb") as f:
                f.read(1)
            out[label] = "readable"
        except PermissionError:
            out[label] = "PermissionError"
        except OSError as err:
            out[label] = type(err).__name__
    try:
        os.setuid(0)
        out["setuid0"] = "succeeded"
    except PermissionError:
        out["setuid0"] = "PermissionError"
    out["list_functions"] = _code(lambda: _client().list_functions())
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    out["fds"] = fds
    return out
'''


class AuthServer(Server):
    """A server configured by ``build_security`` (the code `serve` runs) with keys and a token."""

    def __init__(self, state_dir: Path, **flags: Any) -> None:
        args = argparse.Namespace(
            **{
                "host": "127.0.0.1",
                "auth": "auto",
                "access_key": [f"{KEY}:{SECRET}"],
                "credentials_file": None,
                "token": TOKEN,
                "worker_user": None,
                **flags,
            }
        )
        security = build_security(args, state_dir)
        private_file(state_dir / "state.db")
        super().__init__(
            state_dir, auth=security.authenticator, worker_options=security.worker_options
        )

    def client(self, key: str = KEY, secret: str = SECRET, **config: Any) -> Any:
        return boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}, read_timeout=60, **config),
        )


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """Outside pytest's 0700 temp root, so a dropped worker user can reach the code and logs."""
    path = Path(tempfile.mkdtemp(prefix="dl-auth-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server(state_dir: Path) -> Iterator[AuthServer]:
    srv = AuthServer(state_dir)
    yield srv
    srv.stop()


def create(
    client: Any, name: str, handler: str, files: dict[str, str] | None = None, durable: bool = True
) -> None:
    kwargs: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.13",
        "Role": ROLE,
        "Handler": handler,
        "Code": {"ZipFile": zip_of(files or {"app.py": APP})},
        "Timeout": 30,
    }
    if durable:
        kwargs["DurableConfig"] = {"ExecutionTimeout": 300, "RetentionPeriodInDays": 1}
    client.create_function(**kwargs)


def error_of(call: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_keys_work_for_management_invoke_and_durable_ops(server: AuthServer) -> None:
    client = server.client()
    create(client, "approve", "app.approval")
    create(client, "probe", "app.isolation", durable=False)
    assert {f["FunctionName"] for f in client.list_functions()["Functions"]} == {"approve", "probe"}
    assert client.get_function(FunctionName="approve")["Configuration"]["Handler"] == "app.approval"
    arn = client.invoke(FunctionName="approve", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    callback_id = wait_event(client, arn, "CallbackStarted")["CallbackStartedDetails"]["CallbackId"]
    client.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=json.dumps("yes"))
    execution = wait_status(client, arn, {"SUCCEEDED", "FAILED"})
    assert execution["Status"] == "SUCCEEDED", execution
    assert (
        client.list_durable_executions_by_function(FunctionName="approve")["DurableExecutions"][0][
            "Status"
        ]
        == "SUCCEEDED"
    )
    response = client.invoke(FunctionName="probe", Payload=json.dumps({"paths": {}}))
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(response["Payload"].read())["list_functions"] == "AccessDeniedException"
    client.delete_function(FunctionName="probe")


def test_bad_credentials_are_refused(server: AuthServer) -> None:
    assert error_of(lambda: server.client(secret="wrong-secret-0123456789").list_functions()) == (
        403,
        "InvalidSignatureException",
    )
    assert error_of(lambda: server.client(key="AKIDUNKNOWN00000000").list_functions()) == (
        403,
        "UnrecognizedClientException",
    )
    unsigned = server.client(signature_version=UNSIGNED)
    assert error_of(lambda: unsigned.list_functions()) == (
        403,
        "MissingAuthenticationTokenException",
    )
    # Unknown routes and every method authenticate first.
    assert error_of(lambda: unsigned.delete_function(FunctionName="x")) == (
        403,
        "MissingAuthenticationTokenException",
    )
    assert error_of(lambda: server.client(secret="x" * 20).invoke(FunctionName="x")) == (
        403,
        "InvalidSignatureException",
    )


def test_expired_signature_is_refused(server: AuthServer) -> None:
    client = server.client()

    def backdate(request: Any, **_: Any) -> None:
        import botocore.auth as auth_module
        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials

        real = auth_module.get_current_datetime
        auth_module.get_current_datetime = lambda: real() - __import__("datetime").timedelta(
            minutes=20
        )
        try:
            SigV4Auth(Credentials(KEY, SECRET), "lambda", "us-east-1").add_auth(request)
        finally:
            auth_module.get_current_datetime = real

    client.meta.events.register_last("request-created.lambda", backdate)
    with pytest.raises(ClientError) as info:
        client.list_functions()
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "InvalidSignatureException" and error["Message"].startswith(
        "Signature expired"
    )


def http(
    server: AuthServer, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, Any], str | None]:
    request = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers.get("x-amzn-ErrorType")


def test_bearer_token(server: AuthServer) -> None:
    status, body, _ = http(server, "/2015-03-31/functions", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and body["Functions"] == []
    status, body, kind = http(
        server, "/2015-03-31/functions", {"Authorization": "Bearer " + TOKEN[:-1]}
    )
    assert (status, kind) == (403, "UnrecognizedClientException") and "message" in body
    status, _, kind = http(server, "/2015-03-31/functions", {})
    assert (status, kind) == (403, "MissingAuthenticationTokenException")
    status, _, kind = http(server, "/no/such/route", {"Authorization": "Basic abc"})
    assert (status, kind) == (403, "IncompleteSignatureException")


def test_worker_credentials_reach_only_their_own_execution(server: AuthServer) -> None:
    client = server.client()
    create(client, "approve", "app.approval")
    create(client, "prober", "app.prober")
    other = client.invoke(FunctionName="approve", InvocationType="Event", Payload=b"{}")[
        "DurableExecutionArn"
    ]
    wait_event(client, other, "CallbackStarted")
    response = client.invoke(FunctionName="prober", Payload=json.dumps({"other": other}))
    assert "FunctionError" not in response, response["Payload"].read()
    result = json.loads(response["Payload"].read())
    assert result == {
        "list_functions": "AccessDeniedException",
        "create_function": "AccessDeniedException",
        "get_own_execution": "AccessDeniedException",
        # authorised; the engine checks the token
        "own_state_bad_token": "InvalidParameterValueException",
        "other_state": "AccessDeniedException",
        "other_checkpoint": "AccessDeniedException",
        "callback": "AccessDeniedException",
        "key_prefix": "DLWK",
    }
    assert client.get_durable_execution(DurableExecutionArn=other)["Status"] == "RUNNING"


def test_official_sdk_signs_with_the_worker_key(server: AuthServer) -> None:
    if not OFFICIAL.is_dir():
        pytest.fail(f"{OFFICIAL} is missing: run scripts/setup.sh --force")
    client = server.client()
    client.create_function(
        FunctionName="orders",
        Runtime="python3.13",
        Role=ROLE,
        Handler="app.handler",
        Timeout=30,
        Code={"ZipFile": official_zip({"app.py": ORDER_APP})},
        DurableConfig={"ExecutionTimeout": 300, "RetentionPeriodInDays": 1},
    )
    payload = {"items": [{"qty": 2, "unit": 5}]}
    arn = client.invoke(FunctionName="orders", Payload=json.dumps(payload), InvocationType="Event")[
        "DurableExecutionArn"
    ]
    callback_id = wait_event(client, arn, "CallbackStarted")["CallbackStartedDetails"]["CallbackId"]
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=json.dumps("yes"))
    execution = wait_status(client, arn, {"SUCCEEDED", "FAILED"})
    assert execution["Status"] == "SUCCEEDED", execution
    assert json.loads(execution["Result"])["total"] == 10


@pytest.mark.skipif(not IS_ROOT, reason="workers change user only when the server runs as root")
def test_workers_cannot_read_the_database_or_keys(server: AuthServer, state_dir: Path) -> None:
    client = server.client()
    create(client, "probe", "app.isolation", durable=False)
    creds = state_dir / "credentials"
    creds.write_text(f"{KEY}:{SECRET}\n")
    creds.chmod(0o600)
    paths = {
        "db": str(server.db),
        "wal": str(server.db) + "-wal",
        "credentials": str(creds),
        "shadow": "/etc/shadow",
    }
    response = client.invoke(FunctionName="probe", Payload=json.dumps({"paths": paths}))
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    assert (result["uid"], result["euid"]) == (65534, 65534)
    assert (
        result["db"]
        == result["wal"]
        == result["credentials"]
        == result["shadow"]
        == "PermissionError"
    )
    assert result["setuid0"] == "PermissionError"
    assert not any("state.db" in target for target in result["fds"].values()), result["fds"]
    assert (server.db.stat().st_mode & 0o777) == 0o600
    assert ((server.db.parent / "state.db-wal").stat().st_mode & 0o777) == 0o600


def test_aws_cli_with_keys(server: AuthServer, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    command = [
        str(AWS),
        "lambda",
        "list-functions",
        "--endpoint-url",
        server.url,
        "--output",
        "json",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Functions"] == []
    env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret-0123456789"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "InvalidSignatureException" in done.stderr


def serve(state_dir: Path, *flags: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "durable_lambda_server.cli.main",
            "serve",
            "--db",
            str(state_dir / "state.db"),
            "--log-level",
            "warning",
            *flags,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in (env or os.environ).items() if k != "DURABLE_LAMBDA_TOKEN"},
    )


def test_serve_refuses_a_public_address_without_credentials(state_dir: Path) -> None:
    proc = serve(state_dir, "--host", "0.0.0.0", "--port", str(free_port()))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "requires authentication" in lines[0], stderr
    proc = serve(state_dir, "--auth", "sigv4", "--port", str(free_port()))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "--auth sigv4 needs" in stderr


@pytest.mark.skipif(not IS_ROOT, reason="workers change user only when the server runs as root")
def test_serve_refuses_a_state_dir_the_worker_user_cannot_reach(tmp_path: Path) -> None:
    hidden = tmp_path / "private"
    hidden.mkdir(mode=0o700)
    env = {**os.environ}
    proc = serve(
        hidden,
        "--auth",
        "sigv4",
        "--access-key",
        f"{KEY}:{SECRET}",
        "--port",
        str(free_port()),
        env=env,
    )
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "worker user nobody cannot reach" in stderr, stderr


def test_serve_with_a_credentials_file(state_dir: Path) -> None:
    creds = state_dir / "keys"
    creds.write_text(f"# operators\n{KEY}:{SECRET}\n")
    creds.chmod(0o644)
    port = free_port()
    proc = serve(
        state_dir, "--auth", "sigv4", "--credentials-file", str(creds), "--port", str(port)
    )
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "chmod 600" in stderr  # a world-readable key file is refused
    creds.chmod(0o600)
    url = f"http://127.0.0.1:{port}"
    good = boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=Config(retries={"max_attempts": 1}),
    )
    command = [
        sys.executable,
        "-m",
        "durable_lambda_server.cli.main",
        "serve",
        "--db",
        str(state_dir / "state.db"),
        "--log-level",
        "warning",
        "--auth",
        "sigv4",
        "--credentials-file",
        str(creds),
        "--port",
        str(port),
    ]
    env = {k: v for k, v in os.environ.items() if k != "DURABLE_LAMBDA_TOKEN"}
    with serve_process(command, port, ready=good.list_functions, cwd=ROOT, env=env):
        assert good.list_functions()["Functions"] == []
        bad = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=KEY,
            aws_secret_access_key="wrong-wrong-wrong-wrong",
            config=Config(retries={"max_attempts": 1}),
        )
        assert error_of(lambda: bad.list_functions()) == (403, "InvalidSignatureException")
        status = urllib.request.Request(
            url + "/2015-03-31/functions", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(status, timeout=10)
        assert info.value.code == 403  # --auth sigv4: no bearer tokens
        assert ((state_dir / "state.db").stat().st_mode & 0o777) == 0o600


def flags(**overrides: Any) -> argparse.Namespace:
    base = {
        "host": "127.0.0.1",
        "auth": "auto",
        "access_key": [],
        "credentials_file": None,
        "token": None,
        "worker_user": "root" if IS_ROOT else None,
    }
    return argparse.Namespace(**{**base, **overrides})


def test_auth_mode_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from durable_lambda_server.cli.commands import UserError

    monkeypatch.delenv("DURABLE_LAMBDA_TOKEN", raising=False)
    assert build_security(flags(), tmp_path).authenticator is None  # loopback, nothing configured
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.com"):
        with pytest.raises(UserError, match="requires authentication"):
            build_security(flags(host=host), tmp_path)
    assert build_security(flags(host="::1", token=TOKEN), tmp_path).authenticator.schemes == [
        "token"
    ]
    both = build_security(
        flags(host="0.0.0.0", token=TOKEN, access_key=[f"{KEY}:{SECRET}"]), tmp_path
    )
    assert both.authenticator.schemes == ["sigv4", "token"] and "grants" in both.worker_options
    assert build_security(
        flags(auth="token", token=TOKEN, access_key=[f"{KEY}:{SECRET}"]), tmp_path
    ).authenticator.schemes == ["token"]
    monkeypatch.setenv("DURABLE_LAMBDA_TOKEN", TOKEN)
    assert build_security(flags(auth="token"), tmp_path).authenticator.schemes == ["token"]
    assert build_security(flags(auth="none", host="0.0.0.0"), tmp_path).authenticator is None
    assert build_security(flags(), tmp_path).worker_options["worker_nice"] == 10
    assert build_security(flags(worker_nice=0), tmp_path).worker_options["worker_nice"] == 0
    with pytest.raises(UserError, match="at least 16"):
        build_security(flags(access_key=["id:short"]), tmp_path)
    with pytest.raises(UserError, match="ID:SECRET"):
        build_security(flags(access_key=["no-colon"]), tmp_path)
    ini = tmp_path / "credentials"
    ini.write_text(f"[default]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
    ini.chmod(0o600)
    assert build_security(
        flags(auth="sigv4", credentials_file=str(ini)), tmp_path
    ).authenticator.schemes == ["sigv4"]
