"""The invocation-timeout watchdog: one thread, callbacks run once when due, never after cancel."""

from __future__ import annotations

import threading

from durable_lambda_server.runtime.watchdog import Watchdog


def test_due_callback_runs_and_cancelled_one_does_not() -> None:
    dog = Watchdog()
    fired = threading.Event()
    cancelled_ran = threading.Event()
    keep = dog.schedule(3600, cancelled_ran.set)
    dropped = [dog.schedule(3600, cancelled_ran.set) for _ in range(200)]
    for entry in dropped:
        dog.cancel(entry)
    dog.schedule(0.01, fired.set)  # earlier than the rest: wakes the thread
    assert fired.wait(10)
    assert not cancelled_ran.is_set()
    assert dog.pending() == 1
    dog.cancel(keep)
    dog.cancel(keep)  # twice is harmless
    assert dog.pending() == 0


def test_a_failing_callback_does_not_stop_the_watchdog() -> None:
    dog = Watchdog()
    fired = threading.Event()

    def boom() -> None:
        raise RuntimeError("boom")

    dog.schedule(0, boom)
    dog.schedule(0.01, fired.set)
    assert fired.wait(10)
