"""Warm worker processes: one pool per function version, a pipe per worker, kill on timeout.

A worker is forked from a fork server (which pre-imported the SDK, never user code), sets up a
Lambda-like process once (environment with Lambda's reserved variables, the code directory first
on ``sys.path`` and as the working directory, stdout/stderr into a per-worker log file) and then
serves invocations one at a time until it is retired. Between invocations it sits in its pool,
warm: module globals survive, as in a warm Lambda sandbox.

The worker never opens the database. Our SDK reaches the engine over the worker's pipe (installed
as the SDK's default service client); handlers written with the official SDK get the plain
invocation event and talk HTTP through boto3 to ``AWS_ENDPOINT_URL_LAMBDA``, as on Lambda.

The parent side's call server (runtime/call_server.py) answers every busy worker's engine calls
on one thread, in shared commits, while the dispatcher thread that launched the invocation waits.
The watchdog thread (runtime/watchdog.py) kills a worker that outlives the function's Timeout
(``Sandbox.Timedout``); a worker that dies for any other reason ends the invocation with
``Runtime.ExitError``. Either way the worker is discarded and the next invocation gets a fresh
one.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from durable_lambda_server.runtime import watchdog
from durable_lambda_server.runtime.call_server import CallServer, Job
from durable_lambda_server.runtime.invokers import (
    FunctionConfig,
    InvocationRequest,
    InvocationResult,
    run_handler,
)
from durable_lambda_server.runtime.worker_setup import (
    LOG_TAIL_BYTES,
    _install_logging,
    _log_line,
    _log_offset,
    _redirect_output,
    _tail,
    worker_environment,
)

__all__ = ["LOG_TAIL_BYTES", "HostConfig", "WorkerPool", "worker_environment"]


@dataclass(frozen=True)
class HostConfig:
    """What every worker of this server gets: where the API is, the region, where logs go."""

    endpoint_url: str | None = None
    region: str = "us-east-1"
    log_dir: str | None = None
    idle_ttl_seconds: float = 300.0
    max_idle_per_function: int = 8
    max_idle_total: int = 32  # across functions; the least recently used idle worker goes first
    # Set by `serve` when it runs as root: workers switch to this uid/gid before user code
    # (runtime/sandbox.py, docs/security.md).
    worker_uid: int | None = None
    worker_gid: int | None = None
    # Scheduling priority of worker processes (``nice``; decision 0011): the server thread that
    # answers every worker's checkpoints is the one serial stage, so handler code yields the CPU
    # to it. 0 = the server's own priority.
    worker_nice: int = 10


# ----------------------------------------------------------------------------------------------
# inside the worker process


def _prepare_process(
    function: FunctionConfig, host: HostConfig, credential: tuple[str, str] | None
) -> str:
    """Sets up this worker process; returns the log file the handler's output goes to."""
    if host.worker_nice and hasattr(os, "nice"):
        # A sandbox that refuses: run at the server's priority.
        with contextlib.suppress(OSError):
            os.nice(host.worker_nice)
    os.environ.clear()
    os.environ.update(worker_environment(function, host, credential))
    if function.code_dir:
        sys.path.insert(0, function.code_dir)
        with contextlib.suppress(OSError):
            os.chdir(function.code_dir)
    log_file = _redirect_output(function, host)
    _install_logging(host)
    if host.worker_uid is not None and host.worker_gid is not None:
        from durable_lambda_server.runtime.sandbox import drop_privileges

        own = [log_file] + (
            [str(Path(host.log_dir) / f"{function.name}.jsonl")] if host.log_dir else []
        )
        drop_privileges(host.worker_uid, host.worker_gid, own)
    return log_file


def _worker_main(
    conn: Any, function: FunctionConfig, host: HostConfig, credential: tuple[str, str] | None = None
) -> None:
    log_file = _prepare_process(function, host, credential)

    from durable_lambda._sdk.hosting import set_default_service_client
    from durable_lambda_server.runtime.client import EngineServiceClient

    lock = threading.Lock()

    def call(method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with lock:  # map/parallel branches may checkpoint from several threads
            conn.send(("call", method, args, kwargs))
            kind, payload = conn.recv()
        if kind == "ok":
            answer: dict[str, Any] = payload
            return answer
        raise RemoteApiError(payload)

    set_default_service_client(EngineServiceClient(call))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "invoke":
            return
        request: InvocationRequest = message[1]
        result = _run_one(request, log_file)
        try:
            with lock:
                conn.send(("done", result))
        except (BrokenPipeError, OSError):
            return
        except Exception:  # the output could not be pickled: a marshalling error, as on Lambda
            with lock:
                conn.send(
                    (
                        "done",
                        InvocationResult(
                            error={
                                "ErrorType": "Runtime.MarshalError",
                                "ErrorMessage": "Unable to marshal response",
                            }
                        ),
                    )
                )


def _run_one(request: InvocationRequest, log_file: str) -> InvocationResult:
    started = time.monotonic()
    offset = _log_offset(log_file)
    version = request.function.version
    _log_line(f"START RequestId: {request.request_id} Version: {version}\n")
    result = run_handler(request, None)
    duration = (time.monotonic() - started) * 1000
    sys.stdout.flush()
    sys.stderr.flush()
    _log_line(f"END RequestId: {request.request_id}\n")
    _log_line(
        f"REPORT RequestId: {request.request_id}\tDuration: {duration:.2f} ms\t"
        f"Memory Size: {request.function.memory_size} MB\n"
    )
    return InvocationResult(
        output=result.output, error=result.error, log_tail=_tail(log_file, offset)
    )


class RemoteApiError(Exception):
    """An engine error raised in the parent, re-raised in the worker with its status."""

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__(info.get("message", ""))
        self.status = info.get("status", 500)
        self.error_type = info.get("type", "ServiceException")
        self.message = info.get("message", "")


# ----------------------------------------------------------------------------------------------
# parent side


class _Worker:
    def __init__(
        self,
        ctx: Any,
        function: FunctionConfig,
        host: HostConfig,
        calls: CallServer,
        grants: Any = None,
    ) -> None:
        # grants: runtime.sandbox.WorkerGrants when the API requires authentication.
        self.calls = calls
        self.grants = grants
        credential = grants.mint() if grants is not None else None
        self.key_id = credential[0] if credential is not None else None
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, function, host, credential), daemon=True
        )
        self.process.start()
        child.close()
        self.last_used = time.monotonic()
        self.timed_out = False

    def run(self, request: InvocationRequest, engine: Any) -> tuple[InvocationResult, bool]:
        """Runs one invocation; returns the result and whether the worker can be reused."""
        timeout = max(1.0, float(request.function.timeout_seconds))
        timer = watchdog.shared().schedule(timeout, self._timeout)
        if self.key_id is not None:
            self.grants.bind(self.key_id, _execution_arn(request))
        try:
            self.conn.send(("invoke", request))
            job = self.calls.run(Job(self.conn, engine, _execution_arn(request)))
            if job.exited:
                return self._exit_result(request), False
            return job.outcome, True
        except (BrokenPipeError, OSError):
            return self._exit_result(request), False
        finally:
            if self.key_id is not None:
                self.grants.unbind(self.key_id)
            watchdog.shared().cancel(timer)
            self.last_used = time.monotonic()

    def _timeout(self) -> None:
        self.timed_out = True
        self.kill()

    def _exit_result(self, request: InvocationRequest) -> InvocationResult:
        self.process.join(timeout=5)
        if self.timed_out:
            seconds = float(request.function.timeout_seconds)
            return InvocationResult(
                error={
                    "ErrorType": "Sandbox.Timedout",
                    "ErrorMessage": f"Task timed out after {seconds:.2f} seconds",
                }
            )
        code = self.process.exitcode
        detail = (
            f"exit status {code}" if code is not None and code >= 0 else f"signal {-(code or 0)}"
        )
        return InvocationResult(
            error={
                "ErrorType": "Runtime.ExitError",
                "ErrorMessage": f"Runtime exited with error: {detail}",
            }
        )

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def close(self) -> None:
        if self.key_id is not None:
            self.grants.revoke(self.key_id)
        try:
            self.conn.close()
        finally:
            self.kill()
            self.process.join(timeout=5)


def _execution_arn(request: InvocationRequest) -> str | None:
    """The durable execution an invocation runs (None for a plain function's invocation)."""
    event = request.event
    if request.function.durable and isinstance(event, dict):
        arn = event.get("DurableExecutionArn")
        return arn if isinstance(arn, str) else None
    return None


class WorkerPool:
    """Warm workers per function version (keyed by everything that shapes the process)."""

    def __init__(self, host: HostConfig, grants: Any = None) -> None:
        """Set up an empty pool; ``grants`` (``WorkerGrants``) gives each worker its own API key."""
        self.host = host
        self.grants = grants  # runtime.sandbox.WorkerGrants: a per-worker API key each
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(
            [
                "durable_lambda",
                "durable_lambda.execution",
                "durable_lambda.context",
                "durable_lambda_server.runtime.workers",
                "json",
            ]
        )
        self._idle: dict[tuple[Any, ...], list[_Worker]] = {}
        self._calls = CallServer()  # serves every busy worker's pipe (runtime/call_server.py)
        self._lock = threading.Lock()
        self._closed = False
        self.started = 0  # workers started (cold starts), for tests and benchmarks

    def invoke(self, request: InvocationRequest, engine: Any) -> InvocationResult:
        """Run ``request`` in an idle worker of its function version, or a newly forked one.

        The worker goes back to the pool afterwards unless it died, timed out or the pool closed.
        """
        function = request.function
        key = (
            function.name,
            function.version,
            function.handler,
            function.code_dir,
            function.lambda_handler,
            function.timeout_seconds,
            function.memory_size,
            tuple(sorted(function.environment.items())),
        )
        worker = self._acquire(key, function)
        result, reusable = worker.run(request, engine)
        if reusable and worker.alive():
            self._release(key, worker)
        else:
            worker.close()
        return result

    def _acquire(self, key: tuple[Any, ...], function: FunctionConfig) -> _Worker:
        with self._lock:
            idle = self._idle.get(key)
            while idle:
                worker = idle.pop()
                if worker.alive():
                    return worker
                worker.close()
            self.started += 1
        return _Worker(self._ctx, function, self.host, self._calls, self.grants)

    def _release(self, key: tuple[Any, ...], worker: _Worker) -> None:
        retired: list[_Worker] = []
        with self._lock:
            if self._closed:
                retired.append(worker)
            else:
                idle = self._idle.setdefault(key, [])
                idle.append(worker)
                while len(idle) > self.host.max_idle_per_function:
                    retired.append(idle.pop(0))
                retired.extend(self._expired_locked())
                retired.extend(self._over_total_locked())
        for w in retired:
            w.close()

    def _expired_locked(self) -> list[_Worker]:
        cutoff = time.monotonic() - self.host.idle_ttl_seconds
        out: list[_Worker] = []
        for key in list(self._idle):
            keep = [w for w in self._idle[key] if w.last_used >= cutoff]
            out.extend(w for w in self._idle[key] if w.last_used < cutoff)
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        return out

    def _over_total_locked(self) -> list[_Worker]:
        excess = sum(len(v) for v in self._idle.values()) - self.host.max_idle_total
        if excess <= 0:
            return []
        by_age = sorted(
            ((w.last_used, key, w) for key, idle in self._idle.items() for w in idle),
            key=lambda item: item[0],
        )
        out = []
        for _, key, worker in by_age[:excess]:
            self._idle[key].remove(worker)
            if not self._idle[key]:
                del self._idle[key]
            out.append(worker)
        return out

    def retire_function(self, name: str) -> None:
        """Drops idle workers of ``name`` (its code or configuration changed, or it was deleted)."""
        with self._lock:
            retired = [w for key in list(self._idle) if key[0] == name for w in self._idle.pop(key)]
        for w in retired:
            w.close()

    def idle_count(self) -> int:
        """How many warm workers are waiting, across functions (tests, diagnostics)."""
        with self._lock:
            return sum(len(v) for v in self._idle.values())

    def close(self) -> None:
        """Stop idle workers now; busy ones are closed when their invocation ends."""
        with self._lock:
            self._closed = True
            workers = [w for idle in self._idle.values() for w in idle]
            self._idle.clear()
        for w in workers:
            w.close()
