"""Invokers run one handler invocation and report its outcome as data.

``InProcessInvoker`` calls the handler on the caller's thread (fast; used by ``durable-lambda
run`` and the benchmarks). ``ProcessInvoker`` runs it in a worker process forked from a
pre-loaded fork server; the worker reaches the engine only through a pipe (it never opens the
database), and a crash or kill of the worker ends the invocation with a ``Runtime.ExitError``
instead of taking the caller down. Handler failures are data (``InvocationResult``), never
exceptions crossing into the dispatcher (style.md §5).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from durable_lambda.runtime.client import EngineServiceClient
from durable_lambda.runtime.handlers import load_handler
from durable_lambda.runtime.lambda_context import LambdaContext

__all__ = [
    "FunctionConfig",
    "InProcessInvoker",
    "InvocationRequest",
    "InvocationResult",
    "Invoker",
    "ProcessInvoker",
]


@dataclass(frozen=True)
class FunctionConfig:
    """What the runtime needs to run a function."""

    name: str
    handler: str
    timeout_seconds: int = 900
    environment: dict[str, str] = field(default_factory=dict)
    durable: bool = True
    function_arn: str = ""
    version: str = "$LATEST"


@dataclass(frozen=True)
class InvocationRequest:
    function: FunctionConfig
    event: Any
    request_id: str
    deadline_ms: int = 0


@dataclass(frozen=True)
class InvocationResult:
    """``output`` is the handler's return value; ``error`` a Lambda-style ErrorObject dict."""

    output: Any = None
    error: dict[str, Any] | None = None


class Invoker(Protocol):
    def invoke(self, request: InvocationRequest, engine: Any) -> InvocationResult: ...


def error_from_exception(err: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "ErrorType": error_type or type(err).__name__,
        "ErrorMessage": str(err),
        "StackTrace": traceback.format_exception(type(err), err, err.__traceback__)[-20:],
    }


def build_event(request: InvocationRequest, client: Any) -> Any:
    """The handler's event: for a durable function, the invocation input with our client."""
    if not request.function.durable:
        return request.event
    from durable_lambda.execution import (
        DurableExecutionInvocationInput,
        DurableExecutionInvocationInputWithClient,
    )

    base = DurableExecutionInvocationInput.from_json_dict(request.event)
    return DurableExecutionInvocationInputWithClient.from_durable_execution_invocation_input(
        base, client
    )


def run_handler(request: InvocationRequest, client: Any) -> InvocationResult:
    """Loads and calls the handler; any escaping error becomes ``InvocationResult.error``."""
    try:
        handler = load_handler(request.function.handler)
        context = LambdaContext(
            aws_request_id=request.request_id,
            function_name=request.function.name,
            function_version=request.function.version,
            invoked_function_arn=request.function.function_arn,
            deadline_ms=request.deadline_ms,
        )
        output = handler(build_event(request, client), context)
        json.dumps(output)  # an unserialisable return value is a function error, as on Lambda
        return InvocationResult(output=output)
    except Exception as err:
        return InvocationResult(error=error_from_exception(err))


class InProcessInvoker:
    """Runs the handler on the calling thread. Cannot enforce timeouts or survive ``os._exit``."""

    def invoke(self, request: InvocationRequest, engine: Any) -> InvocationResult:
        return run_handler(request, EngineServiceClient.for_engine(engine))


# ----------------------------------------------------------------------------------------------
# worker processes


def _worker_main(conn: Any, request: InvocationRequest, log_dir: str | None) -> None:
    """Entry point of a worker process: run one invocation, RPC to the engine over ``conn``."""
    os.environ.update(request.function.environment)
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", request.function.name)
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_VERSION", request.function.version)
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_TIMEOUT", str(request.function.timeout_seconds))
    if log_dir:
        from durable_lambda.runtime.logs import install_log_sink

        install_log_sink(log_dir)
    lock = threading.Lock()

    def call(method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with lock:  # map/parallel branches may checkpoint from several threads
            conn.send(("call", method, args, kwargs))
            kind, payload = conn.recv()
        if kind == "ok":
            result: dict[str, Any] = payload
            return result
        raise _RemoteApiError(payload)

    result = run_handler(request, EngineServiceClient(call))
    try:
        with lock:
            conn.send(("done", result))
    except (BrokenPipeError, TypeError):
        conn.send(("done", InvocationResult(error={"ErrorType": "Runtime.MarshalError",
                                                  "ErrorMessage": "unable to return result"})))
    conn.close()


class _RemoteApiError(Exception):
    """An engine error raised in the parent, re-raised in the worker with its status."""

    def __init__(self, info: dict[str, Any]) -> None:
        super().__init__(info.get("message", ""))
        self.status = info.get("status", 500)
        self.error_type = info.get("type", "ServiceException")
        self.message = info.get("message", "")


class ProcessInvoker:
    """One worker process per invocation, forked from a fork server that pre-imported the SDK."""

    def __init__(self, log_dir: str | None = None) -> None:
        self.log_dir = log_dir
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(
            ["durable_lambda", "durable_lambda.execution", "durable_lambda.context", "json"]
        )

    def invoke(self, request: InvocationRequest, engine: Any) -> InvocationResult:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_worker_main, args=(child, request, self.log_dir), daemon=True
        )
        proc.start()
        child.close()
        timeout = max(1.0, float(request.function.timeout_seconds))
        timer = threading.Timer(timeout, _kill, args=(proc,))
        timer.daemon = True
        timer.start()
        try:
            return self._serve(parent, engine, proc)
        finally:
            timer.cancel()
            parent.close()
            proc.join(timeout=5)
            if proc.is_alive():
                _kill(proc)
                proc.join(timeout=5)

    def _serve(self, conn: Any, engine: Any, proc: Any) -> InvocationResult:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                proc.join(timeout=5)
                code = proc.exitcode
                return InvocationResult(
                    error={
                        "ErrorType": "Runtime.ExitError",
                        "ErrorMessage": f"Runtime exited with error: exit status {code}"
                        if code is not None and code >= 0
                        else f"Runtime exited with error: signal {-(code or 0)}",
                    }
                )
            kind = message[0]
            if kind == "done":
                result: InvocationResult = message[1]
                return result
            _, method, args, kwargs = message
            try:
                conn.send(("ok", getattr(engine, method)(*args, **kwargs)))
            except Exception as err:
                conn.send(
                    (
                        "err",
                        {
                            "status": int(getattr(err, "status", 500)),
                            "type": getattr(err, "error_type", None) or type(err).__name__,
                            "message": getattr(err, "message", None) or str(err),
                        },
                    )
                )


def _kill(proc: Any) -> None:
    if proc.is_alive():
        proc.kill()


InvokerFactory = Callable[[FunctionConfig], Invoker]
