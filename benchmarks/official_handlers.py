"""The handlers of ``handlers.py`` written against AWS's SDK (aws_durable_execution_sdk_python
3.0.0), for the official testing library's runner and for the official-SDK variant of S3. Only the
import prefix differs from ``handlers.py``. Importable only with AWS's SDK on the path
(PYTHONPATH=.cache/official).
"""

from __future__ import annotations

import os
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration


@durable_execution
def sequential_steps(event: dict[str, Any], context: DurableContext) -> int:
    total = 0
    for i in range(int(event["n"])):
        total += context.step(lambda _, i=i: i, name=f"s{i}")
    return total


@durable_execution
def map_items(event: dict[str, Any], context: DurableContext) -> int:
    items = list(range(int(event["n"])))
    return sum(context.map(items, lambda ctx, item, index, all_items: item).get_results())


@durable_execution
def parallel_branches(event: dict[str, Any], context: DurableContext) -> int:
    branches = [lambda ctx, i=i: i for i in range(int(event["n"]))]
    return sum(context.parallel(branches).get_results())


@durable_execution
def steps_with_waits(event: dict[str, Any], context: DurableContext) -> int:
    """``n`` trivial steps with a ``wait_seconds`` wait after every ``every`` steps: each wait
    suspends the execution, and the next invocation replays the steps done so far."""
    n, every, seconds = int(event["n"]), int(event["every"]), int(event["wait_seconds"])
    total = 0
    for i in range(n):
        total += context.step(lambda _, i=i: i, name=f"s{i}")
        if (i + 1) % every == 0 and i + 1 < n:
            context.wait(Duration.from_seconds(seconds), name=f"w{i}")
    return total


def _publish_callback_id(callback_id: str, ctx: Any) -> None:
    """The submitter: hands the callback id to "the outside world" (one line appended to the file
    named by BENCH_CALLBACK_FILE; a single small O_APPEND write, safe across processes)."""
    path = os.environ.get("BENCH_CALLBACK_FILE")
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (callback_id + "\n").encode())
        finally:
            os.close(fd)


@durable_execution
def await_callback(event: dict[str, Any], context: DurableContext) -> Any:
    """Suspends on one callback until the benchmark answers it."""
    return context.wait_for_callback(_publish_callback_id, name="approval")
