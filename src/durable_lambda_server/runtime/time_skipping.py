"""Time skipping (``durable-lambda run --skip-time``, the testing runners).

When nothing can happen before the next timer, the engine's clock jumps to it, so waits and
retry delays cost no wall time.
"""

from __future__ import annotations

from durable_lambda_server.engine import AdjustableClock, Engine
from durable_lambda_server.store import TimerKind

__all__ = ["SKIPPABLE_TIMERS", "skip_to_next_timer"]

# Skip-time jumps straight to these timers; an execution-timeout timer only when no invocation
# holds a live lease anywhere (its execution may still be about to checkpoint).
SKIPPABLE_TIMERS = frozenset(
    {
        TimerKind.WAIT,
        TimerKind.RETRY,
        TimerKind.CALLBACK_TIMEOUT,
        TimerKind.CALLBACK_HEARTBEAT,
        TimerKind.INVOCATION_RETRY,
    }
)


def skip_to_next_timer(engine: Engine) -> bool:
    """Jumps the engine's clock to the next timer when nothing can happen before it.

    Returns True when a timer is due now (after the jump), False when work is runnable or
    nothing may skip.

    Runnable work and the next timer are read in one snapshot, right before the jump: an
    execution started after the dispatcher's last claims is either in that snapshot (runnable:
    no jump) or not (its timers are not either), so a just-started execution never jumps to its
    own execution timeout before its first invocation ran.
    """
    clock = engine.clock
    if not isinstance(clock, AdjustableClock):
        return False
    outlook = engine.dispatch_outlook()
    timer = outlook.next_timer
    if outlook.runnable or timer is None:
        return False
    if timer.kind not in SKIPPABLE_TIMERS and outlook.next_lease_expiry_ms is not None:
        return False  # an invocation is in flight somewhere: only its own timers may skip
    if timer.due_ms > clock.now_ms():
        clock.advance_to(timer.due_ms)
    return True
