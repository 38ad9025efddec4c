"""Timers: what each kind does when it falls due.

The kinds: waits, step retries, callback and heartbeat timeouts, invocation retries and
execution timeouts.

``fire_due_timers`` reads the due list, then re-checks each timer under the write lock (a heartbeat
may have moved it, an answer or another dispatcher removed it) and applies it in its own
transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from durable_lambda_server.engine.completions import (
    CALLBACK_HEARTBEAT,
    CALLBACK_TIMEOUT,
    EXECUTION_TIMEOUT,
    complete_operation,
    finish_execution,
)
from durable_lambda_server.engine.effects import after_commit
from durable_lambda_server.engine.execution_writer import ExecutionWriter
from durable_lambda_server.engine.resources import EngineResources
from durable_lambda_server.store.base import TimerKind, TimerRow
from durable_lambda_server.wire.vocabulary import EventType, ExecutionStatus

__all__ = ["apply_timer", "fire_due_timers"]


# -- timers ------------------------------------------------------------------------------
def fire_due_timers(r: EngineResources, limit: int = 100) -> int:
    """Applies up to ``limit`` timers due now, each in its own transaction; returns how many."""
    now = r.clock.now_ms()
    with r.read() as tx:
        due = tx.due_timers(now, limit)
    fired = 0
    for timer in due:
        with r.write() as tx:
            # Re-read under the write lock: a heartbeat may have moved the timer, a callback
            # answer or another dispatcher may have removed it since the due list was read.
            due_ms = tx.timer_due_ms(timer.arn, timer.op_id, timer.kind)
            if due_ms is None or due_ms > now:
                continue
            ex = tx.get_execution(timer.arn)
            if ex is None or ex.status != "RUNNING":
                tx.cancel_timers(timer.arn, timer.op_id, [timer.kind])
                continue
            w = ExecutionWriter(tx, ex, now, r.ids)
            apply_timer(w, timer)
            w.flush()
        fired += 1
        after_commit(r, w, timer.arn, notify=False)
    if fired:
        r.notify()
    return fired


def _execution_timed_out(w: ExecutionWriter, timer: TimerRow) -> None:
    finish_execution(w, ExecutionStatus.TIMED_OUT, error=EXECUTION_TIMEOUT)


def _invocation_retry_due(w: ExecutionWriter, timer: TimerRow) -> None:
    w.changes["needs_invoke"] = 1


def _wait_elapsed(w: ExecutionWriter, timer: TimerRow) -> None:
    op = w.get_op(timer.op_id)
    if op is None or op["Status"] != "STARTED":
        return
    scheduled = int((op.get("WaitDetails") or {}).get("ScheduledEndTimestamp", w.now))
    seconds = max(0, round((scheduled - int(op.get("StartTimestamp", scheduled))) / 1000))
    complete_operation(
        w,
        op,
        "SUCCEEDED",
        EventType.WAIT_SUCCEEDED,
        details_key="WaitDetails",
        details={"Duration": seconds},
    )


def _retry_due(w: ExecutionWriter, timer: TimerRow) -> None:
    op = w.get_op(timer.op_id)
    if op is None or op["Status"] != "PENDING":
        return
    # PENDING -> READY writes no event (conformance.md §8.1); the invocation that follows does.
    w.put_op(dict(op, Status="READY"), new=False)
    w.service_change()


def _callback_timed_out(w: ExecutionWriter, timer: TimerRow) -> None:
    op = w.get_op(timer.op_id)
    if op is None or op["Status"] != "STARTED":
        return
    error = CALLBACK_TIMEOUT if timer.kind == TimerKind.CALLBACK_TIMEOUT else CALLBACK_HEARTBEAT
    complete_operation(
        w, op, "TIMED_OUT", EventType.CALLBACK_TIMED_OUT, details_key="CallbackDetails", error=error
    )


_APPLY: dict[str, Callable[[ExecutionWriter, TimerRow], None]] = {
    TimerKind.EXECUTION_TIMEOUT: _execution_timed_out,
    TimerKind.INVOCATION_RETRY: _invocation_retry_due,
    TimerKind.WAIT: _wait_elapsed,
    TimerKind.RETRY: _retry_due,
    TimerKind.CALLBACK_TIMEOUT: _callback_timed_out,
    TimerKind.CALLBACK_HEARTBEAT: _callback_timed_out,
}
assert set(_APPLY) == set(TimerKind)  # every kind has its transition


def apply_timer(w: ExecutionWriter, timer: TimerRow) -> None:
    """Applies a due timer (removed first): the transition of its ``TimerKind``."""
    w.tx.cancel_timers(w.ex.arn, timer.op_id, [timer.kind])
    _APPLY[timer.kind](w, timer)
