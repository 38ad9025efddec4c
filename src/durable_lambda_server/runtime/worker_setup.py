"""A worker process's setup (runtime/workers.py).

Its Lambda-like environment, stdout/stderr into its per-worker log file (our CloudWatch stream),
Lambda-style log lines, and the tail of one invocation's output (LogType=Tail).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["LOG_TAIL_BYTES", "worker_environment"]

LOG_TAIL_BYTES = 4096
_LOG_ROTATE_BYTES = 8 * 1024 * 1024
_DUMMY_KEY_ID = "DURABLELAMBDALOCAL00"
_DUMMY_SECRET = "durable-lambda-local-dummy-secret-key-00"


def worker_environment(
    function: Any, host: Any, credential: tuple[str, str] | None = None
) -> dict[str, str]:
    """A fresh environment: a minimal base, the function's variables, then Lambda's reserved ones.

    Nothing of the server's own environment leaks in (its keys and settings stay private).
    ``credential`` is the worker's own API key (runtime/sandbox.py), replacing the dummy one.
    """
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "HOME") if k in os.environ}
    env.update(function.environment)
    version = function.version
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout_seconds),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[{version}]{os.getpid()}",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:0",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
            "AWS_REGION": host.region,
            "AWS_DEFAULT_REGION": host.region,
            "AWS_ACCESS_KEY_ID": _DUMMY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": _DUMMY_SECRET,
            "AWS_SESSION_TOKEN": "durable-lambda-local",
            # No credentials or profiles of the machine's user reach function code.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "LAMBDA_TASK_ROOT": function.code_dir or "",
            "LAMBDA_RUNTIME_DIR": str(Path(sys.prefix)),
            "_HANDLER": function.lambda_handler or function.handler,
            "TZ": ":UTC",
        }
    )
    if host.endpoint_url:
        env["AWS_ENDPOINT_URL_LAMBDA"] = host.endpoint_url
    if credential is not None:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = credential
        del env["AWS_SESSION_TOKEN"]
    return env


def _redirect_output(function: Any, host: Any) -> str:
    """Points fds 1 and 2 at ``<log_dir>/workers/<function>-<pid>.log`` (our CloudWatch stream)."""
    base = Path(host.log_dir) if host.log_dir else Path(os.environ.get("TMPDIR", "/tmp"))
    directory = base / "workers"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{function.name}-{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # The worker's own stdout and stderr from here on: open for the life of the process.
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    return str(path)


def _install_logging(host: Any) -> None:
    import logging

    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s", "%Y-%m-%dT%H:%M:%S"
        )
    )
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    if host.log_dir:
        from durable_lambda_server.runtime.logs import install_log_sink

        install_log_sink(host.log_dir)


def _log_line(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _log_offset(path: str) -> int:
    try:
        size = os.path.getsize(path)
    except OSError:
        return 0
    if size > _LOG_ROTATE_BYTES:
        os.truncate(path, 0)  # O_APPEND writers continue at the new end
        return 0
    return size


def _tail(path: str, offset: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            end = f.tell()
            start = max(offset, end - LOG_TAIL_BYTES)
            f.seek(start)
            data = f.read(end - start)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")
