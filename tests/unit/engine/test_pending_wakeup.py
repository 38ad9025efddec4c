"""What follows a PENDING output (issue 15, decision 0015): never an execution left suspended with
nothing that can wake it.

The property test drives the real engine on a real SQLite file through generated interleavings
of service-side completions (callback answers, timers firing) and invocations (claim, checkpoint,
complete). Its handler model is the least helpful SDK there is, AWS's parallel executor at its
worst: it decides from the state it was invoked with and ignores every completion a checkpoint
answer hands it. Whatever the interleaving, once every operation has completed the execution
must finish, and no attempt may be charged as a failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durable_lambda_server.engine import (
    MAX_FAILED_INVOCATIONS,
    Engine,
    FakeClock,
    FunctionRecord,
    InvocationTicket,
    StartExecution,
)
from durable_lambda_server.store import open_store
from tests.unit.engine.conftest import Harness, step


def _pending_error(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorMessage"]
        for e in events
        if e["EventType"] == "InvocationCompleted" and "Error" in e["InvocationCompletedDetails"]
    ]


# ----------------------------------------------------------------------------------------------
# the rules, one by one


def test_pending_with_nothing_pending_is_an_invalid_output_that_is_retried(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    h.checkpoint(
        t.arn, t.event["CheckpointToken"], step("s", "START"), step("s", "SUCCEED", Payload="1")
    )
    h.engine.complete_invocation(t, output={"Status": "PENDING"})
    assert _pending_error(h.events(arn)) == [
        "Cannot return PENDING status with no pending operations."
    ]
    assert h.engine.get_execution(arn)["Status"] == "RUNNING"
    retry = h.engine.claim_invocation("test", 60)  # re-dispatched at once, like any failed attempt
    assert retry is not None and retry.attempt == 2
    h.engine.complete_invocation(retry, output={"Status": "SUCCEEDED", "Result": "1"})
    assert h.engine.get_execution(arn)["Status"] == "SUCCEEDED"


def test_a_handler_that_keeps_returning_pending_wrongly_fails_instead_of_hanging(
    h: Harness,
) -> None:
    arn = h.start()
    h.invoke_until_finished(arn, 60, output={"Status": "PENDING"})
    execution = h.engine.get_execution(arn)
    assert execution["Status"] == "FAILED"
    assert execution["Error"]["ErrorType"] == "InvalidParameterValueException"
    assert len(_pending_error(h.events(arn))) == MAX_FAILED_INVOCATIONS


def test_a_pending_operation_keeps_the_execution_suspended(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    wait = {
        "Id": "w",
        "Type": "WAIT",
        "SubType": "Wait",
        "Action": "START",
        "WaitOptions": {"WaitSeconds": 5},
    }
    h.checkpoint(t.arn, t.event["CheckpointToken"], wait)
    h.engine.complete_invocation(t, output={"Status": "PENDING"})
    assert _pending_error(h.events(arn)) == []
    assert h.engine.claim_invocation("test", 60) is None  # nothing to do until the timer
    h.clock.advance(5000)
    assert h.engine.fire_due_timers() == 1
    assert h.engine.claim_invocation("test", 60) is not None


def test_a_completion_handed_over_mid_invocation_but_unused_reinvokes_uncharged(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    cb = {
        "Id": "cb",
        "Type": "CALLBACK",
        "SubType": "Callback",
        "Action": "START",
        "CallbackOptions": {},
    }
    resp = h.checkpoint(t.arn, t.event["CheckpointToken"], cb)
    callback_id = resp["NewExecutionState"]["Operations"][-1]["CallbackDetails"]["CallbackId"]
    h.engine.send_callback_success(callback_id, b'"ok"')
    # The handler's next checkpoint answer hands it the completion: it has now seen it...
    resp = h.checkpoint(t.arn, resp["CheckpointToken"])
    assert [op["Status"] for op in resp["NewExecutionState"]["Operations"]] == ["SUCCEEDED"]
    # ...but suspended on it before the answer arrived (AWS's parallel executor does this).
    h.engine.complete_invocation(t, output={"Status": "PENDING"})
    assert _pending_error(h.events(arn)) == []  # a race, not the handler's fault: uncharged
    retry = h.engine.claim_invocation("test", 60)
    assert retry is not None
    ops = {op["Id"]: op for op in retry.event["InitialExecutionState"]["Operations"]}
    assert ops["cb"]["Status"] == "SUCCEEDED"


def test_a_chained_invoke_result_held_back_still_wakes_the_caller(h: Harness) -> None:
    h.engine.put_function(FunctionRecord(name="child", handler="app.py:handler"))
    arn = h.start()
    t = h.claim()
    invoke = {
        "Id": "inv",
        "Type": "CHAINED_INVOKE",
        "SubType": "ChainedInvoke",
        "Action": "START",
        "Payload": "{}",
        "ChainedInvokeOptions": {"FunctionName": "child"},
    }
    h.checkpoint(t.arn, t.event["CheckpointToken"], invoke)
    child = h.engine.claim_invocation("test", 60)  # the child runs while its caller still does
    assert child is not None and child.arn != arn
    h.engine.complete_invocation(child, output={"Status": "SUCCEEDED", "Result": "7"})
    h.engine.complete_invocation(t, output={"Status": "PENDING"})
    types = h.types(arn)
    assert types[-2:] == ["InvocationCompleted", "ChainedInvokeSucceeded"]
    assert h.engine.claim_invocation("test", 60, arn) is not None


# ----------------------------------------------------------------------------------------------
# the property: any interleaving ends with a finished execution


@dataclass
class _Model:
    """The handler at its least helpful and the outside world, around one real engine."""

    engine: Engine
    clock: FakeClock
    kinds: list[str]  # per branch: see _KINDS
    arn: str = ""
    ticket: InvocationTicket | None = None
    token: str | None = None
    seen: dict[str, str] = field(default_factory=dict)  # op id -> status at claim
    callback_ids: dict[str, str] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)

    def op_ids(self) -> list[str]:
        return [f"op-{i}" for i in range(len(self.kinds))]

    def claim(self) -> None:
        if self.ticket is not None:
            return
        self.engine.fire_due_timers()
        ticket = self.engine.claim_invocation("model", 60, self.arn)
        if ticket is None:
            return
        self.ticket, self.token = ticket, ticket.event["CheckpointToken"]
        initial = ticket.event["InitialExecutionState"]["Operations"]
        self.seen = {op["Id"]: op["Status"] for op in initial if op["Type"] != "EXECUTION"}

    def checkpoint(self) -> None:
        if self.ticket is None:
            return
        updates: list[dict[str, Any]] = []
        for op_id, kind in zip(self.op_ids(), self.kinds, strict=True):
            status = self.seen.get(op_id)
            if kind == "retry" and status == "READY":
                # The retry came due before this invocation: the attempt runs and succeeds.
                updates += [step(op_id, "START"), step(op_id, "SUCCEED", Payload="1")]
                self.seen[op_id] = "SUCCEEDED"
            if status is not None:
                continue
            if kind == "callback":
                updates.append(
                    {
                        "Id": op_id,
                        "Type": "CALLBACK",
                        "SubType": "Callback",
                        "Action": "START",
                        "CallbackOptions": {},
                    }
                )
            elif kind == "callback-timeout":
                updates.append(
                    {
                        "Id": op_id,
                        "Type": "CALLBACK",
                        "SubType": "Callback",
                        "Action": "START",
                        "CallbackOptions": {"TimeoutSeconds": 2},
                    }
                )
            elif kind == "retry":
                updates += [
                    step(op_id, "START"),
                    step(
                        op_id,
                        "RETRY",
                        Error={"ErrorType": "E", "ErrorMessage": "again"},
                        StepOptions={"NextAttemptDelaySeconds": 1},
                    ),
                ]
            else:
                updates.append(
                    {
                        "Id": op_id,
                        "Type": "WAIT",
                        "SubType": "Wait",
                        "Action": "START",
                        "WaitOptions": {"WaitSeconds": 1},
                    }
                )
            self.seen[op_id] = "STARTED"
        resp = self.engine.checkpoint(self.arn, {"CheckpointToken": self.token, "Updates": updates})
        self.token = resp["CheckpointToken"]
        for op in resp["NewExecutionState"]["Operations"]:
            details = op.get("CallbackDetails") or {}
            if details.get("CallbackId"):
                self.callback_ids[op["Id"]] = details["CallbackId"]
            # The completions handed over here are ignored, as a branch that already suspended
            # ignores them.

    def complete(self) -> None:
        if self.ticket is None:
            return
        if self.token is not None and (
            len(self.seen) < len(self.kinds) or "READY" in self.seen.values()
        ):
            self.checkpoint()  # an invocation always starts its operations and runs due retries
        done = all(self.seen.get(op_id) in _DONE for op_id in self.op_ids())
        output = (
            {"Status": "SUCCEEDED", "Result": json.dumps("done")} if done else {"Status": "PENDING"}
        )
        self.engine.complete_invocation(self.ticket, output=output)
        self.ticket = self.token = None

    def answer(self) -> None:
        for op_id, callback_id in self.callback_ids.items():
            if op_id not in self.answered and self.kinds[int(op_id.split("-")[1])] == "callback":
                self.answered.add(op_id)
                self.engine.send_callback_success(callback_id, b'"ok"')
                return

    def tick(self) -> None:
        self.clock.advance(1000)
        self.engine.fire_due_timers()


_ACTIONS = ["claim", "checkpoint", "complete", "answer", "tick"]
# A callback answered by the outside world, one that times out after 2 s instead, a 1 s wait,
# and a step whose first attempt fails and retries after 1 s.
_KINDS = ["callback", "callback-timeout", "wait", "retry"]
_DONE = {"SUCCEEDED", "TIMED_OUT"}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from(_KINDS), min_size=1, max_size=4),
    actions=st.lists(st.sampled_from(_ACTIONS), max_size=40),
)
def test_every_interleaving_ends_with_a_finished_execution(
    tmp_path: Path, kinds: list[str], actions: list[str]
) -> None:
    db = tmp_path / f"prop-{len(list(tmp_path.iterdir()))}.db"
    clock = FakeClock()
    engine = Engine(open_store(str(db)), clock=clock)
    try:
        engine.put_function(FunctionRecord(name="fn", handler="app.py:handler"))
        model = _Model(engine, clock, kinds)
        model.arn = engine.start_execution(
            StartExecution(function_name="fn", input_payload="{}")
        ).arn
        for action in actions:
            getattr(model, action)()
        # The outside world finishes its part: every callback answered, every timer due...
        for _ in range(20):
            if model.ticket is not None:
                model.complete()
            model.claim()
            model.complete()
            for _ in model.callback_ids:
                model.answer()
            model.tick()
            if engine.get_execution(model.arn)["Status"] != "RUNNING":
                break
        # ...so the execution finished, and no attempt was charged to the handler.
        execution = engine.get_execution(model.arn)
        assert execution["Status"] == "SUCCEEDED", (kinds, actions)
        events = engine.get_history(model.arn, include_execution_data=True)["Events"]
        assert _pending_error(events) == [], (kinds, actions)
    finally:
        engine.close()
