"""The worker call server (runtime/call_server.py) with real pipes, a real engine and store."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

from durable_lambda_server.engine import Engine, FakeClock, FunctionRecord, StartExecution
from durable_lambda_server.runtime.call_server import CallServer, Job
from durable_lambda_server.store import open_store


class _LateArrivals(Engine):
    """The real engine; while it answers the first checkpoint, other workers' calls arrive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_first_checkpoint: list[Any] = []

    def checkpoint(self, arn: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().checkpoint(arn, body)
        finally:
            arrivals, self.on_first_checkpoint = self.on_first_checkpoint, []
            for send in arrivals:
                send()


def _step(op_id: str) -> list[dict[str, Any]]:
    step = {"Id": op_id, "Type": "STEP", "SubType": "Step"}
    return [{**step, "Action": "START"}, {**step, "Action": "SUCCEED", "Payload": "1"}]


def test_calls_that_arrive_while_a_group_runs_join_its_commit(tmp_path: Path) -> None:
    engine = _LateArrivals(open_store(str(tmp_path / "s.db")), clock=FakeClock())
    engine.put_function(FunctionRecord(name="fn", handler="app.py:handler"))
    tickets = []
    for i in range(3):
        engine.start_execution(
            StartExecution(function_name="fn", input_payload="{}", execution_name=f"e{i}")
        )
        ticket = engine.claim_invocation("test", 60)
        assert ticket is not None
        tickets.append(ticket)
    pipes = [multiprocessing.Pipe() for _ in tickets]  # (server end, worker end)

    def send(i: int) -> None:
        body = {"CheckpointToken": tickets[i].event["CheckpointToken"], "Updates": _step(f"s{i}")}
        pipes[i][1].send(("call", "checkpoint", (tickets[i].arn, body), {}))

    engine.on_first_checkpoint = [lambda: send(1), lambda: send(2)]
    calls = CallServer()
    waiters = [
        threading.Thread(
            target=calls.run, args=(Job(pipes[i][0], engine, tickets[i].arn),), daemon=True
        )
        for i in range(3)
    ]
    for waiter in waiters:
        waiter.start()
    deadline = (
        time.monotonic() + 10
    )  # all three pipes watched (and the wake pipe) before the first call
    while len(calls._selector.get_map()) < 4:
        assert time.monotonic() < deadline, "the call server did not take the jobs"
        time.sleep(0.001)
    send(0)
    replies = [pipes[i][1].recv() for i in range(3)]
    assert [kind for kind, _ in replies] == ["ok", "ok", "ok"]
    assert calls.batches == 1 and calls.calls == 3  # one shared commit answered all three
    for i, ticket in enumerate(tickets):
        ops = engine.get_execution_state(ticket.arn, replies[i][1]["CheckpointToken"])["Operations"]
        assert f"s{i}" in {op["Id"] for op in ops}
    for i in range(3):
        pipes[i][1].send(("done", None))
    for waiter in waiters:
        waiter.join(5)
        assert not waiter.is_alive()
    engine.close()
