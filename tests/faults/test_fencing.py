"""Fencing: only the holder of the current lease and checkpoint token gets through, and a
rejected call changes nothing (issue 5, "Nothing lost, nothing duplicated")."""

from __future__ import annotations

import threading
from urllib.parse import quote

import pytest

from durable_lambda_server.wire.errors import (
    INVALID_CHECKPOINT_TOKEN,
    InvalidParameterValueException,
)
from tests.faults.conftest import LiveServer, Rig
from tests.faults.invariants import Tracker, check_snapshot


def step(op_id: str, action: str, **extra: object) -> dict[str, object]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **extra}


def test_one_invocation_at_a_time_and_expiry_fences_the_old_attempt(rig: Rig) -> None:
    tracker = Tracker(rig.path)
    arn = rig.start()
    first = rig.claim(arn)
    assert first.attempt == 1
    assert rig.engine.claim_invocation("other", 60) is None  # the lease is live
    rig.clock.advance(59_999)
    assert rig.engine.claim_invocation("other", 60) is None
    old_token = first.event["CheckpointToken"]
    resp = rig.checkpoint(arn, old_token, step("s1", "START"))
    old_token = resp["CheckpointToken"]
    assert not tracker.check()

    rig.clock.advance(1)  # the lease runs out: the next attempt is dispatched
    second = rig.claim(owner="other")
    assert second.arn == arn and second.attempt == 2
    assert second.lease_token != first.lease_token
    assert second.event["CheckpointToken"] != old_token
    assert rig.types(arn)[-1] == "InvocationCompleted"  # Runtime.ExitError for attempt 1
    assert not tracker.check()

    before = rig.snapshot()
    with pytest.raises(InvalidParameterValueException, match=INVALID_CHECKPOINT_TOKEN):
        rig.checkpoint(arn, old_token, step("s1", "SUCCEED", Payload='"stale"'))
    with pytest.raises(InvalidParameterValueException, match=INVALID_CHECKPOINT_TOKEN):
        rig.engine.get_execution_state(arn, old_token)
    assert (
        rig.engine.complete_invocation(first, output={"Status": "SUCCEEDED", "Result": '"stale"'})
        is False
    )
    assert rig.engine.renew_lease(first, 600) is False
    after = rig.snapshot()
    assert after.executions == before.executions
    assert after.operations == before.operations and after.events == before.events
    assert after.timers == before.timers

    # the holder of the current lease gets through
    resp = rig.checkpoint(
        arn, second.event["CheckpointToken"], step("s1", "SUCCEED", Payload='"fresh"')
    )
    assert rig.engine.renew_lease(second, 60) is True
    assert (
        rig.engine.complete_invocation(second, output={"Status": "SUCCEEDED", "Result": '"fresh"'})
        is True
    )
    assert rig.engine.get_execution(arn)["Result"] == '"fresh"'
    assert (
        rig.engine.complete_invocation(second, output={"Status": "FAILED"}) is False
    )  # at most once
    assert not tracker.check()


def test_renewed_lease_keeps_others_out(rig: Rig) -> None:
    arn = rig.start()
    ticket = rig.claim(arn)
    for _ in range(5):
        rig.clock.advance(50_000)
        assert rig.engine.renew_lease(ticket, 60)
        assert rig.engine.claim_invocation("other", 60) is None
    rig.clock.advance(60_000)
    nxt = rig.claim(owner="other")
    assert nxt.attempt == 2
    assert rig.engine.renew_lease(ticket, 60) is False  # renewing cannot resurrect a fenced lease


def test_stale_and_fresh_tokens_race(rig: Rig) -> None:
    """Two workers hammer one execution: one with the live token chain, one with stale tokens."""
    tracker = Tracker(rig.path)
    arn = rig.start()
    first = rig.claim(arn)
    stale = [first.event["CheckpointToken"]]
    stale.append(rig.checkpoint(arn, stale[0], step("a", "START"))["CheckpointToken"])
    rig.clock.advance(60_000)
    live = rig.claim(owner="fresh")
    errors: list[str] = []
    accepted_stale: list[int] = []

    def stale_worker() -> None:
        for i in range(40):
            try:
                rig.checkpoint(arn, stale[i % 2], step(f"x{i}", "START"))
                accepted_stale.append(i)
            except InvalidParameterValueException as err:
                if not err.message.startswith(INVALID_CHECKPOINT_TOKEN):
                    errors.append(err.message)
            if rig.engine.complete_invocation(first, output={"Status": "SUCCEEDED"}):
                accepted_stale.append(-1)

    def fresh_worker() -> None:
        token = live.event["CheckpointToken"]
        for i in range(40):
            token = rig.checkpoint(
                arn, token, step(f"f{i}", "START"), step(f"f{i}", "SUCCEED", Payload=str(i))
            )["CheckpointToken"]

    threads = [threading.Thread(target=stale_worker), threading.Thread(target=fresh_worker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and accepted_stale == []
    snap = rig.snapshot()
    ops = snap.operations[arn]
    assert {f"f{i}" for i in range(40)} <= set(ops)
    assert not any(k.startswith("x") for k in ops)
    assert all(ops[f"f{i}"]["body"]["StepDetails"]["Result"] == str(i) for i in range(40))
    assert not check_snapshot(snap) and not tracker.check()
    assert rig.engine.complete_invocation(live, output={"Status": "SUCCEEDED"}) is True


def test_concurrent_claims_dispatch_exactly_once(rig: Rig) -> None:
    arns = {rig.start() for _ in range(10)}
    tickets: list[object] = []
    lock = threading.Lock()

    def claimer(owner: str) -> None:
        while (t := rig.engine.claim_invocation(owner, 60)) is not None:
            with lock:
                tickets.append(t)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(t.arn for t in tickets) == sorted(arns)  # type: ignore[attr-defined]
    assert all(t.attempt == 1 for t in tickets)  # type: ignore[attr-defined]


def test_http_checkpoint_with_stale_token_changes_nothing(rig: Rig, rig_server: LiveServer) -> None:
    arn = rig.start()
    first = rig.claim(arn)
    path = f"/2025-12-01/durable-executions/{quote(arn, safe='')}/checkpoint"
    status, _, body = rig_server.json(
        "POST",
        path,
        {"CheckpointToken": first.event["CheckpointToken"], "Updates": [step("a", "START")]},
    )
    assert status == 200
    stale = body["CheckpointToken"]
    rig.clock.advance(60_000)
    second = rig.claim(owner="other")
    before = rig.snapshot()
    for token in (first.event["CheckpointToken"], stale, "forged-token", stale + "x"):
        status, headers, body = rig_server.json(
            "POST",
            path,
            {"CheckpointToken": token, "Updates": [step("a", "SUCCEED", Payload='"stale"')]},
        )
        assert status == 400
        assert headers["x-amzn-errortype"] == "InvalidParameterValueException"
        assert body["message"].startswith(INVALID_CHECKPOINT_TOKEN)
    status, _, _ = rig_server.json(
        "GET",
        f"/2025-12-01/durable-executions/{quote(arn, safe='')}/state"
        f"?CheckpointToken={quote(stale)}",
    )
    assert status == 400
    after = rig.snapshot()
    assert (after.executions, after.operations, after.events) == (
        before.executions,
        before.operations,
        before.events,
    )
    status, _, body = rig_server.json(
        "POST",
        path,
        {
            "CheckpointToken": second.event["CheckpointToken"],
            "Updates": [step("a", "SUCCEED", Payload='"fresh"')],
        },
    )
    assert status == 200 and body["CheckpointToken"] not in (stale, second.event["CheckpointToken"])
    assert rig.snapshot().operations[arn]["a"]["body"]["StepDetails"]["Result"] == '"fresh"'


def test_client_token_replay_is_idempotent_but_not_across_attempts(rig: Rig) -> None:
    arn = rig.start()
    first = rig.claim(arn)
    token = first.event["CheckpointToken"]
    one = rig.checkpoint(arn, token, step("a", "START"), client_token="c1")
    events = rig.snapshot().events[arn]
    assert (
        rig.checkpoint(arn, token, step("a", "START"), client_token="c1") == one
    )  # a retried request
    assert rig.snapshot().events[arn] == events  # nothing written twice
    rig.clock.advance(60_000)
    rig.claim(owner="other")
    before = rig.snapshot()
    with pytest.raises(InvalidParameterValueException, match=INVALID_CHECKPOINT_TOKEN):
        rig.checkpoint(arn, token, step("a", "START"), client_token="c1")
    assert rig.snapshot().events == before.events


def test_crash_after_checkpointing_the_outcome_does_not_wedge_the_execution(rig: Rig) -> None:
    """Attempt 1 checkpoints EXECUTION SUCCEED (a large result) and dies before returning;
    attempt 2 replays and must be able to checkpoint and finish."""
    arn = rig.start()
    first = rig.claim(arn)
    execution_id = arn.rsplit("/", 1)[-1]
    rig.checkpoint(
        arn,
        first.event["CheckpointToken"],
        {"Id": execution_id, "Type": "EXECUTION", "Action": "SUCCEED", "Payload": '"big"'},
    )
    rig.clock.advance(60_000)
    second = rig.claim(owner="other")
    resp = rig.checkpoint(arn, second.event["CheckpointToken"], step("s", "START"))
    assert "CheckpointToken" in resp
    rig.checkpoint(
        arn,
        resp["CheckpointToken"],
        {"Id": execution_id, "Type": "EXECUTION", "Action": "SUCCEED", "Payload": '"again"'},
    )
    assert rig.engine.complete_invocation(second, output={"Status": "SUCCEEDED"})
    assert rig.engine.get_execution(arn)["Result"] == '"again"'
    assert not check_snapshot(rig.snapshot())


def test_handler_error_after_checkpointing_the_outcome_is_retried_cleanly(rig: Rig) -> None:
    arn = rig.start()
    first = rig.claim(arn)
    execution_id = arn.rsplit("/", 1)[-1]
    rig.checkpoint(
        arn,
        first.event["CheckpointToken"],
        {"Id": execution_id, "Type": "EXECUTION", "Action": "FAIL", "Error": {"ErrorType": "E"}},
    )
    assert rig.engine.complete_invocation(
        first, error={"ErrorType": "Runtime.Crash", "ErrorMessage": "boom"}
    )
    second = rig.claim(arn)
    assert second.attempt == 2
    rig.checkpoint(arn, second.event["CheckpointToken"], step("s", "START"))
    assert not check_snapshot(rig.snapshot())
