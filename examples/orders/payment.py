"""A durable payment processor: reserve, then capture, each a checkpointed step."""

from __future__ import annotations

import hashlib
from typing import Any

from durable_lambda import DurableContext, StepContext, durable_execution, durable_step


@durable_step
def reserve(step_context: StepContext, order_id: str, amount: float) -> str:
    step_context.logger.info("reserving funds", extra={"order_id": order_id})
    return "res-" + hashlib.sha1(f"{order_id}:{amount}".encode()).hexdigest()[:10]


@durable_step
def capture(step_context: StepContext, reservation: str) -> str:
    return reservation.replace("res-", "txn-")


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    reservation = context.step(reserve(event["order_id"], event["amount"]))
    transaction_id = context.step(capture(reservation))
    return {"transaction_id": transaction_id}
