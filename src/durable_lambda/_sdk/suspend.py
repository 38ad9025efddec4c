"""Suspension helpers (sdk-spec.md §13).

Owns the mapping from "resume after a delay / at a time / never" to the suspension signals of
``durable_lambda.exceptions``. The timestamp carried by ``TimedSuspendExecution`` never reaches
the backend (it re-invokes from its own operation state); only map/parallel coordinators use it
to resume branches in-process.

``waiting_on`` names the operation whose service-side completion would let the suspended code go
on (a wait, callback, chained invoke or step retry). It travels on the exception as
``waiting_on`` (a frozenset of operation ids, or None when unknown), so a map/parallel coordinator
resumes a branch as soon as that operation completes within the same invocation (decision 0015).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from typing import NoReturn

from durable_lambda.exceptions import SuspendExecution, TimedSuspendExecution

__all__ = [
    "suspend_with_optional_resume_delay",
    "suspend_with_optional_resume_timestamp",
    "waiting_on",
    "with_waiting_on",
]


def with_waiting_on(err: SuspendExecution, op_ids: Iterable[str] | None) -> SuspendExecution:
    """Tags ``err`` with the operations it waits on (None: unknown)."""
    err.waiting_on = frozenset(op_ids) if op_ids is not None else None  # type: ignore[attr-defined]
    return err


def waiting_on(err: BaseException) -> frozenset[str] | None:
    """The operations a suspension waits on; None when it does not say."""
    value = getattr(err, "waiting_on", None)
    return value if isinstance(value, frozenset) else None


def suspend_with_optional_resume_delay(
    message: str, delay_seconds: float | None = None, *, waiting_on: str | None = None
) -> NoReturn:
    """``None`` suspends indefinitely; a negative delay resumes "now"."""
    err: SuspendExecution
    if delay_seconds is None:
        err = SuspendExecution(message)
    elif delay_seconds < 0:
        err = TimedSuspendExecution(message, time.time())
    else:
        err = TimedSuspendExecution.from_delay(message, delay_seconds)
    raise with_waiting_on(err, (waiting_on,) if waiting_on is not None else None)


def suspend_with_optional_resume_timestamp(
    message: str, timestamp: datetime.datetime | None = None, *, waiting_on: str | None = None
) -> NoReturn:
    """``None`` suspends indefinitely; a timestamp in the past resumes "now"."""
    err: SuspendExecution
    if timestamp is None:
        err = SuspendExecution(message)
    else:
        err = TimedSuspendExecution(message, max(time.time(), timestamp.timestamp()))
    raise with_waiting_on(err, (waiting_on,) if waiting_on is not None else None)
