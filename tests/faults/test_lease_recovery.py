"""Recovering the leases of a runtime that died: only provably dead owners, charged or not by
mode."""

from __future__ import annotations

import os
import subprocess
import sys

from durable_lambda_server.runtime.leases import (
    host_key,
    new_owner_id,
    owner_is_provably_dead,
    owner_isolated_handlers,
)
from tests.faults.conftest import Rig
from tests.faults.invariants import assert_invariants


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid no longer exists
    return proc.pid


def test_only_owners_proven_dead_on_this_host_are_dead() -> None:
    pid = dead_pid()
    assert owner_is_provably_dead(f"{host_key()}:{pid}:abc:w")
    assert owner_is_provably_dead(f"{host_key()}:{pid}:abc")  # without a mode
    assert not owner_is_provably_dead(f"other-host#x:{pid}:abc:w")
    assert not owner_is_provably_dead(f"{host_key()}:{os.getppid()}:abc:w")  # alive
    assert not owner_is_provably_dead(new_owner_id())  # this process, another runtime maybe
    assert not owner_is_provably_dead("dispatcher-0123456789ab")  # an older owner format
    assert owner_isolated_handlers(new_owner_id(isolated_handlers=True))
    assert not owner_isolated_handlers(new_owner_id())


def test_dead_worker_runtime_is_recovered_at_once_and_not_charged(rig: Rig) -> None:
    arn = rig.start()
    rig.engine.claim_invocation(f"{host_key()}:{dead_pid()}:abc:w", 60)
    assert rig.engine.claim_invocation("w2", 60) is None  # the lease is live
    assert rig.engine.release_dead_leases(
        owner_is_provably_dead, forgive=owner_isolated_handlers
    ) == [arn]
    ticket = rig.engine.claim_invocation("w2", 60)
    assert ticket is not None and ticket.arn == arn
    row = rig.snapshot().executions[arn]
    assert row["failed_invocations"] == 0 and row["attempt"] == 2
    lost = [
        e
        for e in rig.engine.get_history(arn, include_execution_data=True)["Events"]
        if e["EventType"] == "InvocationCompleted"
    ]
    assert len(lost) == 1 and "the runtime running it died" in str(lost[0])
    assert_invariants(rig.path)


def test_dead_in_process_runtime_is_recovered_at_once_and_charged(rig: Rig) -> None:
    arn = rig.start()
    rig.engine.claim_invocation(f"{host_key()}:{dead_pid()}:abc:i", 60)
    assert rig.engine.release_dead_leases(
        owner_is_provably_dead, forgive=owner_isolated_handlers
    ) == [arn]
    assert rig.engine.claim_invocation("w2", 60) is not None
    assert rig.snapshot().executions[arn]["failed_invocations"] == 1
    assert_invariants(rig.path)


def test_live_or_foreign_owners_keep_their_leases(rig: Rig) -> None:
    rig.start()
    rig.engine.claim_invocation(f"{host_key()}:{os.getppid()}:abc:w", 60)
    other = rig.start(name="second")
    rig.engine.claim_invocation(f"elsewhere#1:{dead_pid()}:abc:w", 60, other)
    assert (
        rig.engine.release_dead_leases(owner_is_provably_dead, forgive=owner_isolated_handlers)
        == []
    )
    assert rig.engine.claim_invocation("w2", 60) is None
