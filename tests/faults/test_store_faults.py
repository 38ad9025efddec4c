"""SQLite busy/locked and a full disk: retryable service errors, nothing half-written.

* Busy: a second connection holds the write lock past the store's busy timeout. Writes fail
  with ``TooManyRequestsException`` (429, ``Retry-After``), reads still work (WAL), nothing
  changes, and the same call succeeds once the lock is released (the checkpoint token did not
  rotate, so the SDK's retry with the same token goes through).
* Full: ``PRAGMA max_page_count`` on the engine's connections makes growing the file fail with
  SQLITE_FULL. Writes fail with ``ServiceException`` (500), the transaction is rolled back, and
  everything works again once space is available.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from durable_lambda_server.runtime import Runtime
from durable_lambda_server.wire.errors import ServiceException, TooManyRequestsException
from tests.faults.conftest import Disk, LiveServer, Rig, lock_database
from tests.faults.invariants import check_snapshot

BIG = '"' + "x" * 200_000 + '"'


def step(op_id: str, action: str, **extra: object) -> dict[str, object]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **extra}


def _state(rig: Rig) -> tuple[Any, ...]:
    snap = rig.snapshot()
    return snap.executions, snap.operations, snap.events, sorted(snap.timers), snap.callbacks


def _callback(rig: Rig) -> tuple[str, Any, str, str]:
    arn = rig.start()
    ticket = rig.claim(arn)
    resp = rig.checkpoint(
        arn, ticket.event["CheckpointToken"], {"Id": "cb", "Type": "CALLBACK", "Action": "START"}
    )
    return (
        arn,
        ticket,
        resp["CheckpointToken"],
        resp["NewExecutionState"]["Operations"][-1]["CallbackDetails"]["CallbackId"],
    )


def test_locked_database_is_429_and_changes_nothing(busy_rig: Rig) -> None:
    rig = busy_rig
    arn, ticket, token, callback_id = _callback(rig)
    other = rig.start()
    blocker = lock_database(rig.path)
    try:
        before = _state(rig)
        calls = {
            "checkpoint": lambda: rig.checkpoint(arn, token, step("s", "START")),
            "complete": lambda: rig.engine.complete_invocation(
                ticket, output={"Status": "PENDING"}
            ),
            "callback": lambda: rig.engine.send_callback_success(callback_id, b"1"),
            "start": lambda: rig.start(name="new"),
            "claim": lambda: rig.engine.claim_invocation("w", 60),
            "stop": lambda: rig.engine.stop_execution(other),
        }
        for name, call in calls.items():
            with pytest.raises(TooManyRequestsException) as info:
                call()
            assert info.value.status == 429 and info.value.extra.get("Reason"), name
        # reads do not wait for the writer
        assert rig.engine.get_execution(arn)["Status"] == "RUNNING"
        assert rig.engine.get_history(arn)["Events"]
        assert rig.engine.get_execution_state(arn, token)["Operations"]
        assert _state(rig) == before
    finally:
        blocker.rollback()
        blocker.close()
    # the condition cleared: the very same calls go through, with the same token
    rig.checkpoint(arn, token, step("s", "START"))
    rig.engine.send_callback_success(callback_id, b"1")
    assert rig.engine.complete_invocation(ticket, output={"Status": "PENDING"})
    rig.engine.stop_execution(other)
    assert not check_snapshot(rig.snapshot())


def test_locked_database_over_http_is_a_retryable_429(busy_rig: Rig, tmp_path: Path) -> None:
    rig = busy_rig
    arn, _ticket, token, callback_id = _callback(rig)
    srv = LiveServer(Runtime(rig.engine), tmp_path)
    try:

        def client(attempts: int) -> Any:
            return boto3.client(
                "lambda",
                endpoint_url=srv.url,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"max_attempts": attempts, "mode": "standard"}),
            )

        blocker = lock_database(rig.path)
        try:
            with pytest.raises(ClientError) as info:
                client(1).send_durable_execution_callback_heartbeat(CallbackId=callback_id)
            err = info.value.response
            assert err["Error"]["Code"] == "TooManyRequestsException"
            assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
            assert err["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
            path = f"/2025-12-01/durable-executions/{quote(arn, safe='')}/checkpoint"
            status, headers, body = srv.json(
                "POST", path, {"CheckpointToken": token, "Updates": [step("s", "START")]}
            )
            assert status == 429 and headers["x-amzn-errortype"] == "TooManyRequestsException"
            assert body["message"]
            # botocore retries the 429 by itself and gets through once the lock is released
            release = threading.Timer(0.3, blocker.rollback)
            release.start()
            client(5).send_durable_execution_callback_success(
                CallbackId=callback_id, Result=b'"ok"'
            )
            release.join()
        finally:
            blocker.rollback()
            blocker.close()
        events = [e["EventType"] for e in rig.engine.get_history(arn)["Events"]]
        assert events.count("CallbackSucceeded") == 1
        assert "StepStarted" not in events
    finally:
        srv.stop()


def test_full_disk_is_a_500_and_rolls_back(full_rig: Rig, disk: Disk) -> None:
    rig = full_rig
    arn, ticket, token, callback_id = _callback(rig)
    before = _state(rig)
    disk.set_full(True)
    calls = {
        "checkpoint": lambda: rig.checkpoint(
            arn, token, step("s", "START"), step("s", "SUCCEED", Payload=BIG)
        ),
        "callback": lambda: rig.engine.send_callback_success(callback_id, BIG.encode()[:250_000]),
        "start": lambda: rig.start(payload=BIG, name="new"),
    }
    for name, call in calls.items():
        with pytest.raises(ServiceException) as info:
            call()
        assert info.value.status == 500, name
    assert _state(rig) == before  # nothing half-written
    assert rig.engine.get_execution(arn)["Status"] == "RUNNING"  # reads still work
    disk.set_full(False)
    resp = rig.checkpoint(arn, token, step("s", "START"), step("s", "SUCCEED", Payload=BIG))
    assert resp["CheckpointToken"] != token
    rig.engine.send_callback_success(callback_id, b'"ok"')
    assert rig.engine.complete_invocation(ticket, output={"Status": "PENDING"})
    assert rig.start(payload=BIG, name="new")
    assert not check_snapshot(rig.snapshot())


def test_full_disk_over_http_is_a_service_exception(
    full_rig: Rig, disk: Disk, tmp_path: Path
) -> None:
    rig = full_rig
    arn, _ticket, token, _callback_id = _callback(rig)
    srv = LiveServer(Runtime(rig.engine), tmp_path)
    try:
        path = f"/2025-12-01/durable-executions/{quote(arn, safe='')}/checkpoint"
        body = {
            "CheckpointToken": token,
            "Updates": [step("s", "START"), step("s", "SUCCEED", Payload=BIG)],
        }
        disk.set_full(True)
        status, headers, answer = srv.json("POST", path, body)
        assert status == 500 and headers["x-amzn-errortype"] == "ServiceException"
        assert answer["Type"] == "Service" and answer["Message"]
        disk.set_full(False)
        status, _, answer = srv.json("POST", path, body)
        assert status == 200 and answer["CheckpointToken"] != token
    finally:
        srv.stop()
