"""Executions, invocations, timers and callbacks."""

from __future__ import annotations

import pytest

from durable_lambda_server.engine import StartExecution
from durable_lambda_server.wire.errors import (
    CallbackTimeoutException,
    DurableExecutionAlreadyStartedException,
    InvalidParameterValueException,
    InvalidRequestContentException,
    ResourceNotFoundException,
)
from tests.unit.engine.conftest import Harness


def test_execution_names_are_idempotency_keys(h: Harness) -> None:
    arn = h.start('{"a": 1}', name="order-1")
    assert h.start('{"a": 1}', name="order-1") == arn
    with pytest.raises(DurableExecutionAlreadyStartedException):
        h.start('{"a": 2}', name="order-1")


def test_bad_start_input(h: Harness) -> None:
    with pytest.raises(InvalidRequestContentException):
        h.start("{not json")
    with pytest.raises(InvalidParameterValueException):
        h.start("{}", name="bad name!")
    with pytest.raises(ResourceNotFoundException, match="Function not found"):
        h.engine.start_execution(StartExecution(function_name="nope"))


def test_wait_timer_survives_reopening_the_store(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    h.checkpoint(
        t.arn,
        t.event["CheckpointToken"],
        {"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 5}},
    )
    h.engine.complete_invocation(t, output={"Status": "PENDING"})
    h.reopen()
    assert h.engine.next_due_ms() == h.clock.now_ms() + 5000
    h.clock.advance(5000)
    assert h.engine.fire_due_timers() == 1
    assert h.types(arn)[-1] == "WaitSucceeded"
    assert h.engine.claim_invocation("test", 60) is not None


def _callback(h: Harness, **options: int) -> tuple[str, str]:
    arn = h.start()
    t = h.claim()
    update = {"Id": "cb", "Type": "CALLBACK", "Action": "START", "CallbackOptions": options}
    resp = h.checkpoint(t.arn, t.event["CheckpointToken"], update)
    callback_id = resp["NewExecutionState"]["Operations"][-1]["CallbackDetails"]["CallbackId"]
    h.engine.complete_invocation(t, output={"Status": "PENDING"})
    return arn, callback_id


def test_callback_success_is_stored_verbatim_and_reinvokes(h: Harness) -> None:
    arn, cb = _callback(h)
    assert len(cb) >= 22  # >= 128 random bits
    h.engine.send_callback_success(cb, b'{"status": "approved"}')
    ev = h.events(arn)[-1]
    assert ev["EventType"] == "CallbackSucceeded"
    assert ev["CallbackSucceededDetails"]["Result"]["Payload"] == '{"status": "approved"}'
    assert h.engine.claim_invocation("test", 60) is not None
    with pytest.raises(CallbackTimeoutException):
        h.engine.send_callback_failure(cb, {"ErrorMessage": "late"})
    with pytest.raises(InvalidParameterValueException):
        h.engine.send_callback_success("not-a-callback", b"1")


def test_callback_heartbeat_extends_and_timeout_fires(h: Harness) -> None:
    arn, cb = _callback(h, HeartbeatTimeoutSeconds=5, TimeoutSeconds=60)
    h.clock.advance(4000)
    h.engine.send_callback_heartbeat(cb)
    h.clock.advance(4000)
    assert h.engine.fire_due_timers() == 0
    h.clock.advance(2000)
    assert h.engine.fire_due_timers() == 1
    ev = h.events(arn)[-1]
    assert ev["EventType"] == "CallbackTimedOut"
    assert ev["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == "Callback.Heartbeat"
    assert [e["EventType"] for e in h.events(arn)].count("CallbackTimedOut") == 1


def test_stop_is_final_and_idempotent(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    stopped = h.engine.stop_execution(arn, {"ErrorMessage": "operator"})
    assert h.engine.stop_execution(arn) == stopped
    assert h.engine.get_execution(arn)["Status"] == "STOPPED"
    with pytest.raises(InvalidParameterValueException):
        h.checkpoint(
            t.arn, t.event["CheckpointToken"], {"Id": "a", "Type": "STEP", "Action": "START"}
        )


def test_execution_timeout(h: Harness) -> None:
    arn = h.engine.start_execution(
        StartExecution(function_name="fn", execution_timeout_seconds=10)
    ).arn
    h.clock.advance(10_000)
    h.engine.fire_due_timers()
    assert h.engine.get_execution(arn)["Status"] == "TIMED_OUT"
    assert h.types(arn)[-1] == "ExecutionTimedOut"


def test_crashed_invocation_is_recorded_and_retried_then_fenced(h: Harness) -> None:
    arn = h.start()
    t = h.claim()
    assert h.engine.complete_invocation(
        t, error={"ErrorType": "Runtime.ExitError", "ErrorMessage": "exit 1"}
    )
    ic = h.events(arn)[-1]
    assert ic["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"] == "Runtime.ExitError"
    t2 = h.claim()
    assert t2.attempt == 2
    assert not h.engine.complete_invocation(
        t, output={"Status": "SUCCEEDED"}
    )  # stale lease: fenced
    assert h.engine.complete_invocation(t2, output={"Status": "SUCCEEDED", "Result": "1"})
    assert h.engine.get_execution(arn)["Status"] == "SUCCEEDED"


def test_expired_lease_is_redispatched(h: Harness) -> None:
    arn = h.start()
    h.claim()
    assert h.engine.claim_invocation("other", 60) is None
    h.clock.advance(61_000)
    t2 = h.engine.claim_invocation("other", 60)
    assert t2 is not None and t2.attempt == 2
    assert h.types(arn)[-1] == "InvocationCompleted"


def test_repeated_invocation_errors_fail_the_execution(h: Harness) -> None:
    arn = h.start()
    h.invoke_until_finished(arn, 10, error={"ErrorType": "ValueError", "ErrorMessage": "boom"})
    assert h.engine.get_execution(arn)["Status"] == "FAILED"


def test_lease_renewal_extends_and_fenced_tickets_cannot_renew(h: Harness) -> None:
    arn = h.start()
    t = h.engine.claim_invocation("a", 10, arn)
    assert t is not None
    h.clock.advance(8_000)
    assert h.engine.renew_lease(t, 10)
    h.clock.advance(8_000)  # 16 s after the claim, 8 s after the renewal: still held
    assert h.engine.claim_invocation("b", 10) is None
    h.clock.advance(3_000)
    t2 = h.engine.claim_invocation("b", 10)
    assert t2 is not None
    assert not h.engine.renew_lease(t, 10)
    assert h.engine.renew_lease(t2, 10)


def test_complete_and_claim_records_one_invocation_and_leases_the_next(h: Harness) -> None:
    first, second = h.start(name="first"), h.start(name="second")
    t1 = h.claim()
    assert t1.arn == first
    t2 = h.engine.complete_and_claim(t1, "test", 60, output={"Status": "SUCCEEDED", "Result": "1"})
    assert h.engine.get_execution(first)["Status"] == "SUCCEEDED"
    assert t2 is not None and t2.arn == second and t2.attempt == 1
    assert h.engine.claim_invocation("other", 60) is None  # the second is leased now
    assert (
        h.engine.complete_and_claim(t2, "test", 60, output={"Status": "SUCCEEDED"}) is None
    )  # nothing left
    assert h.engine.get_execution(second)["Status"] == "SUCCEEDED"


def test_complete_and_claim_with_a_stale_ticket_records_nothing_but_still_claims(
    h: Harness,
) -> None:
    arn = h.start(name="retried")
    stale = h.claim()
    h.clock.advance(61_000)  # the lease runs out: another runtime takes the execution over
    current = h.engine.claim_invocation("other", 60)
    assert current is not None and current.attempt == 2
    waiting = h.start(name="waiting")
    before = h.types(arn)
    claimed = h.engine.complete_and_claim(
        stale, "test", 60, output={"Status": "SUCCEEDED", "Result": "1"}
    )
    assert h.types(arn) == before and h.engine.get_execution(arn)["Status"] == "RUNNING"  # fenced
    assert claimed is not None and claimed.arn == waiting


def test_complete_and_claim_respects_reserved_concurrency(h: Harness) -> None:
    from durable_lambda_server.engine import FunctionRecord

    h.engine.put_function(FunctionRecord(name="gated", handler="app.py:handler"))
    h.engine.put_function_concurrency("gated", 0)
    gated = h.engine.start_execution(StartExecution(function_name="gated", input_payload="{}")).arn
    h.start(name="a")
    h.start(name="b")
    t = h.claim()
    nxt = h.engine.complete_and_claim(t, "test", 60, output={"Status": "SUCCEEDED"})
    assert nxt is not None and nxt.function_name == "fn"
    assert h.engine.complete_and_claim(nxt, "test", 60, output={"Status": "SUCCEEDED"}) is None
    assert h.engine.get_execution(gated)["Status"] == "RUNNING"
