"""``durable-lambda serve`` as a real process: it binds, answers boto3, and shuts down on SIGINT."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.live import free_port, lambda_client, serve_process

ROOT = Path(__file__).resolve().parents[2]


def test_serve_answers_boto3(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "serve" / "state.db"
    client = lambda_client(f"http://127.0.0.1:{port}")
    command = [
        sys.executable,
        "-m",
        "durable_lambda_server.cli.main",
        "serve",
        "--port",
        str(port),
        "--db",
        str(db),
        "--log-level",
        "warning",
    ]
    with serve_process(
        command, port, ready=lambda: client.list_functions(), cwd=ROOT, env=dict(os.environ)
    ) as proc:
        assert client.list_functions()["Functions"] == []
        assert db.exists()
    assert proc.returncode is not None


def test_serve_rejects_a_worker_priority_out_of_range() -> None:
    import subprocess

    command = [
        sys.executable,
        "-m",
        "durable_lambda_server.cli.main",
        "serve",
        "--worker-nice",
        "25",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--worker-nice" in done.stderr
