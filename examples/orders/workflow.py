"""Order workflow: a durable function that invokes a validation function and a payment function.

Run it (registers the two targets in the same state file, then runs the workflow):

    durable-lambda run examples/orders/workflow.py:handler \
        --function validate-order-function=examples/orders/validate.py:handler \
        --function payment-processor-function=examples/orders/payment.py:handler \
        --input '{"order_id": "o-1", "amount": 42.5}'

Each ``context.invoke`` checkpoints its start and suspends this function; the target runs (the
validation function as one plain invocation, the payment function as its own durable execution)
and the workflow resumes with the result. Failed targets surface as a catchable ``InvokeError``.
"""

from __future__ import annotations

from typing import Any

from durable_lambda import DurableContext, durable_execution
from durable_lambda.exceptions import InvokeError


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    order = {"order_id": event["order_id"], "amount": event["amount"]}
    validation = context.invoke("validate-order-function", order, name="validate-order")
    if not validation["valid"]:
        return {"status": "rejected", "reason": validation["reason"]}
    try:
        payment = context.invoke("payment-processor-function", order, name="process-payment")
    except InvokeError as err:
        return {"status": "payment-failed", "reason": err.message}
    return {"status": "completed", "transaction_id": payment["transaction_id"]}
