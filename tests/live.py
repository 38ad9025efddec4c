"""Shared pieces for tests that talk to a real server: zipped code, an in-thread uvicorn server on
a free loopback port, a ``durable-lambda serve`` subprocess, and boto3 clients pointed at either."""

from __future__ import annotations

import contextlib
import io
import signal
import socket
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from botocore.config import Config

from durable_lambda_server.api import create_app
from durable_lambda_server.runtime import Runtime

ROLE = "arn:aws:iam::000000000000:role/test"


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lambda_client(url: str, *, validate: bool = True, **config: Any) -> Any:
    """boto3's lambda client against ``url``: dummy credentials, no retries, long reads."""
    options: dict[str, Any] = {
        "retries": {"max_attempts": 1},
        "read_timeout": 60,
        "parameter_validation": validate,
    }
    options.update(config)
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**options),
    )


class Server:
    """``create_app(runtime)`` on uvicorn in a thread of this process, on a free port of 127.0.0.1;
    functions run in real worker processes."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        log_level: str = "warning",
        auth: Any = None,
        worker_options: Any = None,
    ) -> None:
        self.db = tmp_path / "state.db"
        self.runtime = Runtime.open(self.db, invoker="process")
        if worker_options is not None:
            self.runtime.worker_options = worker_options
        self.runtime.start()
        app = create_app(self.runtime, state_dir=tmp_path, auth=auth)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level=log_level)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.runtime.endpoint_url = self.url

    def client(self, *, validate: bool = True) -> Any:
        return lambda_client(self.url, validate=validate)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.runtime.stop()


@contextlib.contextmanager
def serve_process(
    command: Sequence[str], port: int, *, ready: Callable[[], Any] | None = None, **popen: Any
) -> Iterator[subprocess.Popen[str]]:
    """Runs a ``durable-lambda serve`` command line until ``ready()`` (default: the port accepts
    connections) succeeds; stops it with SIGINT (as Ctrl-C would) on exit."""
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.Popen(list(command), text=True, **popen)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if ready is None:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                else:
                    ready()
                break
            except Exception:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
