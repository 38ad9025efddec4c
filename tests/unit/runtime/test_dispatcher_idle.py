"""The dispatcher when nothing runs: skip-time jumps, wake-ups, and what the idle sleep waits
for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from durable_lambda_server.runtime.dispatcher import Dispatcher
from tests.support.engine_rig import EngineRig


class Rig(EngineRig):
    """The engine rig plus a dispatcher in skip-time mode that never invokes anything."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.dispatcher = Dispatcher(self.engine, _no_resolve, _no_invoker, skip_time=True)

    def suspend_on_wait(self, seconds: int) -> str:
        arn = self.start()
        ticket = self.engine.claim_invocation("test", 60, arn)
        assert ticket is not None
        wait = {
            "Id": "w",
            "Type": "WAIT",
            "Action": "START",
            "WaitOptions": {"WaitSeconds": seconds},
        }
        self.engine.checkpoint(
            arn, {"CheckpointToken": ticket.event["CheckpointToken"], "Updates": [wait]}
        )
        self.engine.complete_invocation(ticket, output={"Status": "PENDING"})
        return arn

    def close(self) -> None:
        self.dispatcher.stop()
        super().close()


def _no_resolve(name: str, version: str) -> Any:
    raise AssertionError("nothing is invoked in these tests")


def _no_invoker(function: Any) -> Any:
    raise AssertionError("nothing is invoked in these tests")


@pytest.fixture
def rig(tmp_path: Path) -> Any:
    r = Rig(tmp_path / "state.db")
    yield r
    r.close()


def test_skip_time_never_jumps_while_an_execution_waits_for_its_first_invocation(rig: Rig) -> None:
    # The race of docs/performance.md: a round found nothing to claim, then an execution was
    # started (with its 24 h execution-timeout timer) before the clock was advanced.
    before = rig.clock.now_ms()
    rig.start()
    assert rig.dispatcher._advance_clock() is False
    assert rig.clock.now_ms() == before


def test_skip_time_jumps_to_the_wait_of_a_suspended_execution(rig: Rig) -> None:
    before = rig.clock.now_ms()
    rig.suspend_on_wait(5)
    assert rig.dispatcher._advance_clock() is True
    assert rig.clock.now_ms() == before + 5_000  # the wait, not the execution timeout


def test_skip_time_keeps_the_execution_timeout_while_an_invocation_holds_a_lease(rig: Rig) -> None:
    before = rig.clock.now_ms()
    arn = rig.start()
    assert (
        rig.engine.claim_invocation("elsewhere", 60, arn) is not None
    )  # running, no timer of its own
    assert rig.dispatcher._advance_clock() is False
    assert rig.clock.now_ms() == before


def test_skip_time_jumps_to_the_execution_timeout_when_nothing_else_can_happen(rig: Rig) -> None:
    arn = rig.start()
    ticket = rig.engine.claim_invocation("test", 60, arn)
    assert ticket is not None
    # Suspended on a callback without a timeout: only the execution timeout can happen.
    callback = {"Id": "cb", "Type": "CALLBACK", "Action": "START", "CallbackOptions": {}}
    rig.engine.checkpoint(
        arn, {"CheckpointToken": ticket.event["CheckpointToken"], "Updates": [callback]}
    )
    rig.engine.complete_invocation(ticket, output={"Status": "PENDING"})
    assert rig.dispatcher._advance_clock() is True
    rig.engine.fire_due_timers()
    assert rig.engine.get_execution(arn)["Status"] == "TIMED_OUT"


def test_engine_commits_wake_the_dispatcher(rig: Rig) -> None:
    rig.dispatcher._pending_wake = False
    rig.start()
    assert rig.dispatcher._pending_wake is True


def test_idle_wakeup_is_the_next_timer_or_live_lease_expiry(rig: Rig) -> None:
    now = rig.clock.now_ms()
    assert rig.engine.dispatch_outlook().next_wakeup_ms(now) is None
    rig.suspend_on_wait(5)
    outlook = rig.engine.dispatch_outlook()
    assert not outlook.runnable
    assert outlook.next_wakeup_ms(now) == now + 5_000
    arn = rig.start()
    assert rig.engine.dispatch_outlook().runnable
    rig.engine.claim_invocation("test", 2, arn)  # a 2 s lease expires before the wait
    assert rig.engine.dispatch_outlook().next_wakeup_ms(now) == now + 2_000
    rig.clock.advance(3_000)  # expired: claimable now, so no longer a future wake-up
    later = rig.clock.now_ms()
    outlook = rig.engine.dispatch_outlook()
    assert outlook.runnable
    assert outlook.next_wakeup_ms(later) == now + 5_000
