"""``durable-lambda serve`` as a real subprocess for the chaos test: started on one port and one
SQLite file, SIGKILLed and restarted on the same file; its worker processes found in /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["ServerProcess"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(p) for p in (task / "children").read_text().split()]
    return out


class ServerProcess:
    """``durable-lambda serve`` as a subprocess on one port and one SQLite file, restartable."""

    def __init__(self, tmp: Path) -> None:
        self.db = tmp / "state.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "server.log", "ab")  # noqa: SIM115  (closed in cleanup)
        self.proc: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []
        self.killed_at: dict[int, float] = {}  # server pid -> wall time of its SIGKILL

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "durable_lambda_server.cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            "--log-level",
            "warning",
        ]
        for _ in range(3):
            self.proc = subprocess.Popen(
                cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
            )
            self.pids.append(self.proc.pid)
            if self._ready():
                return
            self.proc.kill()
            self.proc.wait()
        self.log.flush()
        tail = (self.db.parent / "server.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"durable-lambda serve did not come up:\n{tail}")

    def _ready(self) -> bool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/2015-03-31/functions/", timeout=2):
                    return True
            except urllib.error.HTTPError:
                return True  # it answers (an error status is still an answer)
            except OSError:
                time.sleep(0.05)
        return False

    def kill(self) -> None:
        assert self.proc is not None
        self.killed_at[self.proc.pid] = time.time()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()  # reaped: its pid is gone, as after a real crash
        self.proc = None

    def workers(self) -> list[int]:
        """Worker processes: children of the server's multiprocessing fork server."""
        if self.proc is None:
            return []
        out: list[int] = []
        for pid in children(self.proc.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"forkserver" in cmdline:
                out += children(pid)
        return sorted(out)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        for pid in self.pids:  # each incarnation's process group: fork server and workers
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self.log.close()
