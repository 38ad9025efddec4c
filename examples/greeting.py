"""A small durable workflow: steps, a retry, a child context and a durable wait.

Run it:

    durable-lambda run examples/greeting.py:handler --input '{"user_id": "u-42", "name": "Ada"}'

Every step's result is checkpointed in the embedded SQLite store. The wait suspends the
execution; when the timer fires the handler runs again from the top and the finished steps are
replayed from their checkpoints instead of running again.
"""

from __future__ import annotations

from typing import Any

from durable_lambda import DurableContext, StepContext, durable_execution, durable_step
from durable_lambda.config import Duration, StepConfig
from durable_lambda.retries import RetryStrategyConfig, create_retry_strategy


@durable_step
def load_profile(step_context: StepContext, user_id: str, name: str) -> dict[str, Any]:
    step_context.logger.info("loading profile", extra={"user_id": user_id})
    return {"user_id": user_id, "name": name, "tier": "gold"}


@durable_step
def send_greeting(step_context: StepContext, profile: dict[str, Any]) -> dict[str, Any]:
    # The first attempt fails on purpose to show a durable retry with backoff.
    if step_context.attempt == 1:
        raise ConnectionError("mail relay busy, try again")
    return {"sent_to": profile["user_id"], "attempt": step_context.attempt}


def compose(context: DurableContext, profile: dict[str, Any]) -> str:
    title = context.step(lambda _: "Dear" if profile["tier"] == "gold" else "Hi", name="title")
    return f"{title} {profile['name']}, welcome back!"


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    profile = context.step(load_profile(event["user_id"], event.get("name", "friend")))
    message = context.run_in_child_context(lambda ctx: compose(ctx, profile), name="compose")
    context.wait(Duration.from_seconds(2), name="cool-off")
    receipt = context.step(
        send_greeting(profile),
        config=StepConfig(
            retry_strategy=create_retry_strategy(
                RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1))
            )
        ),
    )
    return {"message": message, "receipt": receipt}
