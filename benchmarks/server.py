"""A ``durable-lambda serve`` subprocess for the server scenarios (S3, S4, S5), driven with boto3.

``BenchServer`` starts the server on a free loopback port with its own state directory, waits until
it answers, deploys functions from zips (``function_zip``) and stops it with SIGINT. It also reads
the server's memory and CPU time from /proc.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.common import HANDLERS_FILE, OFFICIAL_DIR, OFFICIAL_HANDLERS_FILE, ROOT

__all__ = ["BenchServer", "function_zip", "proc_cpu_seconds", "proc_rss_kb", "tree_pids"]

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def function_zip(sdk: str) -> bytes:
    """The benchmark handlers as a Lambda zip (module ``bench_app``). ``sdk="ours"`` ships
    handlers.py (the worker provides durable_lambda); ``"official"`` ships official_handlers.py
    plus AWS's SDK package, as a real Lambda deployment would."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if sdk == "ours":
            zf.write(HANDLERS_FILE, "bench_app.py")
        elif sdk == "official":
            zf.write(OFFICIAL_HANDLERS_FILE, "bench_app.py")
            package = OFFICIAL_DIR / "aws_durable_execution_sdk_python"
            if not package.is_dir():
                raise RuntimeError(f"{package} is missing: run scripts/setup.sh")
            for path in sorted(package.rglob("*.py")):
                zf.write(path, f"aws_durable_execution_sdk_python/{path.relative_to(package)}")
        else:
            raise ValueError(sdk)
    return buf.getvalue()


def proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants (the server's fork server and worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_seconds(root: int) -> float:
    total = 0.0
    for pid in tree_pids(root):
        with contextlib.suppress(OSError):  # exited meanwhile
            total += proc_cpu_seconds(pid)
    return total


class BenchServer:
    def __init__(
        self, work_dir: Path, *, synchronous: str | None = None, extra_args: Iterable[str] = ()
    ) -> None:
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = self.work_dir / "state.db"
        serve = [
            "serve",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            "--log-level",
            "warning",
            *extra_args,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Run as root, serve would switch workers to an unprivileged user that cannot reach
            # a private scratch directory; the benchmarks measure speed, not that isolation.
            serve += ["--worker-user", "root"]
        cmd = [sys.executable, "-m", "durable_lambda_server.cli.main", *serve]
        self.synchronous_via = "default"
        if synchronous is not None:
            cmd += ["--synchronous", synchronous]
            self.synchronous_via = "serve --synchronous"
        self.stderr_path = self.work_dir / "serve.stderr"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self._stderr, env=dict(os.environ)
        )
        self.pid = self.proc.pid
        self.client = self.make_client()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def make_client(self, pool: int = 64, read_timeout: float = 900) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "lambda",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(
                retries={"max_attempts": 1},
                read_timeout=read_timeout,
                connect_timeout=10,
                max_pool_connections=pool,
            ),
        )

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client.list_functions()
                return
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"server exited {self.proc.returncode}: {self.stderr_tail()}"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server did not come up in {timeout:.0f} s: {self.stderr_tail()}"
                    ) from None
                time.sleep(0.1)

    def stderr_tail(self, chars: int = 600) -> str:
        try:
            return self.stderr_path.read_text()[-chars:].strip()
        except OSError:
            return ""

    def create_function(
        self,
        name: str,
        handler: str,
        sdk: str = "ours",
        timeout: int = 900,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.client.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role="arn:aws:iam::000000000000:role/bench",
            Handler=f"bench_app.{handler}",
            Code={"ZipFile": function_zip(sdk)},
            Timeout=timeout,
            Environment={"Variables": dict(environment or {})},
            DurableConfig={"ExecutionTimeout": 86400, "RetentionPeriodInDays": 1},
        )

    def start_many(self, function: str, payload: bytes, count: int, threads: int = 16) -> list[str]:
        """``count`` Invoke calls with InvocationType=Event from ``threads`` threads; the ARNs."""

        def one(_: int) -> str:
            response = self.client.invoke(
                FunctionName=function, InvocationType="Event", Payload=payload
            )
            return str(response["DurableExecutionArn"])

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, range(count)))

    def count_running(self, function: str) -> int:
        """How many of ``function``'s executions are RUNNING (0 = all terminal); pages of 1,000."""
        total, marker = 0, None
        while True:
            kwargs: dict[str, Any] = {
                "FunctionName": function,
                "Statuses": ["RUNNING"],
                "MaxItems": 1000,
            }
            if marker:
                kwargs["Marker"] = marker
            page = self.client.list_durable_executions_by_function(**kwargs)
            total += len(page.get("DurableExecutions") or [])
            marker = page.get("NextMarker")
            if not marker:
                return total

    def any_running(self, function: str) -> bool:
        page = self.client.list_durable_executions_by_function(
            FunctionName=function, Statuses=["RUNNING"], MaxItems=1
        )
        return bool(page.get("DurableExecutions"))

    def wait_all_terminal(self, function: str, timeout: float, poll: float = 0.05) -> float:
        """Blocks until no execution of ``function`` is RUNNING; returns perf_counter() then."""
        deadline = time.monotonic() + timeout
        while self.any_running(function):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.stderr_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.count_running(function)} executions still RUNNING after {timeout:.0f} s"
                )
            time.sleep(poll)
        return time.perf_counter()

    def executions(self, arns: list[str], threads: int = 16) -> list[dict[str, Any]]:
        with ThreadPoolExecutor(threads) as pool:
            return list(
                pool.map(
                    lambda arn: self.client.get_durable_execution(DurableExecutionArn=arn), arns
                )
            )

    def rss_kb(self) -> int:
        return proc_rss_kb(self.pid)

    def cpu_seconds(self, include_workers: bool = False) -> float:
        return tree_cpu_seconds(self.pid) if include_workers else proc_cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()

    def __enter__(self) -> BenchServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
