"""One thread answers the engine calls of every busy worker process (decision 0008).

A worker runs one invocation at a time and talks to the parent over its pipe: ``("call",
method, args, kwargs)`` for the SDK's two backend calls, then ``("done", result)``. Before,
the dispatcher's pool thread that launched the invocation served its pipe, so every checkpoint
woke that thread, queued it for the store's write lock and woke it again for the commit: a
dozen thread switches per step under load. Here the pool thread only waits for the outcome;
one thread watches every busy pipe (epoll), reads what is ready, runs all the calls it read in
one shared store commit (``Engine.shared_commit``), and only then answers them, so an answer
still means "on disk".

Invariants:
- Only this thread reads from or writes to a busy worker's pipe; the pool thread writes the
  ``invoke`` message before it hands the pipe over, and gets it back with the outcome.
- A call is answered after the commit that holds its writes; if that commit fails, every call
  in it gets the store's error (none of their writes was kept).
- A worker may call only ``checkpoint`` and ``get_execution_state``, only on the execution its
  invocation belongs to (the first argument); anything else is refused with a 403.
- A worker that hangs up (crash, kill, timeout) ends its job as "exited"; the pool thread then
  reads the exit status (which may wait for the process) off this thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ALLOWED_CALLS", "CallServer", "Job", "error_reply"]

log = logging.getLogger(__name__)

# The only engine methods a worker may call through its pipe: the SDK's two backend calls.
ALLOWED_CALLS = frozenset({"checkpoint", "get_execution_state"})
MAX_GROUP = 64  # calls answered by one shared commit


@dataclass(eq=False)
class Job:
    """One invocation in flight on one worker's pipe."""

    conn: Any  # multiprocessing Connection
    engine: Any
    execution_arn: str | None  # the only execution this worker may call about
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Any = None  # the worker's InvocationResult, or None when the worker exited
    exited: bool = False

    def finish(self, outcome: Any, *, exited: bool = False) -> None:
        """Record how the invocation ended and wake the pool thread waiting in ``run``."""
        self.outcome, self.exited = outcome, exited
        self.done.set()


def error_reply(err: BaseException) -> tuple[str, dict[str, Any]]:
    """The ``("err", {...})`` pipe reply for ``err``: status, Lambda error type and message.

    The worker raises it as a ``RemoteApiError``, so the SDK classifies it as it would the same
    error over HTTP.
    """
    return (
        "err",
        {
            "status": int(getattr(err, "status", 500)),
            "type": getattr(err, "error_type", None) or type(err).__name__,
            "message": getattr(err, "message", None) or str(err),
        },
    )


class CallServer:
    """The thread serving busy workers' pipes; started on first use, a daemon."""

    def __init__(self) -> None:
        """Set up the selector and wake-up pipe; the thread itself starts on the first ``run``."""
        self._lock = threading.Lock()
        self._incoming: list[Job] = []  # handed over, not yet registered by the thread
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None
        # Calls read while draining for another engine's group: answered in the next round.
        self._deferred: list[tuple[Job, tuple[Any, ...]]] = []
        self.batches = 0  # diagnostics: shared commits made, and calls answered in them
        self.calls = 0

    def run(self, job: Job) -> Job:
        """Hands ``job``'s pipe to the thread and waits until the worker is done or gone."""
        with self._lock:
            self._incoming.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="dl-calls", daemon=True)
                self._thread.start()
        self._poke()
        job.done.wait()
        return job

    def _poke(self) -> None:
        # The pipe may be full of pokes already: then the thread will wake anyway.
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"x")

    # -- the thread ------------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            try:
                ready, _ = self._read_ready(0 if self._deferred else None)
            except Exception:  # pragma: no cover - nothing in the loop should raise
                log.exception("worker call server: select failed")
                continue
            calls, self._deferred = self._deferred + ready, []
            if calls:
                try:
                    self._answer(calls)
                except Exception:  # pragma: no cover - a bug here must not stall every worker
                    log.exception("worker call server: answering failed")
                    for job, _ in calls:
                        self._release(job, None, exited=True)

    def _read_ready(self, timeout: float | None) -> tuple[list[tuple[Job, tuple[Any, ...]]], bool]:
        """The calls of the pipes ready within ``timeout``, and whether jobs were handed over.

        Finished jobs are released on the way; jobs handed over meanwhile are watched from now on.
        """
        calls: list[tuple[Job, tuple[Any, ...]]] = []
        took_incoming = False
        for key, _ in self._selector.select(timeout):
            job = key.data
            if job is None:
                self._take_incoming()
                took_incoming = True
                continue
            message = self._receive(job)
            if message is not None:
                calls.append((job, message))
        return calls, took_incoming

    def _take_incoming(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._wake_r, 4096)
        with self._lock:
            incoming, self._incoming = self._incoming, []
        for job in incoming:
            try:
                self._selector.register(job.conn.fileno(), selectors.EVENT_READ, job)
            except (OSError, ValueError):  # closed or killed already
                job.finish(None, exited=True)

    def _release(self, job: Job, outcome: Any, *, exited: bool) -> None:
        with contextlib.suppress(KeyError, OSError, ValueError):
            self._selector.unregister(job.conn.fileno())
        job.finish(outcome, exited=exited)

    def _receive(self, job: Job) -> tuple[Any, ...] | None:
        """The job's next call, or None when its invocation ended (done, or the worker left)."""
        try:
            message = job.conn.recv()
        except (EOFError, OSError):
            self._release(job, None, exited=True)
            return None
        except Exception:  # a message that does not unpickle: treat the worker as broken
            log.exception("unreadable message from a worker")
            self._release(job, None, exited=True)
            return None
        if message[0] == "done":
            self._release(job, message[1], exited=False)
            return None
        return tuple(message)

    def _answer(self, calls: list[tuple[Job, tuple[Any, ...]]]) -> None:
        by_engine: dict[int, list[tuple[Job, tuple[Any, ...]]]] = {}
        for call in calls:
            by_engine.setdefault(id(call[0].engine), []).append(call)
        for group in by_engine.values():
            replies = self._run_group(group)
            for (job, _), reply in zip(group, replies, strict=False):
                self._send(job, reply)

    def _send(self, job: Job, reply: tuple[str, Any]) -> None:
        try:
            job.conn.send(reply)
            return
        except (BrokenPipeError, OSError):
            self._release(job, None, exited=True)
            return
        except Exception as err:  # an answer that does not pickle: the call fails instead
            reply = error_reply(err)
        try:
            job.conn.send(reply)
        except Exception:
            self._release(job, None, exited=True)

    def _run_group(self, group: list[tuple[Job, tuple[Any, ...]]]) -> list[tuple[str, Any]]:
        """Run ``group``'s calls in one shared commit and return their replies in order.

        Calls of the same engine that arrive while it runs join it (``group`` grows in place)
        before the commit, up to ``MAX_GROUP``: the workers answered in one commit are those that
        were waiting anyway, and with ``synchronous=FULL`` one fsync covers them all.
        """
        engine = group[0][0].engine
        shared: Callable[[], Any] = getattr(engine, "shared_commit", contextlib.nullcontext)
        self.batches += 1
        replies: list[tuple[str, Any]] = []
        try:
            with shared():
                while len(replies) < len(group):
                    replies.append(self._call(*group[len(replies)]))
                    if len(replies) == len(group) and len(group) < MAX_GROUP:
                        group.extend(self._drain(engine, MAX_GROUP - len(group)))
        except Exception as err:  # the shared commit failed: none of the calls' writes was kept
            replies = [error_reply(err)] * len(group)
        self.calls += len(group)
        return replies

    def _drain(self, engine: Any, limit: int) -> list[tuple[Job, tuple[Any, ...]]]:
        """Calls for ``engine`` that are ready now, without waiting.

        Calls for other engines wait in ``_deferred`` for the next round.
        """
        out: list[tuple[Job, tuple[Any, ...]]] = []
        for _ in range(2):  # a second look when jobs were handed over meanwhile: their pipes too
            ready, took_incoming = self._read_ready(0)
            for job, message in ready:
                if job.engine is engine and len(out) < limit:
                    out.append((job, message))
                else:
                    self._deferred.append((job, message))
            if not took_incoming:
                break
        return out

    @staticmethod
    def _call(job: Job, message: tuple[Any, ...]) -> tuple[str, Any]:
        _, method, args, kwargs = message
        if method not in ALLOWED_CALLS:
            return (
                "err",
                {
                    "status": 403,
                    "type": "AccessDeniedException",
                    "message": f"a worker may not call {method!r}",
                },
            )
        if not args or args[0] != job.execution_arn:
            return (
                "err",
                {
                    "status": 403,
                    "type": "AccessDeniedException",
                    "message": f"a worker may only call {method!r} on its own execution",
                },
            )
        try:
            return ("ok", getattr(job.engine, method)(*args, **kwargs))
        except Exception as err:
            return error_reply(err)
