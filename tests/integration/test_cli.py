"""The ``durable-lambda`` CLI end to end: real processes, a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = Path(__file__).resolve().parent / "apps"


def cli(
    *args: str, db: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "durable_lambda_server.cli.main", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def start_cli(*args: str, db: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "durable_lambda_server.cli.main", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def history(db: Path, arn: str) -> list[dict[str, Any]]:
    out = cli("executions", "history", arn, "--json", db=db)
    assert out.returncode == 0, out.stderr
    events: list[dict[str, Any]] = json.loads(out.stdout)
    return events


def only_execution_arn(db: Path) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if db.exists():
            out = cli("executions", "list", "--json", db=db)
            if out.returncode == 0 and json.loads(out.stdout):
                items = json.loads(out.stdout)
                assert len(items) == 1
                return str(items[0]["DurableExecutionArn"])
        time.sleep(0.1)
    raise AssertionError("no execution appeared")


def wait_for_event(db: Path, arn: str, event_type: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in history(db, arn):
            if event["EventType"] == event_type:
                return event
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} event within {timeout} s")


def test_run_example_prints_result_and_history(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    out = cli(
        "run",
        "examples/greeting.py:handler",
        "--input",
        '{"user_id": "u-1", "name": "Ada"}',
        "--skip-time",
        "--json",
        db=db,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["Status"] == "SUCCEEDED"
    result = json.loads(doc["Result"])
    assert result["message"] == "Dear Ada, welcome back!"
    assert result["receipt"] == {"sent_to": "u-1", "attempt": 2}
    events = doc["Events"]
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    types = [e["EventType"] for e in events]
    assert types[0] == "ExecutionStarted"
    assert types[-1] == "ExecutionSucceeded"
    for expected in (
        "StepStarted",
        "StepSucceeded",
        "ContextStarted",
        "WaitStarted",
        "WaitSucceeded",
        "StepFailed",
    ):
        assert expected in types
    assert types[-2] == "InvocationCompleted"


def test_run_human_output_shows_status_and_history(tmp_path: Path) -> None:
    out = cli(
        "run",
        "examples/greeting.py:handler",
        "--input",
        '{"user_id": "u-2"}',
        "--skip-time",
        db=tmp_path / "state.db",
    )
    assert out.returncode == 0, out.stderr
    assert "SUCCEEDED" in out.stdout
    assert "ExecutionSucceeded" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "examples/greeting.py:handler", "--input", "{not json"], "not valid JSON"),
        (["run", "examples/nope.py:handler"], "handler file not found"),
        (["run", "examples/greeting.py:no_such_function"], "not found"),
        (["run"], "handler"),
        (
            [
                "executions",
                "show",
                "arn:aws:lambda:us-east-1:000000000000:function:x:$LATEST/durable-execution/a/b",
            ],
            "",
        ),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "state.db"
    # a stored execution must survive every bad command untouched
    ok = cli(
        "run",
        "examples/greeting.py:handler",
        "--input",
        '{"user_id": "u"}',
        "--skip-time",
        "--json",
        db=db,
    )
    assert ok.returncode == 0, ok.stderr
    before = json.loads(ok.stdout)
    out = cli(*args, db=db)
    assert out.returncode != 0
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert message in lines[0]
    assert history(db, before["DurableExecutionArn"]) == before["Events"]


def test_kill_during_run_then_resume_does_not_rerun_completed_steps(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    marks = tmp_path / "marks.txt"
    env = {"DL_TEST_MARKS": str(marks)}
    proc = start_cli(
        "run",
        str(APPS / "resumable.py") + ":handler",
        "--input",
        '{"wait": 2}',
        "--json",
        db=db,
        env=env,
    )
    try:
        arn = only_execution_arn(db)
        wait_for_event(db, arn, "WaitStarted")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert marks.read_text().split() == ["a", "b"]
    out = cli("run", "--resume", arn, "--json", db=db, env=env)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["Status"] == "SUCCEEDED"
    assert json.loads(doc["Result"]) == ["a", "b", "c"]
    assert marks.read_text().split() == ["a", "b", "c"]  # a and b did not run again
    events = doc["Events"]
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert sum(1 for e in events if e["EventType"] == "StepSucceeded") == 3


def test_callback_answered_from_another_process(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    proc = start_cli("run", str(APPS / "approval.py") + ":handler", "--json", db=db)
    try:
        arn = only_execution_arn(db)
        started = wait_for_event(db, arn, "CallbackStarted")
        callback_id = started["CallbackStartedDetails"]["CallbackId"]
        answer = cli("callback", "succeed", callback_id, "--result", '"approved"', db=db)
        assert answer.returncode == 0, answer.stderr
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    doc = json.loads(stdout)
    assert json.loads(doc["Result"]) == {"answer": '"approved"'}
    again = cli("callback", "succeed", callback_id, "--result", '"twice"', db=db)
    assert again.returncode != 0
    assert "Traceback" not in again.stderr


def test_executions_list_and_show(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    ok = cli(
        "run",
        "examples/greeting.py:handler",
        "--input",
        '{"user_id": "u"}',
        "--skip-time",
        "--json",
        "--name",
        "first",
        db=db,
    )
    assert ok.returncode == 0, ok.stderr
    listed = cli("executions", "list", "--json", db=db)
    items = json.loads(listed.stdout)
    assert [i["DurableExecutionName"] for i in items] == ["first"]
    shown = cli("executions", "show", items[0]["DurableExecutionArn"], "--json", db=db)
    assert json.loads(shown.stdout)["Status"] == "SUCCEEDED"


def test_order_workflow_example_invokes_validation_and_payment(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    functions = [
        "--function",
        "validate-order-function=examples/orders/validate.py:handler",
        "--function",
        "payment-processor-function=examples/orders/payment.py:handler",
    ]
    ok = cli(
        "run",
        "examples/orders/workflow.py:handler",
        *functions,
        "--json",
        "--input",
        '{"order_id": "o-1", "amount": 42.5}',
        db=db,
    )
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    result = json.loads(doc["Result"])
    assert result["status"] == "completed" and result["transaction_id"].startswith("txn-")
    names = [e.get("Name") for e in doc["Events"] if e["EventType"] == "ChainedInvokeSucceeded"]
    assert names == ["validate-order", "process-payment"]
    rejected = cli(
        "run",
        "examples/orders/workflow.py:handler",
        *functions,
        "--json",
        "--input",
        '{"order_id": "o-2", "amount": -1}',
        db=db,
    )
    assert json.loads(json.loads(rejected.stdout)["Result"])["status"] == "rejected"
    bad = cli("run", "examples/orders/workflow.py:handler", "--function", "oops", db=db)
    assert bad.returncode == 2 and "NAME=FILE.py:function" in bad.stderr
