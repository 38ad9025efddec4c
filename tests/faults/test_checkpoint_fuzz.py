"""Property-based fuzzing of checkpoint batches applied to the engine.

Random sequences of steps against one execution: checkpoint batches of valid-looking and invalid
updates (wrong types, unknown parents, duplicate ids, illegal transitions, huge payloads, bad
enums), checkpoints with stale tokens, time passing with timers firing, and invocations ending
and being re-claimed. Properties: only typed Lambda API errors are raised; a rejected call
changes nothing; an accepted one rotates the token; the store invariants hold after every step.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from durable_lambda_server.wire.errors import LambdaApiError
from tests.faults.conftest import Rig
from tests.faults.invariants import Tracker
from tests.faults.strategies import junk, updates

# FAULTS_FUZZ_EXAMPLES / FAULTS_FUZZ_RANDOM=1 widen a local bug hunt; CI runs the fixed 150.
FUZZ = settings(
    max_examples=int(os.environ.get("FAULTS_FUZZ_EXAMPLES", "150")),
    derandomize=os.environ.get("FAULTS_FUZZ_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STATS = {"examples": 0, "batches": 0, "accepted": 0, "rejected": 0}


def _state(rig: Rig) -> tuple[Any, ...]:
    snap = rig.snapshot()
    return snap.executions, snap.operations, snap.events, sorted(snap.timers), snap.callbacks


@st.composite
def programs(draw: st.DrawFn) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(
            st.sampled_from(["batch", "batch", "batch", "stale", "tick", "complete", "body"])
        )
        if kind in ("batch", "stale"):
            out.append((kind, draw(st.lists(updates("EXEC"), max_size=5))))
        elif kind == "tick":
            out.append((kind, draw(st.sampled_from([1_000, 10_000, 60_000, 3_600_000]))))
        elif kind == "body":
            out.append(
                (
                    kind,
                    draw(
                        st.one_of(
                            junk, st.fixed_dictionaries({"CheckpointToken": junk, "Updates": junk})
                        )
                    ),
                )
            )
        else:
            out.append((kind, draw(st.sampled_from(["PENDING", "SUCCEEDED", "FAILED", "junk"]))))
    return out


def _resolve(value: Any, execution_id: str) -> Any:
    if value == "EXEC":
        return execution_id
    if isinstance(value, dict):
        return {k: _resolve(v, execution_id) for k, v in value.items()}
    return value


def _expect_unchanged(rig: Rig, before: tuple[Any, ...], what: str) -> None:
    assert _state(rig) == before, f"a rejected {what} changed the store"


@FUZZ
@given(program=programs())
def test_checkpoint_batches_never_break_the_store(program: list[tuple[str, Any]]) -> None:
    STATS["examples"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        rig = Rig(Path(tmp) / "state.db")
        try:
            _run(rig, program)
        finally:
            rig.close()


def _run(rig: Rig, program: list[tuple[str, Any]]) -> None:
    tracker = Tracker(rig.path)
    arn = rig.start()
    execution_id = arn.rsplit("/", 1)[-1]
    ticket = rig.claim(arn)
    token: str | None = ticket.event["CheckpointToken"]
    stale: list[str] = []
    for kind, arg in program:
        before = _state(rig)
        if kind in ("batch", "stale", "body"):
            STATS["batches"] += 1
            if kind == "body":
                body = arg
            else:
                use = (
                    (stale[-1] if stale else "never-issued")
                    if kind == "stale"
                    else (token or "no-token")
                )
                body = {"CheckpointToken": use, "Updates": [_resolve(u, execution_id) for u in arg]}
            try:
                resp = rig.engine.checkpoint(arn, body)
            except LambdaApiError:
                STATS["rejected"] += 1
                _expect_unchanged(rig, before, "checkpoint")
            else:
                STATS["accepted"] += 1
                assert kind == "batch", "a stale or malformed checkpoint was accepted"
                new = resp.get("CheckpointToken")
                assert new != token and new not in stale
                stale.append(token)  # type: ignore[arg-type]
                token = new
                assert rig.token(arn) == new
        elif kind == "tick":
            rig.clock.advance(arg)
            rig.engine.fire_due_timers()
            if rig.engine.get_execution(arn)["Status"] != "RUNNING":
                token = None
        elif kind == "complete" and ticket is not None:
            output = {"Status": arg} if arg != "junk" else ["junk"]
            assert rig.engine.complete_invocation(ticket, output=output) in (True, False)
            assert (
                rig.engine.complete_invocation(ticket, output=output) is False
            )  # fenced once done
            if token is not None:
                stale.append(token)
            ticket, token = rig.engine.claim_invocation("w", 60, arn), None
            if ticket is not None:
                token = ticket.event["CheckpointToken"]
                assert token not in stale
        violations = tracker.check()
        assert not violations, (kind, violations)


def test_fuzz_made_both_kinds_of_call() -> None:
    """Runs after the fuzz test in this module: it must have exercised both outcomes."""
    if STATS["examples"] == 0:
        return  # run on its own
    print(f"checkpoint fuzz: {STATS}")
    assert STATS["accepted"] > 20 and STATS["rejected"] > 100
