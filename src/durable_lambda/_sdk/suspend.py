"""Suspension helpers (sdk-spec.md §13).

Owns the mapping from "resume after a delay / at a time / never" to the suspension signals of
``durable_lambda.exceptions``. The timestamp carried by ``TimedSuspendExecution`` never reaches
the backend (it re-invokes from its own operation state); only map/parallel coordinators use it
to resume branches in-process.
"""

from __future__ import annotations

import datetime
import time
from typing import NoReturn

from durable_lambda.exceptions import SuspendExecution, TimedSuspendExecution

__all__ = ["suspend_with_optional_resume_delay", "suspend_with_optional_resume_timestamp"]


def suspend_with_optional_resume_delay(
    message: str, delay_seconds: float | None = None
) -> NoReturn:
    """``None`` suspends indefinitely; a negative delay resumes "now"."""
    if delay_seconds is None:
        raise SuspendExecution(message)
    if delay_seconds < 0:
        raise TimedSuspendExecution(message, time.time())
    raise TimedSuspendExecution.from_delay(message, delay_seconds)


def suspend_with_optional_resume_timestamp(
    message: str, timestamp: datetime.datetime | None = None
) -> NoReturn:
    """``None`` suspends indefinitely; a timestamp in the past resumes "now"."""
    if timestamp is None:
        raise SuspendExecution(message)
    now = time.time()
    raise TimedSuspendExecution(message, max(now, timestamp.timestamp()))
