"""Elastic runner threads for the admitted branches of one map/parallel batch.

Owns the threads that execute branches; the coordinator (``concurrency.py``) still owns
admission (index order, ``max_concurrency`` in flight) and every completion decision. See
docs/decisions/0006-map-fast-path.md.

One runner takes admitted branches one after another, so branches that never wait cost no
thread hand-off each. A further runner (up to ``cap``) starts when
- a busy runner is about to block in a wait the SDK knows of (``blocking.about_to_block``: a
  synchronous checkpoint, a step's user function, a nested batch) while branches are pending;
- the coordinator sees no branch start or finish for ``_STALL_SECONDS`` while branches are
  pending and no runner is idle (a branch body blocking in user code): it then doubles the
  runners.
So admitted branches that block still wait concurrently, as with one thread per branch.

Invariants: branches start in admission order; once ``close`` ran no further branch starts
(pending ones are dropped, like cancelled futures) and no runner is spawned; ``join`` returns
only after every runner thread ended.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from durable_lambda._sdk.blocking import about_to_block, set_block_hook

__all__ = ["BranchRunners"]

B = TypeVar("B")
E = TypeVar("E")

# How long the coordinator lets pending branches wait on runners that make no progress before
# it adds runners. Short enough that blocking branch bodies still overlap almost at once.
_STALL_SECONDS = 0.002


class BranchRunners(Generic[B, E]):
    """Runs ``run(branch)`` for submitted branches; their results are read with ``next_events``."""

    def __init__(
        self,
        run: Callable[[B], E],
        on_crash: Callable[[B, BaseException], E],
        cap: int,
        thread_name: str = "dex-branch",
    ) -> None:
        self._run = run
        self._on_crash = on_crash
        self._cap = max(1, cap)
        self._thread_name = thread_name
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # runners wait here for branches
        self._done = threading.Condition(self._lock)  # the coordinator waits here for events
        self._ready: deque[B] = deque()
        self._events: deque[E] = deque()
        self._threads: list[threading.Thread] = []
        self._live = 0
        self._idle = 0
        self._progress = 0  # branch starts + finishes: the stall check's clock
        self._waiting = False
        self._closed = False

    # ------------------------------------------------------------------ coordinator side

    def submit(self, branches: list[B]) -> None:
        """Queues admitted branches, in order.

        One lock round covers all of them: the coordinator of a 1,000-item map admits them at
        once while a runner is already taking them.
        """
        if not branches:
            return
        with self._lock:
            if self._closed:
                return
            self._ready.extend(branches)
            if self._idle:
                self._work.notify(len(branches))
            elif self._live == 0:
                self._spawn(1)

    def next_events(self) -> list[E]:
        """Returns the branch outcomes reported so far, in completion order.

        Blocks until there is at least one. Taking them all at once saves a lock round per branch.
        """
        with self._lock:
            if self._events:
                return self._take_events()
        # The coordinator is about to wait: if it runs as a branch of an outer batch, that
        # batch may hand its pending branches to another runner meanwhile.
        about_to_block()
        with self._lock:
            while not self._events:
                watch = bool(self._ready) and self._idle == 0 and self._live < self._cap
                before = self._progress
                self._waiting = True
                try:
                    self._done.wait(_STALL_SECONDS if watch else None)
                finally:
                    self._waiting = False
                if (
                    watch
                    and not self._events
                    and self._progress == before
                    and self._ready
                    and self._idle == 0
                ):
                    self._spawn(max(1, self._live))
            return self._take_events()

    def post(self, event: E) -> None:
        """Adds an event that did not come from a branch; safe from any thread.

        It wakes the coordinator like a branch outcome would.
        """
        with self._lock:
            self._events.append(event)
            if self._waiting:
                self._done.notify()

    def _take_events(self) -> list[E]:
        events = list(self._events)
        self._events.clear()
        return events

    def close(self) -> None:
        """Drops branches not started yet and lets idle runners end."""
        with self._lock:
            self._closed = True
            self._ready.clear()
            self._work.notify_all()

    def join(self) -> None:
        self.close()
        while True:
            with self._lock:
                threads, self._threads = self._threads, []
            if not threads:
                return
            for thread in threads:
                thread.join()

    # ------------------------------------------------------------------ runner side

    def _spawn(self, count: int) -> None:
        """Starts up to ``count`` runners (caller holds the lock)."""
        for _ in range(min(count, self._cap - self._live)):
            thread = threading.Thread(
                target=self._runner,
                name=f"{self._thread_name}-{len(self._threads)}",
                daemon=True,
            )
            self._live += 1
            self._threads.append(thread)
            thread.start()

    def _on_block(self) -> None:
        with self._lock:
            if self._ready and self._idle == 0 and not self._closed:
                self._spawn(1)

    def _next_branch(self, finished: E | None = None) -> B | None:
        """Reports the branch this runner ``finished`` and takes the next admitted one.

        Both happen in one lock round; returns None once the runners are closed.
        """
        with self._lock:
            if finished is not None:
                self._events.append(finished)
                self._progress += 1
                if self._waiting:
                    self._done.notify()
            while not self._ready:
                if self._closed:
                    return None
                self._idle += 1
                try:
                    self._work.wait()
                finally:
                    self._idle -= 1
            self._progress += 1
            return self._ready.popleft()

    def _runner(self) -> None:
        set_block_hook(self._on_block)
        try:
            event: Any = None
            while True:
                branch = self._next_branch(event)
                if branch is None:
                    return
                try:
                    event = self._run(branch)
                except BaseException as err:  # reported, never lost: the coordinator decides
                    event = self._on_crash(branch, err)
        finally:
            set_block_hook(None)
            with self._lock:
                self._live -= 1
