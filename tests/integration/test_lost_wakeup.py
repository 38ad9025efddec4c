"""Issue 15: an execution must never sit suspended with nothing that can wake it.

A handler fans out over three branches that each wait on their own callback; an outside system
answers the callbacks as soon as all three are visible. The answers race the invocation that the
first answer starts: on a server that re-invoked only for completions the handler had not been
handed, about half of such executions stayed RUNNING with every callback SUCCEEDED. Both SDKs run
here through ``durable-lambda serve``'s HTTP API and real worker processes: ours, and AWS's SDK
3.0.0 shipped in the function's zip (its parallel executor resumes only timed branches in process,
so it depends on the backend's rule).

Two interleavings, 50 executions each per SDK:
- *forced*: branch 0 runs a 1 s step after its callback; the test answers callbacks 1 and 2 while
  that step runs, so their completions reach the invocation in the step's checkpoint response
  after branches 1 and 2 suspended (the exact interleaving that hung);
- *back to back*: the three answers are sent at once, as the issue's reporter did.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_official_sdk import OFFICIAL, official_zip
from tests.live import ROLE, Server, zip_of

ROUNDS = 50

APP = """
import time
from {sdk} import DurableContext, durable_execution
from {sdk}.config import CallbackConfig, Duration


def branch(i, slow):
    def run(ctx: DurableContext):
        callback = ctx.create_callback(
            name=f"cb-{{i}}", config=CallbackConfig(timeout=Duration.from_seconds(60))
        )
        value = callback.result()
        if slow and i == 0:
            ctx.step(lambda _: time.sleep(1.0) or "slept", name="slow")
        return value
    return run


@durable_execution
def handler(event, context: DurableContext):
    slow = bool(event.get("slow"))
    batch = context.parallel([branch(i, slow) for i in range(3)], name="fan-in")
    return batch.get_results()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not OFFICIAL.is_dir():
        pytest.fail(f"{OFFICIAL} is missing: run scripts/setup.sh --force")
    srv = Server(tmp_path_factory.mktemp("lost-wakeup"))
    client = srv.client()
    for name, code in (
        ("ours", zip_of({"app.py": APP.format(sdk="durable_lambda")})),
        ("aws", official_zip({"app.py": APP.format(sdk="aws_durable_execution_sdk_python")})),
    ):
        client.create_function(
            FunctionName=f"fan-in-{name}",
            Runtime="python3.13",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": code},
            Timeout=30,
            DurableConfig={"ExecutionTimeout": 120, "RetentionPeriodInDays": 1},
        )
    yield srv
    srv.stop()


def _history(client: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    marker = None
    while True:
        kwargs: dict[str, Any] = {"DurableExecutionArn": arn, "MaxItems": 1000}
        if marker:
            kwargs["Marker"] = marker
        page = client.get_durable_execution_history(**kwargs)
        events.extend(page["Events"])
        marker = page.get("NextMarker")
        if not marker:
            return events


def _callbacks(client: Any, arn: str, deadline: float) -> dict[str, str]:
    """Callback ids by name, once all three ``CallbackStarted`` events are in the history."""
    while True:
        started = {
            e["Name"]: e["CallbackStartedDetails"]["CallbackId"]
            for e in _history(client, arn)
            if e["EventType"] == "CallbackStarted"
        }
        if len(started) == 3:
            return started
        assert time.monotonic() < deadline, f"{arn}: callbacks never all started: {started}"
        time.sleep(0.05)


def _answer(client: Any, callback_id: str, value: str) -> None:
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=json.dumps(value))


def _drive(server: Server, function: str, slow: bool) -> tuple[str, str, list[str]]:
    """Starts one execution, answers its callbacks in the chosen interleaving and waits for it
    to end; returns (arn, final status, event types)."""
    client = server.client()
    deadline = time.monotonic() + 90
    arn = client.invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps({"slow": slow})
    )["DurableExecutionArn"]
    ids = _callbacks(client, arn, deadline)
    if slow:
        _answer(client, ids["cb-0"], "v0")
        # The invocation the first answer starts begins within milliseconds and then spends a
        # second in branch 0's slow step: the other two answers land while it runs.
        time.sleep(0.3)
        # ...and answer the other two while it runs.
        _answer(client, ids["cb-1"], "v1")
        _answer(client, ids["cb-2"], "v2")
    else:
        for i in range(3):
            _answer(client, ids[f"cb-{i}"], f"v{i}")
    # Nothing is pending once all three answers are in: the execution must finish. A stuck one
    # would sit RUNNING until its 120 s execution timeout; 30 s is far more than a finish takes.
    stop = time.monotonic() + 30
    while True:
        status = client.get_durable_execution(DurableExecutionArn=arn)["Status"]
        if status != "RUNNING" or time.monotonic() > stop:
            break
        time.sleep(0.1)
    execution = client.get_durable_execution(DurableExecutionArn=arn)
    if execution["Status"] == "SUCCEEDED":
        assert json.loads(execution["Result"]) == [json.dumps(f"v{i}") for i in range(3)]
    return arn, execution["Status"], [e["EventType"] for e in _history(client, arn)]


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("slow", [True, False], ids=["forced", "back-to-back"])
@pytest.mark.parametrize("sdk", ["ours", "aws"])
def test_no_execution_is_left_without_a_wakeup(server: Server, sdk: str, slow: bool) -> None:
    with ThreadPoolExecutor(max_workers=ROUNDS) as pool:
        outcomes = list(pool.map(lambda _: _drive(server, f"fan-in-{sdk}", slow), range(ROUNDS)))
    stuck = [(arn, types[-3:]) for arn, status, types in outcomes if status != "SUCCEEDED"]
    assert not stuck, f"{len(stuck)} of {ROUNDS} executions did not finish: {stuck[:3]}"
    for _arn, _status, types in outcomes:
        assert types.count("CallbackSucceeded") == 3
        assert types[-1] == "ExecutionSucceeded"


# ----------------------------------------------------------------------------------------------
# Our SDK resumes a suspended branch within the invocation (issue 15, item 2), on the in-process
# engine: branch 0's step answers the callbacks of branches 1 and 2 while they are suspended on
# them, so the step's own checkpoint answer hands the invocation both completions.

_RESUME: dict[str, Any] = {}


def _answer_the_others(_step_context: Any) -> str:
    engine = _RESUME["engine"]
    deadline = time.monotonic() + 20
    while True:
        running = engine.list_executions(function_name="resume", statuses=["RUNNING"])[
            "DurableExecutions"
        ]
        events = engine.get_history(running[0]["DurableExecutionArn"])["Events"] if running else []
        ids = {
            e["Name"]: e["CallbackStartedDetails"]["CallbackId"]
            for e in events
            if e["EventType"] == "CallbackStarted"
        }
        if {"cb-1", "cb-2"} <= ids.keys():
            break
        assert time.monotonic() < deadline, "branches 1 and 2 never created their callbacks"
        time.sleep(0.01)
    time.sleep(0.1)  # let branches 1 and 2 reach callback.result() and suspend
    for name in ("cb-1", "cb-2"):
        engine.send_callback_success(ids[name], json.dumps(name).encode())
    return "answered"


def _resume_branch(i: int) -> Any:
    from durable_lambda.config import CallbackConfig, Duration

    def run(ctx: Any) -> Any:
        if i == 0:
            return ctx.step(_answer_the_others, name="answer")
        callback = ctx.create_callback(
            name=f"cb-{i}", config=CallbackConfig(timeout=Duration.from_seconds(60))
        )
        return callback.result()

    return run


def _make_resume_handler() -> Any:
    from durable_lambda import durable_execution

    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return context.parallel([_resume_branch(i) for i in range(3)], name="fan-in").get_results()

    return handler


resume_handler = _make_resume_handler()


def test_our_sdk_resumes_branches_whose_callbacks_complete_mid_invocation(tmp_path: Path) -> None:
    from durable_lambda_server.runtime import Runtime

    runtime = Runtime.open(tmp_path / "state.db", invoker="thread")
    runtime.register_function("resume", f"{__name__}:resume_handler")
    runtime.start()
    _RESUME["engine"] = runtime.engine
    try:
        arn, _ = runtime.start_execution("resume", b"{}")
        execution = runtime.wait_for_terminal(arn, timeout=60)
        assert execution["Status"] == "SUCCEEDED", execution
        assert json.loads(execution["Result"]) == [
            "answered",
            json.dumps("cb-1"),
            json.dumps("cb-2"),
        ]
        types = [e["EventType"] for e in runtime.engine.get_history(arn)["Events"]]
        # One invocation: the branches went on as soon as the step's answer showed their
        # callbacks done, without a PENDING output and a re-invocation by the backend.
        assert types.count("InvocationCompleted") == 1, types
    finally:
        _RESUME.clear()
        runtime.stop()
