"""Handler for the kill-and-resume test: records every real step execution in a file."""

from __future__ import annotations

import os
from typing import Any

from durable_lambda import DurableContext, durable_execution
from durable_lambda.config import Duration


def _record(name: str) -> str:
    with open(os.environ["DL_TEST_MARKS"], "a") as f:
        f.write(name + "\n")
    return name


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> list[str]:
    a = context.step(lambda _: _record("a"), name="a")
    b = context.step(lambda _: _record("b"), name="b")
    context.wait(Duration.from_seconds(int(event.get("wait", 3))), name="pause")
    c = context.step(lambda _: _record("c"), name="c")
    return [a, b, c]
