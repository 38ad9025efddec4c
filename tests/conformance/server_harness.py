"""The conformance suite through the real stack: ``durable-lambda serve`` on a loopback port, every
template function deployed with boto3 ``create_function`` (a zip of ``handlers/``), run in worker
processes, validated with a real boto3 ``lambda`` client.

Two variants: ``ours`` (the handlers as written, on this project's SDK) and ``official`` (the same
handlers with the import prefix ``durable_lambda`` rewritten to ``aws_durable_execution_sdk_python``
and AWS's SDK 3.0.0 shipped inside each zip, as on Lambda). The second one is the porting promise
run backwards: AWS's SDK on our server.
"""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from botocore.config import Config
from conformance_harness import STATE_DIR_ENV, FunctionSpec

__all__ = ["OFFICIAL_SDK_DIR", "ConformanceServer", "RecordingLambdaClient", "ServerLogReader"]

HERE = Path(__file__).resolve().parent
HANDLERS_DIR = HERE / "handlers"
OFFICIAL_SDK_DIR = HERE.parents[1] / ".cache" / "official" / "aws_durable_execution_sdk_python"
_PREFIX = re.compile(r"\bdurable_lambda\b")


def handler_zip(variant: str) -> bytes:
    """``handlers/*.py`` (rewritten to AWS's import prefix for ``official``), plus AWS's SDK."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(HANDLERS_DIR.glob("*.py")):
            text = path.read_text()
            if variant == "official":
                text = _PREFIX.sub("aws_durable_execution_sdk_python", text)
            zf.writestr(path.name, text)
        if variant == "official":
            for path in sorted(OFFICIAL_SDK_DIR.rglob("*.py")):
                zf.write(
                    path, f"aws_durable_execution_sdk_python/{path.relative_to(OFFICIAL_SDK_DIR)}"
                )
    return buf.getvalue()


class RecordingLambdaClient:
    """A real boto3 ``lambda`` client that remembers the execution ARNs it started (for reports)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.arns_by_function: dict[str, list[str]] = {}

    def invoke(self, **kwargs: Any) -> Any:
        response = self._client.invoke(**kwargs)
        arn = response.get("DurableExecutionArn")
        if arn:
            with self._lock:
                self.arns_by_function.setdefault(kwargs["FunctionName"], []).append(arn)
        return response

    def get_durable_execution_history(self, **kwargs: Any) -> Any:
        events: list[Any] = []
        while True:
            page = self._client.get_durable_execution_history(**kwargs)
            events.extend(page.get("Events") or [])
            if not page.get("NextMarker"):
                return {**page, "Events": events}
            kwargs["Marker"] = page["NextMarker"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class ServerLogReader:
    """CloudWatch stand-in: the JSON-lines logs the server's workers wrote (see LocalLogReader)."""

    def __init__(self, runtime: Any) -> None:
        from conformance_harness import LocalLogReader

        self._reader = LocalLogReader(runtime)

    def execution_log_events(
        self, function_name: str, execution_arn: str, start_time_ms: int
    ) -> Any:
        return self._reader.execution_log_events(function_name, execution_arn, start_time_ms)


class ConformanceServer:
    """A started server with every template function deployed; ``client`` talks to it."""

    def __init__(self, work_dir: Path, functions: dict[str, FunctionSpec], variant: str) -> None:
        from durable_lambda_server.api import create_app
        from durable_lambda_server.runtime import Runtime

        state_dir = work_dir / "state"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.runtime = Runtime.open(
            work_dir / "server.sqlite", invoker="process", max_concurrency=32
        )
        self.runtime.start()
        config = uvicorn.Config(
            create_app(self.runtime, state_dir=work_dir),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            limit_concurrency=None,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, daemon=True, name=f"uvicorn-{variant}"
        )
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.runtime.endpoint_url = self.url
        boto = boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="conformance",
            aws_secret_access_key="conformance",
            config=Config(retries={"max_attempts": 1}, read_timeout=120, max_pool_connections=64),
        )
        self.client = RecordingLambdaClient(boto)
        code = handler_zip(variant)
        for spec in functions.values():
            module, _, function = spec.handler.rpartition(":")
            boto.create_function(
                FunctionName=spec.name,
                Runtime="python3.13",
                Role="arn:aws:iam::000000000000:role/conformance",
                Handler=f"{Path(module).stem}.{function}",
                Code={"ZipFile": code},
                Timeout=spec.timeout_seconds,
                Environment={"Variables": {STATE_DIR_ENV: str(state_dir)}},
                DurableConfig={"ExecutionTimeout": 900, "RetentionPeriodInDays": 1},
            )

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.runtime.stop()
