"""The dispatcher against a real SQLite file that is busy, full or read-only, and under reserved
concurrency (issue 5).

* Recording an outcome that fails retryably (busy: 429; disk full: transient 500) is retried
  with backoff until it goes through, instead of being dropped; a non-retryable failure
  (read-only database: a plain 500) is reported once and not retried.
* A busy store during claim / timer rounds is retried by the next round, not recorded as an error.
* Reserved concurrency: the dispatcher never runs more than N invocations of a function at once;
  the rest queue; 0 runs nothing.

Handlers are plain functions of this module (imported by ``tests.faults.test_dispatcher_limits:``
spec), gated by events the test controls, so no assertion depends on timing.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from durable_lambda_server.runtime import Runtime
from durable_lambda_server.wire.errors import ServiceException
from tests.faults.conftest import Disk, Rig, lock_database

SPEC = "tests.faults.test_dispatcher_limits:"


class Gate:
    """Handlers block in ``enter`` until the test opens the gate; counts who is inside."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.cond = threading.Condition()
        self.inside = 0
        self.peak = 0
        self.output: Any = None

    def enter(self) -> None:
        with self.cond:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.cond.notify_all()
        try:
            assert self.open.wait(30), "gate never opened"
        finally:
            with self.cond:
                self.inside -= 1
                self.cond.notify_all()

    def wait_inside(self, n: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.inside >= n, timeout=30), (
                f"{self.inside} inside, wanted {n}"
            )


GATE = Gate()


def gated(event: Any, context: Any) -> Any:
    GATE.enter()
    return GATE.output if GATE.output is not None else {"echo": event}


def echo(event: Any, context: Any) -> Any:
    return {"echo": event}


@pytest.fixture(autouse=True)
def fresh_gate() -> Iterator[None]:
    global GATE
    GATE = Gate()
    yield
    GATE.open.set()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _runtime(rig: Rig) -> Runtime:
    runtime = Runtime(rig.engine)
    runtime.register_function("gated", SPEC + "gated", durable=False)
    runtime.register_function("echo", SPEC + "echo", durable=False)
    return runtime


class ReadOnly:
    """Switches every connection of the store to ``query_only`` (writes fail, not retryably)."""

    def __init__(self) -> None:
        self.conns: list[sqlite3.Connection] = []

    def on_connect(self, conn: sqlite3.Connection) -> None:
        self.conns.append(conn)

    def set(self, on: bool) -> None:
        for conn in self.conns:
            with contextlib.suppress(sqlite3.ProgrammingError):
                conn.execute(f"PRAGMA query_only={int(on)}")


# -- retrying the outcome --------------------------------------------------------------------------
def test_outcome_is_recorded_after_the_store_stops_being_busy(busy_rig: Rig) -> None:
    rig = busy_rig
    runtime = _runtime(rig)
    dispatcher = runtime.dispatcher
    try:
        arn, _ = runtime.start_execution("gated", '{"n": 1}')
        assert dispatcher.step()
        GATE.wait_inside(1)
        blocker = lock_database(
            rig.path
        )  # the handler finishes while another writer holds the database
        try:
            GATE.open.set()
            wait_until(lambda: dispatcher.record_retries >= 2, "retries of the busy completion")
            assert rig.engine.get_execution(arn)["Status"] == "RUNNING"  # nothing recorded yet
        finally:
            blocker.rollback()
            blocker.close()
        wait_until(dispatcher.idle, "the invocation to be recorded")
        execution = rig.engine.get_execution(arn)
        assert execution["Status"] == "SUCCEEDED" and execution["Result"] == '{"echo": {"n": 1}}'
        assert dispatcher.errors == []
        types = rig.types(arn)
        assert types.count("InvocationCompleted") == 1 and types[-1] == "ExecutionSucceeded"
    finally:
        dispatcher.stop()


def test_outcome_is_recorded_after_the_disk_has_room_again(full_rig: Rig, disk: Disk) -> None:
    rig = full_rig
    runtime = _runtime(rig)
    dispatcher = runtime.dispatcher
    GATE.output = "x" * 300_000  # the result needs new pages
    try:
        arn, _ = runtime.start_execution("gated", "{}")
        assert dispatcher.step()
        GATE.wait_inside(1)
        disk.set_full(True)
        try:
            GATE.open.set()
            wait_until(
                lambda: dispatcher.record_retries >= 2, "retries of the completion on a full disk"
            )
        finally:
            disk.set_full(False)
        wait_until(dispatcher.idle, "the invocation to be recorded")
        execution = rig.engine.get_execution(arn)
        assert execution["Status"] == "SUCCEEDED" and len(execution["Result"]) == 300_002
        assert dispatcher.errors == []
    finally:
        dispatcher.stop()


def test_non_retryable_store_failure_is_not_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    readonly = ReadOnly()
    rig = Rig(tmp_path / "state.db", on_connect=readonly.on_connect)
    runtime = _runtime(rig)
    dispatcher = runtime.dispatcher
    try:
        arn, _ = runtime.start_execution("gated", "{}")
        assert dispatcher.step()
        GATE.wait_inside(1)
        readonly.set(True)
        GATE.open.set()
        wait_until(dispatcher.idle, "the invocation to end")
        assert dispatcher.record_retries == 0
        assert len(dispatcher.errors) == 1 and isinstance(dispatcher.errors[0], ServiceException)
        assert not [r for r in caplog.records if "retrying" in r.getMessage()]
        readonly.set(False)
        assert rig.engine.get_execution(arn)["Status"] == "RUNNING"  # its lease will run out
    finally:
        dispatcher.stop()
        rig.close()


def test_fenced_outcome_is_not_retried(rig: Rig) -> None:
    runtime = _runtime(rig)
    dispatcher = runtime.dispatcher
    try:
        arn, _ = runtime.start_execution("gated", "{}")
        assert dispatcher.step()
        GATE.wait_inside(1)
        rig.engine.stop_execution(arn)  # the lease is gone: the completion is fenced off
        GATE.open.set()
        wait_until(dispatcher.idle, "the invocation to end")
        assert dispatcher.record_retries == 0 and dispatcher.errors == []
        assert rig.engine.get_execution(arn)["Status"] == "STOPPED"
    finally:
        dispatcher.stop()


def test_busy_store_during_claim_rounds_is_retried_not_recorded(
    busy_rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig = busy_rig
    runtime = _runtime(rig)
    caplog.set_level(logging.WARNING, logger="durable_lambda_server.runtime.dispatcher")
    arn, _ = runtime.start_execution("echo", '{"n": 2}')
    blocker = lock_database(rig.path)
    try:
        runtime.start()
        wait_until(
            lambda: any(
                "dispatcher round failed, retrying" in r.getMessage() for r in caplog.records
            ),
            "a busy round",
        )
    finally:
        blocker.rollback()
        blocker.close()
    try:
        assert runtime.wait_for_terminal(arn, timeout=30)["Status"] == "SUCCEEDED"
        assert runtime.dispatcher.errors == []
    finally:
        runtime.dispatcher.stop()


# -- reserved concurrency --------------------------------------------------------------------------
def test_dispatcher_runs_at_most_the_reserved_concurrency(rig: Rig) -> None:
    runtime = _runtime(rig)
    dispatcher = runtime.dispatcher
    rig.engine.put_function_concurrency("gated", 2)
    try:
        arns = [runtime.start_execution("gated", str(i))[0] for i in range(5)]
        echo_arn, _ = runtime.start_execution("echo", "{}")  # another function is not held back
        assert dispatcher.step()
        GATE.wait_inside(2)
        assert not dispatcher.step()  # the limit is reached: nothing more of "gated" is claimed
        leased = [
            a for a, ex in rig.snapshot().executions.items() if ex["lease_token"] and a in arns
        ]
        assert len(leased) == 2
        assert runtime.wait_for_terminal(echo_arn, timeout=30)["Status"] == "SUCCEEDED"
        GATE.open.set()
        runtime.start()
        for arn in arns:
            assert runtime.wait_for_terminal(arn, timeout=30)["Status"] == "SUCCEEDED"
        assert GATE.peak == 2
    finally:
        dispatcher.stop()


def test_zero_reserved_concurrency_runs_nothing_until_removed(rig: Rig) -> None:
    runtime = _runtime(rig)
    dispatcher = runtime.dispatcher
    rig.engine.put_function_concurrency("echo", 0)
    try:
        arn, _ = runtime.start_execution("echo", "{}")
        assert not dispatcher.step()
        assert rig.engine.claim_invocation("probe", 60) is None
        rig.engine.delete_function_concurrency("echo")
        assert rig.engine.get_function_concurrency("echo") is None
        assert dispatcher.step()
        wait_until(dispatcher.idle, "the invocation")
        assert rig.engine.get_execution(arn)["Status"] == "SUCCEEDED"
    finally:
        dispatcher.stop()


def test_changing_reserved_concurrency_wakes_the_dispatcher(rig: Rig) -> None:
    """Raising or removing a limit makes queued executions runnable: the engine tells its
    listeners (the dispatcher wakes at once instead of at its next idle poll)."""
    _runtime(rig)
    woken: list[str] = []
    rig.engine.add_listener(lambda: woken.append("wake"))
    rig.engine.put_function_concurrency("echo", 0)
    assert woken == ["wake"]
    rig.engine.delete_function_concurrency("echo")
    assert woken == ["wake", "wake"]


def test_work_started_while_every_slot_is_busy_runs_when_a_slot_frees(rig: Rig) -> None:
    """With every slot busy a start only notes the wake (no loop round); nothing is lost: the
    freed slot's thread claims the waiting execution (decision 0012), then the loop claims the
    rest once slots are free again."""
    runtime = Runtime(rig.engine, max_concurrency=2)
    runtime.register_function("gated", SPEC + "gated", durable=False)
    runtime.register_function("echo", SPEC + "echo", durable=False)
    runtime.start()
    try:
        held = [runtime.start_execution("gated", str(i))[0] for i in range(2)]
        GATE.wait_inside(2)
        queued = [runtime.start_execution("echo", str(i))[0] for i in range(5)]
        with runtime.dispatcher._wake:
            assert runtime.dispatcher._running == 2  # saturated: those starts only noted a wake
        GATE.open.set()
        for arn in held + queued:
            assert runtime.wait_for_terminal(arn, timeout=30)["Status"] == "SUCCEEDED"
        assert runtime.dispatcher.errors == []
    finally:
        runtime.dispatcher.stop()
