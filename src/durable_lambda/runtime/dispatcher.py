"""The dispatcher: turns runnable executions into invocations.

Loop: apply due timers, claim runnable invocations (the engine records a lease for each before
the handler starts), run each on a pool thread through an ``Invoker``, record the outcome with
``complete_invocation``. Nothing here retries behind the engine's back: attempts and backoff are
decided by the engine when an invocation completes with an error.

Time: with a ``SkippingClock`` and ``skip_time=True`` the dispatcher jumps the clock to the next
due timer whenever nothing is running and nothing is runnable, so waits and retry delays take no
wall time (``durable-lambda run --skip-time``).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from durable_lambda.runtime.invokers import (
    FunctionConfig,
    InvocationRequest,
    InvocationResult,
    Invoker,
)

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)

_IDLE_POLL_SECONDS = 0.25
# Leases are short and renewed while the invocation runs, so the executions of a runtime that
# died (kill -9, power loss) are re-dispatched within seconds by any other dispatcher.
LEASE_SECONDS = 30.0
_RENEW_EVERY_SECONDS = LEASE_SECONDS / 3


class Dispatcher:
    def __init__(
        self,
        engine: Any,
        resolve_function: Callable[[str, str], FunctionConfig],
        invoker_for: Callable[[FunctionConfig], Invoker],
        *,
        max_concurrency: int = 16,
        skip_time: bool = False,
    ) -> None:
        self.engine = engine
        self.resolve_function = resolve_function
        self.invoker_for = invoker_for
        self.max_concurrency = max_concurrency
        self.skip_time = skip_time
        self.owner = f"dispatcher-{uuid.uuid4().hex[:12]}"
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="dl-inv")
        self._wake = threading.Condition()
        self._pending_wake = False
        self._running = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.changed = threading.Condition()  # notified after every recorded completion
        self.errors: list[BaseException] = []
        self._tickets: dict[str, Any] = {}  # lease token -> ticket of each running invocation
        # The log output of each execution's latest invocation (LogType=Tail), newest 1,000 kept.
        self.log_tails: OrderedDict[str, str] = OrderedDict()
        self._renewer: threading.Thread | None = None
        self._stop_event = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="dl-dispatcher", daemon=True)
            self._thread.start()
            self._renewer = threading.Thread(target=self._renew_loop, name="dl-lease", daemon=True)
            self._renewer.start()

    def _renew_loop(self) -> None:
        """Heartbeats the lease of every running invocation."""
        while not self._stop_event.wait(_RENEW_EVERY_SECONDS):
            for ticket in list(self._tickets.values()):
                try:
                    self.engine.renew_lease(ticket, self._lease_seconds())
                except Exception:  # a busy store: the next round retries well before expiry
                    log.warning("lease renewal failed", exc_info=True)

    def stop(self) -> None:
        self._stopped = True
        self._stop_event.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=False)

    def wake(self) -> None:
        """Something changed (a start, a callback): look for work now instead of at the poll."""
        with self._wake:
            self._pending_wake = True
            self._wake.notify_all()

    # -- one round, usable without the thread (tests, `run`) ----------------------------------
    def step(self) -> bool:
        """Fires timers and launches claimable invocations. Returns True if anything started."""
        self.engine.fire_due_timers()
        started = False
        while self._running < self.max_concurrency:
            ticket = self.engine.claim_invocation(self.owner, self._lease_seconds())
            if ticket is None:
                break
            started = True
            with self._wake:
                self._running += 1
            self._tickets[ticket.lease_token] = ticket
            self._pool.submit(self._run_ticket, ticket)
        return started

    def idle(self) -> bool:
        return self._running == 0

    def _lease_seconds(self) -> float:
        return LEASE_SECONDS

    def _loop(self) -> None:
        while not self._stopped:
            try:
                started = self.step()
            except Exception as err:  # keep dispatching; record for the tests and the log
                log.exception("dispatcher round failed")
                self.errors.append(err)
                started = False
            if started:
                continue
            if self.skip_time and self._running == 0 and self._advance_clock():
                continue
            self._sleep_until_due()

    def _advance_clock(self) -> bool:
        due = self.engine.next_due_ms()
        clock = getattr(self.engine, "clock", None)
        if due is None or clock is None or not hasattr(clock, "advance_to"):
            return False
        if due > clock.now_ms():
            clock.advance_to(due)
        return True

    def _sleep_until_due(self) -> None:
        timeout = _IDLE_POLL_SECONDS
        due = self.engine.next_due_ms()
        if due is not None:
            now = self.engine.clock.now_ms()
            timeout = max(0.0, min(timeout, (due - now) / 1000.0))
        with self._wake:
            if not self._pending_wake and not self._stopped:
                self._wake.wait(timeout)
            self._pending_wake = False

    # -- one invocation ------------------------------------------------------------------------
    def _run_ticket(self, ticket: Any) -> None:
        started_ms = self.engine.clock.now_ms()
        try:
            function = self.resolve_function(ticket.function_name, ticket.version)
            request = InvocationRequest(
                function=function,
                event=ticket.event,
                request_id=ticket.request_id,
                deadline_ms=int(time.time() * 1000) + function.timeout_seconds * 1000,
            )
            result = self.invoker_for(function).invoke(request, self.engine)
        except Exception as err:  # resolving or starting the invoker failed: an invocation error
            log.exception("invocation could not run")
            result = InvocationResult(
                error={"ErrorType": "Runtime.InvalidEntrypoint", "ErrorMessage": str(err)}
            )
        ended_ms = self.engine.clock.now_ms()
        if result.log_tail is not None:
            with self._wake:
                self.log_tails[ticket.arn] = result.log_tail
                self.log_tails.move_to_end(ticket.arn)
                while len(self.log_tails) > 1000:
                    self.log_tails.popitem(last=False)
        try:
            output = result.output if result.error is None else None
            if ticket.durable and output is not None and not isinstance(output, dict):
                result = InvocationResult(
                    error={
                        "ErrorType": "Runtime.InvalidResponse",
                        "ErrorMessage": "durable handler returned a non-object response",
                    }
                )
                output = None
            self.engine.complete_invocation(
                ticket, output=output, error=result.error, started_ms=started_ms, ended_ms=ended_ms
            )
        except Exception as err:
            log.exception("recording the invocation outcome failed")
            self.errors.append(err)
        finally:
            self._tickets.pop(ticket.lease_token, None)
            with self._wake:
                self._running -= 1
                self._pending_wake = True
                self._wake.notify_all()
            with self.changed:
                self.changed.notify_all()
