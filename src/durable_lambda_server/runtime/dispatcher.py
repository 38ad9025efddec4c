"""The dispatcher: turns runnable executions into invocations.

Loop: apply due timers, claim runnable invocations (the engine records a lease for each before
the handler starts), run each on a pool thread through an ``Invoker``, record the outcome with
``complete_invocation``. Attempts and backoff of invocations are decided by the engine when an
invocation completes with an error. The dispatcher retries only its own store calls that failed
retryably (busy: 429, disk full: transient 500): recording an outcome is retried with backoff for
up to a lease duration rather than dropped; a fenced or otherwise failed call is not retried.
Every minute of engine time it also deletes a batch of executions past their retention.

Time: with a ``SkippingClock`` and ``skip_time=True`` the dispatcher jumps the clock to the next
due timer whenever nothing is running and nothing is runnable, so waits and retry delays take no
wall time (``durable-lambda run --skip-time``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from durable_lambda_server.engine import Engine, is_retryable
from durable_lambda_server.runtime.invokers import (
    FunctionConfig,
    InvocationRequest,
    InvocationResult,
    Invoker,
)
from durable_lambda_server.runtime.leases import (
    new_owner_id,
    owner_is_provably_dead,
    owner_isolated_handlers,
)
from durable_lambda_server.runtime.outcomes import record_with_retries
from durable_lambda_server.runtime.time_skipping import skip_to_next_timer

__all__ = ["Dispatcher"]

log = logging.getLogger(__name__)

# The loop sleeps until the next timer or lease expiry; wake() (every start, callback answer,
# timer firing and completion in this process: engine listeners) cuts the sleep short. The caps
# only bound how late it notices what nobody announced: work written by other processes sharing
# the database (idle cap), and timers that this process's running invocations schedule with a
# checkpoint (always at least 1 s ahead: waits, step retries, callback timeouts; busy cap).
_IDLE_POLL_SECONDS = 2.0
_BUSY_POLL_SECONDS = 1.0
# Leases are short and renewed while the invocation runs, so the executions of a runtime that
# died (kill -9, power loss) are re-dispatched within seconds by any other dispatcher.
LEASE_SECONDS = 30.0
_RENEW_EVERY_SECONDS = LEASE_SECONDS / 3
_RETENTION_SWEEP_EVERY_MS = 60_000
_RETENTION_BATCH = 100
_MAX_LOG_TAILS = 1000  # LogType=Tail: the latest invocation's log output of this many executions


class Dispatcher:
    """Runs the engine's runnable invocations on a pool of threads, holding a lease on each.

    One dispatcher thread fires timers and claims work; pool threads run the invocations and
    record their outcomes. Several dispatchers (processes) may share one database: leases keep
    each invocation on one of them.
    """

    def __init__(
        self,
        engine: Engine,
        resolve_function: Callable[[str, str], FunctionConfig],
        invoker_for: Callable[[FunctionConfig], Invoker],
        *,
        max_concurrency: int = 16,
        skip_time: bool = False,
    ) -> None:
        """Set up the pool; nothing runs until ``start`` (or ``step``).

        Args:
            engine: The engine to claim invocations from and record outcomes in.
            resolve_function: Maps a ticket's (function name, version) to what an invoker needs.
            invoker_for: Chooses the invoker (thread or worker process) for a function.
            max_concurrency: How many invocations may run at once (the pool's slots).
            skip_time: Jump an adjustable clock to the next timer whenever nothing can run.
        """
        self.engine = engine
        self.resolve_function = resolve_function
        self.invoker_for = invoker_for
        self.max_concurrency = max_concurrency
        self.skip_time = skip_time
        # host:pid:nonce, so a restarted runtime can prove this one dead (runtime/leases.py)
        self.owner = new_owner_id()
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="dl-inv")
        self._wake = threading.Condition()
        self._pending_wake = False
        self._running = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.changed = threading.Condition()  # notified after every recorded completion
        self._watchers: dict[str, list[threading.Event]] = {}  # arn -> set after its completions
        self.errors: list[BaseException] = []
        self._tickets: dict[str, Any] = {}  # lease token -> ticket of each running invocation
        self.log_tails: OrderedDict[str, str] = OrderedDict()
        self._renewer: threading.Thread | None = None
        self._stop_event = threading.Event()
        # Recording an outcome that failed retryably is retried for this long (the lease stays
        # renewed meanwhile; after giving up it expires and the engine counts a failed attempt).
        self.record_retry_seconds = LEASE_SECONDS
        self.record_retries = 0  # retries made so far (tests, diagnostics)
        self._next_sweep_ms: int | None = None  # engine time of the next retention sweep
        engine.add_listener(self.wake)  # engine commits that make work runnable (callbacks, starts)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the dispatcher and lease-renewal threads (once), after freeing dead leases."""
        if self._thread is None:
            self._release_dead_leases()
            self._thread = threading.Thread(target=self._loop, name="dl-dispatcher", daemon=True)
            self._thread.start()
            self._renewer = threading.Thread(target=self._renew_loop, name="dl-lease", daemon=True)
            self._renewer.start()

    def _release_dead_leases(self) -> None:
        """At start, free the leases of runtimes that provably died (killed on this host).

        Their invocations are re-dispatched now instead of after their lease runs out.
        """
        try:
            released = self.engine.release_dead_leases(
                owner_is_provably_dead, forgive=owner_isolated_handlers
            )
        except Exception:  # recovery is an optimisation: expiry still re-dispatches them
            log.warning("releasing the leases of dead runtimes failed", exc_info=True)
            return
        if released:
            log.info("re-dispatching %d invocation(s) of a runtime that died", len(released))

    def _renew_loop(self) -> None:
        """Heartbeats the lease of every running invocation."""
        while not self._stop_event.wait(_RENEW_EVERY_SECONDS):
            for ticket in list(self._tickets.values()):
                try:
                    self.engine.renew_lease(ticket, self._lease_seconds())
                except Exception:  # a busy store: the next round retries well before expiry
                    log.warning("lease renewal failed", exc_info=True)

    def stop(self) -> None:
        """Stop claiming work and wait for the invocations already running to finish."""
        self._stopped = True
        self._stop_event.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._pool.shutdown(wait=True, cancel_futures=False)

    def wake(self) -> None:
        """Something changed (a start, a callback): look for work now instead of at the poll.

        While every slot is busy the loop could not start anything anyway: the wake is only
        noted, and the slot that frees up next (or the pool thread that claims on completing,
        decision 0012) picks the work up. Under a burst of starts this spares the loop a
        thread switch and a round of store reads per start.
        """
        with self._wake:
            self._pending_wake = True
            if self._running < self.max_concurrency or self._stopped:
                self._wake.notify_all()

    def watch(self, arn: str) -> threading.Event:
        """An event set after every recorded invocation outcome of ``arn`` (``unwatch`` it)."""
        event = threading.Event()
        with self._wake:
            self._watchers.setdefault(arn, []).append(event)
        return event

    def unwatch(self, arn: str, event: threading.Event) -> None:
        """Stop setting ``event``, an event returned by ``watch(arn)``."""
        with self._wake:
            events = self._watchers.get(arn)
            if events is not None and event in events:
                events.remove(event)
                if not events:
                    del self._watchers[arn]

    def reserve_slot(self) -> bool:
        """Take one of the dispatcher's slots for an invocation the caller claims itself.

        That is a synchronous Invoke's first invocation, run on its own thread: no dispatcher
        round, no pool hop. False when stopped, not started or all slots are busy.
        """
        with self._wake:
            if self._stopped or self._thread is None or self._running >= self.max_concurrency:
                return False
            self._running += 1
            return True

    def release_slot(self) -> None:
        """Gives back a reserved slot that was not used (nothing was claimed)."""
        with self._wake:
            self._running -= 1
            self._pending_wake = True
            self._wake.notify_all()

    def run_claimed(self, ticket: Any) -> dict[str, Any] | None:
        """Run a ticket claimed in a reserved slot on the calling thread, then free the slot.

        Returns the execution (as ``get_execution``) when this invocation finished it.
        """
        self._tickets[ticket.lease_token] = ticket
        finished: list[dict[str, Any]] = []
        self._run_ticket(ticket, on_terminal=finished.append)
        return finished[0] if finished else None

    # -- one round, usable without the thread (tests, `run`) ----------------------------------
    def step(self) -> bool:
        """Fires timers and launches claimable invocations. Returns True if anything started."""
        self.engine.fire_due_timers()
        self._sweep_retention()
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
        """Whether no invocation of this dispatcher is running."""
        return self._running == 0

    def _sweep_retention(self) -> None:
        """Delete one batch of expired executions per minute of engine time.

        While whole batches come back, the next batch goes at once.
        """
        now = self.engine.clock.now_ms()
        if self._next_sweep_ms is not None and now < self._next_sweep_ms:
            return
        deleted = self.engine.delete_expired_executions(_RETENTION_BATCH)
        self._next_sweep_ms = (
            now if deleted >= _RETENTION_BATCH else now + _RETENTION_SWEEP_EVERY_MS
        )

    def _lease_seconds(self) -> float:
        return LEASE_SECONDS

    def _loop(self) -> None:
        while not self._stopped:
            try:
                started = self.step()
            except Exception as err:  # keep dispatching; record for the tests and the log
                if is_retryable(err):  # busy or transiently failing store: the next round retries
                    log.warning("dispatcher round failed, retrying: %s", err)
                else:
                    log.exception("dispatcher round failed")
                    self.errors.append(err)
                started = False
            if started:
                continue
            if self.skip_time and self._running == 0 and self._advance_clock():
                continue
            self._sleep_until_due()

    def _advance_clock(self) -> bool:
        """Skip-time: jumps the clock to the next timer when nothing can happen before it."""
        return skip_to_next_timer(self.engine)

    def _sleep_until_due(self) -> None:
        timeout = _BUSY_POLL_SECONDS if self._running else _IDLE_POLL_SECONDS
        now = self.engine.clock.now_ms()
        wakeup = self.engine.dispatch_outlook().next_wakeup_ms(now)
        if wakeup is not None:
            timeout = max(0.0, min(timeout, (wakeup - now) / 1000.0))
        with self._wake:
            if not self._pending_wake and not self._stopped:
                self._wake.wait(timeout)
            self._pending_wake = False

    # -- one invocation ------------------------------------------------------------------------
    def _run_ticket(
        self, ticket: Any, on_terminal: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        """Run ``ticket`` and, on a pool thread, the invocations claimed after it.

        Recording an outcome claims the next runnable invocation in the same commit
        (``complete_and_claim``), which then runs on this thread and slot without a round through
        the dispatcher loop.
        """
        try:
            next_ticket: Any = ticket
            while next_ticket is not None:
                chain = on_terminal is None and not self._stopped
                next_ticket = self._run_one(next_ticket, on_terminal, chain=chain)
        finally:
            with self._wake:
                self._running -= 1
                self._pending_wake = True
                self._wake.notify_all()

    def _run_one(
        self, ticket: Any, on_terminal: Callable[[dict[str, Any]], None] | None, *, chain: bool
    ) -> Any:
        """Runs one invocation and records its outcome; returns the ticket claimed with it."""
        started_ms = self.engine.clock.now_ms()
        next_ticket = None
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
                while len(self.log_tails) > _MAX_LOG_TAILS:
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
            outcome = {
                "output": output,
                "error": result.error,
                "started_ms": started_ms,
                "ended_ms": ended_ms,
            }
            if chain:
                next_ticket = self._record_and_claim(ticket, outcome)
            else:
                extra = {} if on_terminal is None else {"on_terminal": on_terminal}
                self._record_outcome(ticket, **outcome, **extra)
        except Exception as err:
            log.exception("recording the invocation outcome failed")
            self.errors.append(err)
        finally:
            self._tickets.pop(ticket.lease_token, None)
            if next_ticket is not None:
                self._tickets[next_ticket.lease_token] = next_ticket
            with self._wake:
                for event in self._watchers.get(ticket.arn, ()):
                    event.set()
            with self.changed:
                self.changed.notify_all()
        return next_ticket

    def _record_and_claim(self, ticket: Any, outcome: dict[str, Any]) -> Any:
        """Record the outcome and claim the next invocation in one commit.

        When that fails retryably, the outcome is recorded alone (with ``_record_outcome``'s
        retries).
        """
        try:
            return self.engine.complete_and_claim(
                ticket, self.owner, self._lease_seconds(), **outcome
            )
        except Exception as err:
            if not is_retryable(err):
                raise
        self._record_outcome(ticket, **outcome)
        return None

    def _record_outcome(self, ticket: Any, **outcome: Any) -> None:
        """Records the outcome, retried while the store fails retryably (``outcomes.py``).

        Retries last up to ``record_retry_seconds`` and not past ``stop``.
        """

        def retried() -> None:
            self.record_retries += 1

        record_with_retries(
            self.engine,
            ticket,
            outcome,
            deadline_seconds=self.record_retry_seconds,
            stop=self._stop_event,
            on_retry=retried,
        )
