"""Handler that waits for an external callback (answered from the CLI in the test)."""

from __future__ import annotations

from typing import Any

from durable_lambda import DurableContext, durable_execution


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    answer = context.wait_for_callback(lambda callback_id, ctx: None, name="approval")
    return {"answer": answer}
