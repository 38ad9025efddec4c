"""Callbacks answered many times at once while their timeout fires: exactly one outcome.

Every round starts a callback, lets its timeout (or heartbeat timeout) fall due, and releases
threads that send success, failure and heartbeats for the same callback id together with one
that fires the due timers. Exactly one outcome is recorded (operation and history), every other
answer gets ``CallbackTimeoutException``, and no event is written twice.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from durable_lambda_server.runtime import Runtime
from durable_lambda_server.wire.errors import CallbackTimeoutException
from tests.faults.conftest import LiveServer, Rig
from tests.faults.invariants import Tracker

CLOSING = {
    "CallbackSucceeded": "SUCCEEDED",
    "CallbackFailed": "FAILED",
    "CallbackTimedOut": "TIMED_OUT",
}


def open_callback(rig: Rig, *, release_lease: bool, **options: int) -> tuple[str, str]:
    arn = rig.start()
    ticket = rig.claim(arn)
    update = {
        "Id": "cb",
        "Type": "CALLBACK",
        "Action": "START",
        "Name": "approval",
        "CallbackOptions": options,
    }
    resp = rig.checkpoint(arn, ticket.event["CheckpointToken"], update)
    callback_id = resp["NewExecutionState"]["Operations"][-1]["CallbackDetails"]["CallbackId"]
    if release_lease:
        assert rig.engine.complete_invocation(ticket, output={"Status": "PENDING"})
    return arn, callback_id


def race(rig: Rig, callback_id: str, kinds: list[str]) -> list[tuple[str, Any]]:
    """Runs one thread per kind, all released at once; returns (kind, outcome) per thread."""
    barrier = threading.Barrier(len(kinds))
    results: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def run(kind: str, i: int) -> None:
        barrier.wait()
        try:
            if kind == "success":
                rig.engine.send_callback_success(callback_id, f'{{"from": {i}}}'.encode())
                out: Any = "ok"
            elif kind == "failure":
                rig.engine.send_callback_failure(
                    callback_id, {"ErrorType": "Rejected", "ErrorMessage": str(i)}
                )
                out = "ok"
            elif kind == "heartbeat":
                rig.engine.send_callback_heartbeat(callback_id)
                out = "ok"
            else:
                out = rig.engine.fire_due_timers()
        except CallbackTimeoutException as err:
            out = err
        except Exception as err:  # anything else is a bug; recorded and asserted on below
            out = ("unexpected", repr(err))
        with lock:
            results.append((kind, out))

    threads = [threading.Thread(target=run, args=(k, i)) for i, k in enumerate(kinds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("release_lease", [True, False], ids=["suspended", "lease-live"])
def test_answers_race_the_callback_timeout(rig: Rig, release_lease: bool) -> None:
    rng = random.Random(5)
    tracker = Tracker(rig.path)
    outcomes: set[str] = set()
    for _round in range(25):
        arn, callback_id = open_callback(rig, release_lease=release_lease, TimeoutSeconds=10)
        rig.clock.advance(10_000)  # the timeout is due: the timer races the answers
        kinds = ["success"] * 3 + ["failure"] * 3 + ["heartbeat"] * 2 + ["timers"]
        rng.shuffle(kinds)
        results = race(rig, callback_id, kinds)
        assert not [r for r in results if isinstance(r[1], tuple)], results

        events = rig.engine.get_history(arn, include_execution_data=True)["Events"]
        closing = [e for e in events if e["EventType"] in CLOSING]
        assert len(closing) == 1, [e["EventType"] for e in events]
        op = rig.snapshot().operations[arn]["cb"]["body"]
        assert op["Status"] == CLOSING[closing[0]["EventType"]]
        outcomes.add(op["Status"])
        accepted = [k for k, out in results if out == "ok" and k in ("success", "failure")]
        if op["Status"] == "TIMED_OUT":
            assert accepted == []
        else:
            assert accepted == ["success" if op["Status"] == "SUCCEEDED" else "failure"]
        rejected = [k for k, out in results if isinstance(out, CallbackTimeoutException)]
        assert (
            len(rejected)
            + len(accepted)
            + sum(1 for k, out in results if k == "heartbeat" and out == "ok")
            == 8
        )
        assert not tracker.check()
        # a late answer after the outcome is rejected and writes nothing
        before = rig.snapshot().events[arn]
        with pytest.raises(CallbackTimeoutException):
            rig.engine.send_callback_success(callback_id, b"1")
        with pytest.raises(CallbackTimeoutException):
            rig.engine.send_callback_heartbeat(callback_id)
        assert rig.snapshot().events[arn] == before
    assert len(outcomes) >= 2  # the race really went both ways at least once


def test_heartbeat_racing_its_own_timeout_is_consistent(rig: Rig) -> None:
    """A heartbeat that is accepted must keep the callback alive; one that loses is rejected."""
    tracker = Tracker(rig.path)
    survived = timed_out = 0
    for _round in range(40):
        arn, callback_id = open_callback(
            rig, release_lease=True, HeartbeatTimeoutSeconds=5, TimeoutSeconds=3600
        )
        rig.clock.advance(5_000)
        results = dict(race(rig, callback_id, ["heartbeat", "timers"]))
        op = rig.snapshot().operations[arn]["cb"]["body"]
        if results["heartbeat"] == "ok":
            assert op["Status"] == "STARTED", (
                "an accepted heartbeat was followed by a heartbeat timeout"
            )
            survived += 1
        else:
            assert isinstance(results["heartbeat"], CallbackTimeoutException)
            assert op["Status"] == "TIMED_OUT"
            timed_out += 1
        assert not tracker.check()
    assert survived + timed_out == 40


def test_http_answers_race_over_the_api(rig: Rig, tmp_path: Path) -> None:
    """The same race over HTTP: one 200 for success/failure, the rest 400
    CallbackTimeoutException."""
    srv = LiveServer(Runtime(rig.engine), tmp_path)
    try:
        arn, callback_id = open_callback(rig, release_lease=True, TimeoutSeconds=60)
        base = f"/2025-12-01/durable-execution-callbacks/{quote(callback_id, safe='')}"
        barrier = threading.Barrier(8)
        answers: list[tuple[int, str | None]] = []

        def send(i: int) -> None:
            barrier.wait()
            suffix, body = ("succeed", b'"yes"') if i % 2 else ("fail", b'{"ErrorType": "No"}')
            status, headers, _ = srv.request(
                "POST", f"{base}/{suffix}", body, {"Content-Type": "application/json"}
            )
            answers.append((status, headers.get("x-amzn-errortype")))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(answers, key=str) == sorted(
            [(200, None)] + [(400, "CallbackTimeoutException")] * 7, key=str
        )
        types = [e["EventType"] for e in rig.engine.get_history(arn)["Events"]]
        assert sum(t in CLOSING for t in types) == 1
        assert not Tracker(rig.path).check()
    finally:
        srv.stop()
