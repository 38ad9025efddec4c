"""Checkpoint pipeline through a real SQLite file."""

from __future__ import annotations

import pytest

from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    RequestTooLargeException,
)
from tests.unit.engine.conftest import Harness, step


def test_tokens_rotate_and_stale_tokens_change_nothing(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    first = t.event["CheckpointToken"]
    resp = h.checkpoint(t.arn, first, step("a", "START"), step("a", "SUCCEED", Payload="1"))
    second = resp["CheckpointToken"]
    assert second and second != first
    before = h.events(arn)
    with pytest.raises(InvalidParameterValueException, match=r"^Invalid checkpoint token"):
        h.checkpoint(t.arn, first, step("b", "START"))
    assert h.events(arn) == before
    h.checkpoint(t.arn, second, step("b", "START"))
    assert h.types(arn)[-1] == "StepStarted"


@pytest.mark.parametrize(
    "update",
    [
        {"Id": "x", "Type": "BOGUS", "Action": "START"},
        {"Id": "x", "Type": "STEP", "Action": "EXPLODE"},
        {"Id": "", "Type": "STEP", "Action": "START"},
        {"Id": "x" * 65, "Type": "STEP", "Action": "START"},
        {"Id": "x", "Type": "WAIT", "Action": "START"},
        {"Id": "x", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 0}},
        {"Id": "x", "Type": "CALLBACK", "Action": "SUCCEED"},
        {"Id": "x", "Type": "STEP", "Action": "SUCCEED", "Payload": "1"},
        {"Id": "x", "Type": "STEP", "Action": "START", "ParentId": "nope"},
        {"Id": "x", "Type": "STEP", "Action": "START", "SubType": "bad sub type!"},
        {"Id": "x", "Type": "STEP", "Action": "START", "Error": "not an object"},
        {"Id": "x", "Type": "CHAINED_INVOKE", "Action": "START"},
        {"Id": "x", "Type": "CONTEXT", "Action": "RETRY"},
        "not an object",
    ],
)
def test_invalid_updates_are_rejected_and_change_nothing(h: Harness, update: object) -> None:
    arn = h.start()
    t = h.claim()
    before = h.events(arn)
    with pytest.raises(InvalidParameterValueException):
        h.checkpoint(t.arn, t.event["CheckpointToken"], update)  # type: ignore[arg-type]
    assert h.events(arn) == before
    # the token was not consumed by the rejected batch
    h.checkpoint(t.arn, t.event["CheckpointToken"], step("ok", "START"))


def test_oversized_payload_is_rejected(h: Harness) -> None:
    h.start()
    t = h.claim()
    token = h.checkpoint(t.arn, t.event["CheckpointToken"], step("a", "START"))["CheckpointToken"]
    with pytest.raises(RequestTooLargeException):
        h.checkpoint(t.arn, token, step("a", "SUCCEED", Payload="x" * 300_000))


def test_duplicate_start_and_inconsistent_identity_rejected(h: Harness) -> None:
    h.start()
    t = h.claim()
    token = h.checkpoint(
        t.arn, t.event["CheckpointToken"], {"Id": "c", "Type": "CONTEXT", "Action": "START"}
    )["CheckpointToken"]
    with pytest.raises(InvalidParameterValueException):
        h.checkpoint(t.arn, token, {"Id": "c", "Type": "CONTEXT", "Action": "START"})
    with pytest.raises(InvalidParameterValueException, match="Inconsistent"):
        h.checkpoint(
            t.arn, token, {"Id": "c", "Type": "CONTEXT", "Action": "SUCCEED", "Name": "other"}
        )
    with pytest.raises(InvalidParameterValueException, match="EXECUTION"):
        h.checkpoint(
            t.arn,
            token,
            {"Id": "e", "Type": "EXECUTION", "Action": "SUCCEED", "Payload": "1"},
            step("z", "START"),
        )


def test_step_retry_then_success_records_attempts(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    tok = h.checkpoint(t.arn, t.event["CheckpointToken"], step("s", "START"))["CheckpointToken"]
    h.checkpoint(
        t.arn,
        tok,
        step(
            "s",
            "RETRY",
            Error={"ErrorType": "ValueError", "ErrorMessage": "no"},
            StepOptions={"NextAttemptDelaySeconds": 3},
        ),
    )
    h.engine.complete_invocation(t, output={"Status": "PENDING"})
    assert h.engine.claim_invocation("test", 60) is None
    h.clock.advance(3000)
    assert h.engine.fire_due_timers() == 1
    t2 = h.claim()
    op = next(o for o in t2.event["InitialExecutionState"]["Operations"] if o["Id"] == "s")
    assert op["Status"] == "READY" and op["StepDetails"]["Attempt"] == 1
    tok = h.checkpoint(
        t2.arn,
        t2.event["CheckpointToken"],
        step("s", "START"),
        step("s", "SUCCEED", Payload='"ok"'),
    )["CheckpointToken"]
    assert tok
    h.engine.complete_invocation(t2, output={"Status": "SUCCEEDED", "Result": '"ok"'})
    events = h.events(arn)
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert [e["EventType"] for e in events] == [
        "ExecutionStarted",
        "StepStarted",
        "StepFailed",
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert events[2]["StepFailedDetails"]["RetryDetails"] == {
        "CurrentAttempt": 1,
        "NextAttemptDelaySeconds": 3,
    }
    assert events[5]["StepSucceededDetails"]["RetryDetails"] == {"CurrentAttempt": 2}
    assert h.engine.get_execution(arn)["Result"] == '"ok"'


def test_client_token_makes_a_retried_checkpoint_idempotent(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    body = {
        "CheckpointToken": t.event["CheckpointToken"],
        "ClientToken": "c-1",
        "Updates": [step("a", "START")],
    }
    first = h.engine.checkpoint(arn, body)
    again = h.engine.checkpoint(arn, body)
    assert again == first
    assert h.types(arn).count("StepStarted") == 1


def test_history_without_execution_data_strips_payloads(h: Harness) -> None:
    arn = h.start(payload='{"secret": 1}')
    events = h.engine.get_history(arn)["Events"]
    assert "Payload" not in events[0]["ExecutionStartedDetails"]["Input"]
    page = h.engine.get_history(arn, include_execution_data=True, max_items=1)
    assert len(page["Events"]) == 1
