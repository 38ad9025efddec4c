from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from durable_lambda_server.engine import (
    Engine,
    FakeClock,
    FunctionRecord,
    InvocationTicket,
    StartExecution,
)
from durable_lambda_server.store import open_store


class Harness:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.clock = FakeClock()
        self.engine = Engine(open_store(str(path)), clock=self.clock)
        self.engine.put_function(FunctionRecord(name="fn", handler="app.py:handler"))

    def reopen(self) -> None:
        self.engine.close()
        self.engine = Engine(open_store(str(self.path)), clock=self.clock)

    def start(self, payload: str | None = '{"k": 1}', name: str | None = None) -> str:
        return self.engine.start_execution(
            StartExecution(function_name="fn", input_payload=payload, execution_name=name)
        ).arn

    def claim(self, arn: str | None = None) -> InvocationTicket:
        ticket = self.engine.claim_invocation("test", 60, arn)
        assert ticket is not None
        return ticket

    def checkpoint(
        self, ticket: InvocationTicket, token: str, *updates: dict[str, Any]
    ) -> dict[str, Any]:
        return self.engine.checkpoint(
            ticket.arn, {"CheckpointToken": token, "Updates": list(updates)}
        )

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

    def events(self, arn: str) -> list[dict[str, Any]]:
        return list(self.engine.get_history(arn, include_execution_data=True)["Events"])

    def types(self, arn: str) -> list[str]:
        return [e["EventType"] for e in self.events(arn)]


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path / "state.db")


def step(op_id: str, action: str, **extra: Any) -> dict[str, Any]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **extra}
