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
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from durable_lambda_server.runtime.client import EngineServiceClient
from durable_lambda_server.runtime.handlers import load_handler
from durable_lambda_server.runtime.lambda_context import LambdaContext

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
    memory_size: int = 128
    # Set for functions deployed as code (API, SAM): the code root (first on sys.path, the
    # working directory) and Lambda's ``module.function`` handler, imported by module name.
    code_dir: str | None = None
    lambda_handler: str | None = None

    @property
    def import_spec(self) -> str:
        """The spec ``load_handler`` takes for this function.

        ``pkg.module:function`` for code deployed with a Lambda handler (imported by module name
        from the code dir), else ``handler``.
        """
        if self.code_dir and self.lambda_handler:
            module, _, function = self.lambda_handler.rpartition(".")
            return f"{module.replace('/', '.')}:{function}"
        return self.handler


@dataclass(frozen=True)
class InvocationRequest:
    """One invocation to run: the function, its event, its request id and its deadline.

    ``deadline_ms`` (epoch milliseconds) feeds the handler's
    ``context.get_remaining_time_in_millis()``.
    """

    function: FunctionConfig
    event: Any
    request_id: str
    deadline_ms: int = 0


@dataclass(frozen=True)
class InvocationResult:
    """``output`` is the handler's return value; ``error`` a Lambda-style ErrorObject dict."""

    output: Any = None
    error: dict[str, Any] | None = None
    log_tail: str | None = None  # the invocation's log output (last 4 KB), for LogType=Tail


class Invoker(Protocol):
    """Runs one handler invocation somewhere (this thread, a worker process)."""

    def invoke(self, request: InvocationRequest, engine: Any) -> InvocationResult:
        """Run ``request`` against ``engine``; handler failures come back as data, not raised."""
        ...


def error_from_exception(err: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "ErrorType": error_type or type(err).__name__,
        "ErrorMessage": str(err),
        "StackTrace": traceback.format_exception(type(err), err, err.__traceback__)[-20:],
    }


def build_event(request: InvocationRequest, client: Any) -> Any:
    """The event the handler receives.

    For a durable function run in process, the invocation input with our client; otherwise (plain
    functions, worker processes) the event exactly as Lambda sends it.
    """
    if not request.function.durable or client is None:
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
        handler = load_handler(request.function.import_spec)
        context = LambdaContext(
            aws_request_id=request.request_id,
            function_name=request.function.name,
            function_version=request.function.version,
            invoked_function_arn=request.function.function_arn,
            memory_limit_in_mb=request.function.memory_size,
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
        """Run the handler here, its SDK calling ``engine`` directly."""
        return run_handler(request, EngineServiceClient.for_engine(engine))


class ProcessInvoker:
    """Runs handlers in warm worker processes (see ``runtime/workers.py``)."""

    def __init__(
        self,
        log_dir: str | None = None,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        grants: Any = None,
        worker_uid: int | None = None,
        worker_gid: int | None = None,
        max_concurrency: int = 16,
        worker_nice: int = 10,
    ) -> None:
        """Set up the worker pool; workers are forked on demand.

        Args:
            log_dir: Where workers' output is captured (none when None).
            endpoint_url: The Lambda API workers reach as ``AWS_ENDPOINT_URL_LAMBDA``.
            region: The ``AWS_REGION`` workers see.
            grants: The server's ``WorkerGrants`` when the API requires authentication: each
                worker gets its own key.
            worker_uid: With ``worker_gid``, the identity workers switch to before user code
                (``serve`` sets both when it runs as root).
            worker_gid: See ``worker_uid``.
            max_concurrency: Invocations that may run at once; sizes the warm pools.
            worker_nice: Niceness of workers, so handler code yields the CPU to the thread that
                answers every worker's checkpoints (decision 0011).
        """
        from durable_lambda_server.runtime.workers import HostConfig, WorkerPool

        # Keep as many warm workers per function as invocations can run at once: fewer, and a
        # busy function forks (cold-starts) a worker for most invocations.
        host = HostConfig(
            endpoint_url=endpoint_url,
            region=region,
            log_dir=log_dir,
            worker_uid=worker_uid,
            worker_gid=worker_gid,
            worker_nice=worker_nice,
            max_idle_per_function=max(8, max_concurrency),
            max_idle_total=max(32, 2 * max_concurrency),
        )
        self.pool = WorkerPool(host, grants)

    def invoke(self, request: InvocationRequest, engine: Any) -> InvocationResult:
        """Run the handler in a warm worker (or a freshly forked one)."""
        return self.pool.invoke(request, engine)

    def close(self) -> None:
        """Close the pool: idle workers stop now, busy ones when their invocation ends."""
        self.pool.close()


InvokerFactory = Callable[[FunctionConfig], Invoker]
