"""A plain (non-durable) Lambda handler: validates an order."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    amount = event.get("amount")
    if not isinstance(amount, int | float) or amount <= 0:
        return {"valid": False, "reason": "amount must be a positive number"}
    if amount > 10_000:
        return {"valid": False, "reason": "amount exceeds the approval limit"}
    return {"valid": True}
