"""Limits and lifecycle on a real SQLite file with a fake clock (issue 5).

* A lease that runs out is a failed attempt: ``InvocationCompleted`` with ``Runtime.ExitError``,
  counted against the failed-invocation budget, so an execution whose invocations keep dying
  ends FAILED.
* Operations per execution are capped (engine option): the checkpoint that would exceed the cap
  is rejected whole, nothing written, the token still valid. Checkpoint items over 256 KB are
  rejected; responses over 6 MB fail the invocation (``Function.ResponseSizeTooLarge``).
* Retention: finished executions older than their function's ``RetentionPeriodInDays`` are
  deleted with everything they own; running ones never are; the name becomes free again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_lambda_server.engine import (
    MAX_FAILED_INVOCATIONS,
    Engine,
    FakeClock,
    FunctionRecord,
    StartExecution,
)
from durable_lambda_server.runtime import Runtime
from durable_lambda_server.store import SqliteStore
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    RequestTooLargeException,
    ResourceNotFoundException,
)
from tests.faults.conftest import Rig
from tests.faults.invariants import check_snapshot

DAY_MS = 86_400_000


def step(op_id: str, action: str, **extra: object) -> dict[str, object]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **extra}


def _state(rig: Rig) -> tuple[Any, ...]:
    snap = rig.snapshot()
    return snap.executions, snap.operations, snap.events, sorted(snap.timers), snap.callbacks


# -- lease expiry ----------------------------------------------------------------------------------
def test_expired_lease_counts_as_a_failed_attempt(rig: Rig) -> None:
    arn = rig.start()
    first = rig.claim(arn)
    rig.clock.advance(60_001)  # the holder died: its 60 s lease runs out
    second = rig.claim(arn)
    assert second.attempt == 2
    ex = rig.snapshot().executions[arn]
    assert ex["failed_invocations"] == 1 and ex["status"] == "RUNNING"
    events = rig.engine.get_history(arn, include_execution_data=True)["Events"]
    completed = [e for e in events if e["EventType"] == "InvocationCompleted"]
    assert len(completed) == 1
    assert completed[0]["InvocationCompletedDetails"]["RequestId"] == first.request_id
    assert (
        completed[0]["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"]
        == "Runtime.ExitError"
    )
    # a clean completion resets the budget (PENDING on a wait: something is pending)
    wait = {
        "Id": "w",
        "Type": "WAIT",
        "SubType": "Wait",
        "Action": "START",
        "WaitOptions": {"WaitSeconds": 5},
    }
    rig.checkpoint(arn, second.event["CheckpointToken"], wait)
    assert rig.engine.complete_invocation(second, output={"Status": "PENDING"})
    assert rig.snapshot().executions[arn]["failed_invocations"] == 0


def test_execution_whose_invocations_keep_dying_fails(rig: Rig) -> None:
    arn = rig.start()
    other = rig.start(name="healthy")
    rig.claim(arn)
    dispatched = 1
    for _ in range(100):
        rig.clock.advance(60_001)
        rig.engine.fire_due_timers()  # the backoff timers of the later attempts
        ticket = rig.engine.claim_invocation("w", 60, arn)
        dispatched += ticket is not None
        if rig.engine.get_execution(arn)["Status"] != "RUNNING":
            break
    execution = rig.engine.get_execution(arn)
    assert execution["Status"] == "FAILED"
    assert execution["Error"]["ErrorType"] == "Runtime.ExitError"
    assert dispatched == MAX_FAILED_INVOCATIONS
    events = rig.engine.get_history(arn, include_execution_data=True)["Events"]
    errors = [
        e["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"]
        for e in events
        if e["EventType"] == "InvocationCompleted"
    ]
    assert errors == ["Runtime.ExitError"] * MAX_FAILED_INVOCATIONS
    assert events[-1]["EventType"] == "ExecutionFailed"
    # nothing is dispatched for it any more; other executions still are
    ticket = rig.engine.claim_invocation("w", 60)
    assert ticket is not None and ticket.arn == other
    assert rig.engine.claim_invocation("w", 60, arn) is None
    assert not check_snapshot(rig.snapshot())


def test_delayed_retry_after_expiry_lets_other_executions_through(rig: Rig) -> None:
    arn = rig.start()
    rig.claim(arn)
    for _ in range(3):  # three immediate re-dispatches use up the immediate retries
        rig.clock.advance(60_001)
        rig.claim(arn)
    other = rig.start(name="other")
    rig.clock.advance(60_001)
    ticket = rig.engine.claim_invocation("w", 60)  # records the 4th failure, backs off, moves on
    assert ticket is not None and ticket.arn == other
    ex = rig.snapshot().executions[arn]
    assert ex["lease_token"] is None and ex["needs_invoke"] == 0 and ex["failed_invocations"] == 4
    assert any(t[0] == arn and t[2] == "invocation_retry" for t in rig.snapshot().timers)
    assert not check_snapshot(rig.snapshot())


# -- operations per execution ----------------------------------------------------------------------
@pytest.fixture
def small_rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path / "state.db")
    r.engine = Engine(r.store, clock=r.clock, max_operations=5)
    yield r
    r.close()


def test_checkpoint_beyond_the_operation_cap_is_rejected_whole(small_rig: Rig) -> None:
    rig = small_rig
    arn = rig.start()
    token = rig.claim(arn).event["CheckpointToken"]
    # the EXECUTION operation plus four steps: exactly at the cap
    token = rig.checkpoint(arn, token, *(step(f"s{i}", "START") for i in range(4)))[
        "CheckpointToken"
    ]
    before = _state(rig)
    with pytest.raises(InvalidParameterValueException) as info:
        rig.checkpoint(arn, token, step("s0", "SUCCEED", Payload="1"), step("s4", "START"))
    assert "limit of 5 operations per execution" in info.value.message
    assert not info.value.message.startswith(
        "Invalid checkpoint token"
    )  # the SDK fails the execution
    assert _state(rig) == before  # nothing half-written: not even s0's SUCCEED
    # the token did not rotate; updates of existing operations still go through
    out = rig.checkpoint(arn, token, step("s0", "SUCCEED", Payload="1"))
    assert out["NewExecutionState"]["Operations"][-1]["Status"] == "SUCCEEDED"
    assert not check_snapshot(rig.snapshot())


def test_engine_rejects_a_cap_below_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Engine(SqliteStore(str(tmp_path / "x.db")), max_operations=0)


def test_checkpoint_item_over_256_kb_is_rejected(rig: Rig) -> None:
    arn = rig.start()
    token = rig.claim(arn).event["CheckpointToken"]
    token = rig.checkpoint(arn, token, step("big", "START"), step("ok", "START"))["CheckpointToken"]
    before = _state(rig)
    with pytest.raises(RequestTooLargeException):
        rig.checkpoint(arn, token, step("big", "SUCCEED", Payload="x" * (262_144 + 1)))
    assert _state(rig) == before
    out = rig.checkpoint(
        arn, token, step("ok", "SUCCEED", Payload="é" * (262_144 // 2))
    )  # exactly 256 KB
    assert out["NewExecutionState"]["Operations"][-1]["Status"] == "SUCCEEDED"


def test_durable_response_over_6_mb_is_a_failed_invocation(rig: Rig) -> None:
    arn = rig.start()
    ticket = rig.claim(arn)
    huge = '"' + "x" * (6 * 1024 * 1024 + 200) + '"'
    assert rig.engine.complete_invocation(ticket, output={"Status": "SUCCEEDED", "Result": huge})
    ex = rig.snapshot().executions[arn]
    assert ex["status"] == "RUNNING" and ex["failed_invocations"] == 1 and ex["needs_invoke"] == 1
    last = rig.engine.get_history(arn, include_execution_data=True)["Events"][-1]
    assert (
        last["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"]
        == "Function.ResponseSizeTooLarge"
    )


def test_plain_response_over_6_mb_fails_the_invocation(rig: Rig) -> None:
    rig.engine.put_function(FunctionRecord(name="plain", handler="app.py:handler", durable=False))
    arn = rig.engine.start_execution(StartExecution(function_name="plain", input_payload="{}")).arn
    ticket = rig.claim(arn)
    assert rig.engine.complete_invocation(ticket, output="x" * (6 * 1024 * 1024 + 100))
    execution = rig.engine.get_execution(arn)
    assert (
        execution["Status"] == "FAILED"
        and execution["Error"]["ErrorType"] == "Function.ResponseSizeTooLarge"
    )
    arn = rig.engine.start_execution(StartExecution(function_name="plain", input_payload="{}")).arn
    assert rig.engine.complete_invocation(rig.claim(arn), output="x" * (6 * 1024 * 1024 - 100))
    assert rig.engine.get_execution(arn)["Status"] == "SUCCEEDED"


# -- retention -------------------------------------------------------------------------------------
def _finish(rig: Rig, name: str) -> str:
    arn = rig.start(name=name)
    assert rig.engine.complete_invocation(
        rig.claim(arn), output={"Status": "SUCCEEDED", "Result": '"ok"'}
    )
    return arn


def test_retention_deletes_finished_executions_after_their_period(rig: Rig) -> None:
    rig.engine.put_function(
        FunctionRecord(name="fn", handler="app.py:handler", retention_period_days=3)
    )
    done = _finish(rig, "done")
    finished_ms = rig.clock.now_ms()
    # a stopped execution that owns a callback row
    stopped = rig.start(name="stopped")
    token = rig.claim(stopped).event["CheckpointToken"]
    out = rig.checkpoint(stopped, token, {"Id": "cb", "Type": "CALLBACK", "Action": "START"})
    callback_id = out["NewExecutionState"]["Operations"][-1]["CallbackDetails"]["CallbackId"]
    rig.engine.stop_execution(stopped)
    running = rig.start(name="running")
    rig.clock.advance(1)
    later = _finish(rig, "later")

    rig.clock.advance_to(finished_ms + 3 * DAY_MS - 1)  # just before the cutoff: everything stays
    assert rig.engine.delete_expired_executions() == 0
    assert rig.engine.get_execution(done)["Status"] == "SUCCEEDED"

    rig.clock.advance(1)  # the cutoff of the first two, not of the one that finished 1 ms later
    assert rig.engine.delete_expired_executions() == 2
    for arn in (done, stopped):
        with pytest.raises(ResourceNotFoundException):
            rig.engine.get_execution(arn)
        with pytest.raises(ResourceNotFoundException):
            rig.engine.get_history(arn)
    snap = rig.snapshot()
    assert set(snap.executions) == {running, later}
    for arn in (done, stopped):
        assert arn not in snap.operations and arn not in snap.events
        assert not [t for t in snap.timers if t[0] == arn]
    assert callback_id not in snap.callbacks
    with pytest.raises(InvalidParameterValueException):
        rig.engine.send_callback_success(callback_id, b"1")
    assert not check_snapshot(snap)

    # the name is free again: a new execution, not the deleted one
    again = rig.engine.start_execution(
        StartExecution(function_name="fn", input_payload='{"k": 1}', execution_name="done")
    )
    assert again.created and again.arn != done

    rig.clock.advance(365 * DAY_MS)  # running executions are never deleted, however old
    assert rig.engine.delete_expired_executions() == 1  # `later`
    assert rig.engine.get_execution(running)["Status"] == "RUNNING"


def test_each_execution_keeps_the_retention_of_its_version(rig: Rig) -> None:
    rig.engine.put_function(
        FunctionRecord(name="fn", handler="app.py:handler", retention_period_days=1)
    )
    short = _finish(rig, "short")
    rig.engine.put_function(
        FunctionRecord(name="fn", handler="app.py:handler", retention_period_days=30)
    )
    long = _finish(rig, "long")
    rig.clock.advance(DAY_MS)
    assert rig.engine.delete_expired_executions() == 1
    assert set(rig.snapshot().executions) == {long} and short not in rig.snapshot().executions


def test_dispatcher_sweeps_expired_executions_in_batches(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = Engine(SqliteStore(str(tmp_path / "state.db")), clock=clock)
    runtime = Runtime(engine)
    runtime.register_function("fn", "app.py:handler", retention_period_days=1, durable=True)
    try:
        arns = []
        for i in range(150):
            arn = engine.start_execution(
                StartExecution(function_name="fn", input_payload="{}", execution_name=f"e{i}")
            ).arn
            engine.stop_execution(arn)
            arns.append(arn)
        keep = engine.start_execution(
            StartExecution(function_name="fn", input_payload="{}", execution_name="keep")
        ).arn
        assert (
            engine.claim_invocation("elsewhere", 400 * 86_400) is not None
        )  # running, leased elsewhere
        clock.advance(DAY_MS)
        runtime.dispatcher.step()  # one batch of 100
        assert len(engine.list_executions("fn")["DurableExecutions"]) == 51
        runtime.dispatcher.step()  # a full batch came back: the next round sweeps again at once
        listed = engine.list_executions("fn")["DurableExecutions"]
        assert [e["DurableExecutionArn"] for e in listed] == [keep]
    finally:
        runtime.dispatcher.stop()
        engine.close()
