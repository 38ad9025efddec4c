"""Rigs for the fault tests: an engine on a real SQLite file with a fake clock, and a real
``durable-lambda`` HTTP server (uvicorn on 127.0.0.1, ephemeral port) around an engine."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from durable_lambda_server.api import create_app
from durable_lambda_server.runtime import Runtime
from tests.faults.invariants import Snapshot, snapshot
from tests.support.engine_rig import EngineRig

APPS = Path(__file__).parent / "apps"


class Rig(EngineRig):
    """The engine rig plus what the fault tests read: the raw rows of the database file."""

    def token(self, arn: str) -> str | None:
        return self.snapshot().executions[arn]["checkpoint_token"]  # type: ignore[no-any-return]

    def snapshot(self) -> Snapshot:
        return snapshot(self.path)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path / "state.db")
    yield r
    r.close()


class LiveServer:
    """uvicorn serving ``create_app(runtime)`` on an ephemeral port of 127.0.0.1 (header names
    lower-cased)."""

    def __init__(self, runtime: Runtime, state_dir: Path) -> None:
        self.runtime = runtime
        config = uvicorn.Config(
            create_app(runtime, state_dir=state_dir), host="127.0.0.1", port=0, log_level="critical"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(
            self.url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        data = json.dumps(body).encode() if body is not None else None
        status, headers, raw = self.request(
            method, path, data, {"Content-Type": "application/json"}
        )
        return status, headers, json.loads(raw) if raw else None

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def rig_server(rig: Rig, tmp_path: Path) -> Iterator[LiveServer]:
    """A server over ``rig``'s engine with no dispatcher: the test claims invocations itself."""
    srv = LiveServer(Runtime(rig.engine), tmp_path)
    yield srv
    srv.stop()


# -- a store that is busy or full ------------------------------------------------------------
class Disk:
    """Switches every connection of the store between full and not full."""

    def __init__(self) -> None:
        self.conns: list[sqlite3.Connection] = []
        self.full = False

    def on_connect(self, conn: sqlite3.Connection) -> None:
        self.conns.append(conn)
        self._apply(conn)

    def _apply(self, conn: sqlite3.Connection) -> None:
        # Below the current size SQLite pins the limit to the current size: no page can be added.
        conn.execute(f"PRAGMA max_page_count={1 if self.full else 2**30}")

    def set_full(self, full: bool) -> None:
        self.full = full
        for conn in self.conns:
            with contextlib.suppress(sqlite3.ProgrammingError):  # a connection the store closed
                self._apply(conn)


@pytest.fixture
def busy_rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path / "state.db", busy_timeout=0.2)
    yield r
    r.close()


@pytest.fixture
def disk() -> Disk:
    return Disk()


@pytest.fixture
def full_rig(tmp_path: Path, disk: Disk) -> Iterator[Rig]:
    r = Rig(tmp_path / "state.db", on_connect=disk.on_connect)
    yield r
    r.close()


def lock_database(path: Path) -> sqlite3.Connection:
    """A second connection holding the write lock of ``path`` until it rolls back."""
    blocker = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


# Figures lines of the chaos test (test_chaos.py), shown in the terminal summary even under -q,
# where the output of passing tests is captured.
CHAOS_FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CHAOS_FIGURES:
        terminalreporter.section("chaos")
        for line in CHAOS_FIGURES:
            terminalreporter.write_line(line)
