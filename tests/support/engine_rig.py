"""The one engine test rig (issue 16): a real ``Engine`` over a real SQLite file in ``tmp_path``,
a ``FakeClock`` that moves only when the test says so, and a function ``fn`` registered.

Unit tests of the engine, the fault tests and the dispatcher tests build on it; each adds only
what it needs (``tests/unit/engine/conftest.py``, ``tests/faults/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from durable_lambda_server.engine import (
    Engine,
    FakeClock,
    FunctionRecord,
    InvocationTicket,
    StartExecution,
)
from durable_lambda_server.store import SqliteStore

__all__ = ["EngineRig"]


class EngineRig:
    """One engine over one SQLite file; time moves only when the test says so."""

    def __init__(self, path: Path, **store_options: Any) -> None:
        self.path = path
        self.clock = FakeClock()
        self.store = SqliteStore(str(path), **store_options)
        self.engine = Engine(self.store, clock=self.clock)
        self.engine.put_function(FunctionRecord(name="fn", handler="app.py:handler"))

    def reopen(self) -> None:
        """Closes the engine and opens a new one on the same file (a restart)."""
        self.engine.close()
        self.store = SqliteStore(str(self.path))
        self.engine = Engine(self.store, clock=self.clock)

    def close(self) -> None:
        self.engine.close()

    def start(self, payload: str | None = '{"k": 1}', name: str | None = None) -> str:
        return self.engine.start_execution(
            StartExecution(function_name="fn", input_payload=payload, execution_name=name)
        ).arn

    def claim(self, arn: str | None = None, owner: str = "test") -> InvocationTicket:
        ticket = self.engine.claim_invocation(owner, 60, arn)
        assert ticket is not None
        return ticket

    def checkpoint(
        self, arn: str, token: str, *updates: dict[str, Any], client_token: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"CheckpointToken": token, "Updates": list(updates)}
        if client_token is not None:
            body["ClientToken"] = client_token
        return self.engine.checkpoint(arn, body)

    def events(self, arn: str) -> list[dict[str, Any]]:
        return list(self.engine.get_history(arn, include_execution_data=True)["Events"])

    def types(self, arn: str) -> list[str]:
        return [e["EventType"] for e in self.engine.get_history(arn)["Events"]]

    def invoke_until_finished(self, arn: str, rounds: int, **outcome: Any) -> None:
        """Claims and completes every attempt with ``outcome`` (``output=`` or ``error=``),
        advancing the clock past each backoff, until the execution ends or ``rounds`` run out."""
        for _ in range(rounds):
            self.engine.fire_due_timers()
            ticket = self.engine.claim_invocation("test", 60)
            if ticket is None:
                if self.engine.get_execution(arn)["Status"] != "RUNNING":
                    return
                self.clock.advance(120_000)
                continue
            self.engine.complete_invocation(ticket, **outcome)
