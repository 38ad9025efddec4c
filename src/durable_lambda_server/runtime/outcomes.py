"""Recording an invocation's outcome while the store is busy or failing for a moment.

The outcome is retried with backoff instead of dropped: a dropped outcome would cost the
execution a lease expiry and a charged attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from durable_lambda_server.engine import Engine, InvocationTicket, is_retryable

__all__ = ["record_with_retries"]

log = logging.getLogger("durable_lambda_server.runtime")


def record_with_retries(
    engine: Engine,
    ticket: InvocationTicket,
    outcome: dict[str, Any],
    *,
    deadline_seconds: float,
    stop: threading.Event,
    on_retry: Callable[[], None],
) -> None:
    """Calls ``engine.complete_invocation(ticket, **outcome)`` until it is recorded.

    Retryable failures are retried with backoff (50 ms doubling to 2 s) for up to
    ``deadline_seconds``; other errors are raised at once. When ``stop`` is set, one last try is
    made; after that the lease expiry re-dispatches the execution.
    """
    deadline = time.monotonic() + deadline_seconds
    delay = 0.05
    while True:
        try:
            engine.complete_invocation(ticket, **outcome)
            return
        except Exception as err:
            if not is_retryable(err) or time.monotonic() + delay > deadline:
                raise
            log.warning(
                "recording the outcome of %s failed, retrying in %.2f s: %s",
                ticket.arn,
                delay,
                err,
            )
            on_retry()
        if stop.wait(delay):
            engine.complete_invocation(ticket, **outcome)  # stopping: one last try
            return
        delay = min(delay * 2, 2.0)
