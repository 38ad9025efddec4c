"""``Runtime``: one embedded durable-lambda (SQLite store, engine, dispatcher) in this process.

The composition root for ``durable-lambda run``, the tests and the benchmarks: it opens the
store, builds the engine and the dispatcher, registers functions, and offers Lambda's Invoke
semantics (RequestResponse blocks until the durable execution is terminal, Event returns at
once).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from durable_lambda_server.runtime.dispatcher import LEASE_SECONDS, Dispatcher
from durable_lambda_server.runtime.invoke_results import (
    InvokeResult,
    invoke_result_from_execution,
)
from durable_lambda_server.runtime.invokers import (
    FunctionConfig,
    InProcessInvoker,
    Invoker,
    ProcessInvoker,
)
from durable_lambda_server.runtime.leases import new_owner_id, owner_isolated_handlers
from durable_lambda_server.runtime.logs import install_log_sink
from durable_lambda_server.wire.vocabulary import TERMINAL_STATUSES

__all__ = ["InvokeResult", "Runtime"]


class Runtime:
    """An embedded durable-lambda: engine, dispatcher and invokers behind Lambda's Invoke.

    Use it as a context manager (or ``start``/``stop``); ``open`` builds one on a SQLite file.
    """

    def __init__(
        self,
        engine: Any,
        *,
        invoker: str = "thread",
        skip_time: bool = False,
        log_dir: str | Path | None = None,
        max_concurrency: int = 16,
    ) -> None:
        """Wire a dispatcher to ``engine``; nothing runs until ``start``.

        Args:
            engine: The engine functions and executions are recorded in.
            invoker: ``"thread"`` runs handlers in this process, ``"process"`` in worker processes.
            skip_time: Jump the clock over waits and retry delays (``run --skip-time``).
            log_dir: Where function logs are captured (none when None).
            max_concurrency: How many invocations may run at once.
        """
        self.engine = engine
        self.log_dir = Path(log_dir) if log_dir is not None else None
        if self.log_dir is not None:
            install_log_sink(self.log_dir)
        self._thread_invoker = InProcessInvoker()
        self._process_invoker: ProcessInvoker | None = None
        self._invoker_lock = threading.Lock()
        self.default_invoker = invoker
        # Where worker processes reach the Lambda API (AWS_ENDPOINT_URL_LAMBDA); set by `serve`.
        self.endpoint_url: str | None = None
        # Set by `serve`: worker credentials and identity (ProcessInvoker keywords: grants,
        # worker_uid, worker_gid; see runtime/sandbox.py and docs/security.md).
        self.worker_options: dict[str, Any] = {}
        self._invoker_by_function: dict[str, str] = {}
        self.dispatcher = Dispatcher(
            engine,
            self.resolve_function,
            self._invoker_for,
            max_concurrency=max_concurrency,
            skip_time=skip_time,
        )
        if invoker == "process":  # its leases say so: its death is never a handler's doing
            self.dispatcher.owner = new_owner_id(isolated_handlers=True)

    @classmethod
    def open(
        cls,
        db_path: str | Path,
        *,
        invoker: str = "thread",
        skip_time: bool = False,
        log_dir: str | Path | None = None,
        max_concurrency: int = 16,
        synchronous: str = "NORMAL",
        max_operations: int | None = None,
    ) -> Runtime:
        """A runtime on the SQLite database ``db_path``, created with its directory if missing.

        Logs go to ``logs/`` beside the database unless ``log_dir`` says otherwise;
        ``max_operations`` caps the operations one execution may hold (default 25,000, the
        engine's).
        """
        from durable_lambda_server.engine import Engine, SkippingClock, SystemClock
        from durable_lambda_server.store import open_store

        db_path = Path(db_path)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        store = open_store(str(db_path), synchronous=synchronous)
        clock = SkippingClock() if skip_time else SystemClock()
        engine = (
            Engine(store, clock=clock, max_operations=max_operations)
            if max_operations
            else Engine(store, clock=clock)
        )
        if log_dir is None:
            log_dir = db_path.parent / "logs"
        return cls(
            engine,
            invoker=invoker,
            skip_time=skip_time,
            log_dir=log_dir,
            max_concurrency=max_concurrency,
        )

    # -- functions ---------------------------------------------------------------------------
    def register_function(
        self,
        name: str,
        handler: str,
        *,
        timeout_seconds: int = 900,
        environment: dict[str, str] | None = None,
        execution_timeout_seconds: int = 86400,
        retention_period_days: int = 14,
        invoker: str | None = None,
        durable: bool | None = None,
    ) -> None:
        """Register a function, or update its ``$LATEST``.

        ``durable=None`` detects it: a handler wrapped with ``@durable_execution`` is durable,
        anything else is plain. ``invoker`` overrides the runtime's default for this function.
        """
        from durable_lambda_server.engine import FunctionRecord

        if durable is None:
            from durable_lambda_server.runtime.handlers import HandlerLoadError, load_handler

            try:
                durable = bool(getattr(load_handler(handler), "__durable_execution__", False))
            except HandlerLoadError:
                # As on Lambda, a function whose code does not import still deploys; its
                # invocations fail with the import error. Durable is the safe default here.
                durable = True
        self.engine.put_function(
            FunctionRecord(
                name=name,
                handler=handler,
                timeout_seconds=timeout_seconds,
                environment=dict(environment or {}),
                execution_timeout_seconds=execution_timeout_seconds,
                retention_period_days=retention_period_days,
                durable=durable,
            )
        )
        if invoker is not None:
            self._invoker_by_function[name] = invoker
            if invoker != "process" and owner_isolated_handlers(self.dispatcher.owner):
                self.dispatcher.owner = new_owner_id(isolated_handlers=False)

    def resolve_function(self, name: str, version: str = "$LATEST") -> FunctionConfig:
        """What an invoker needs to run a version of a function, read from the engine."""
        record = self.engine.get_function(name, version)
        api = record.api_config or {}
        code_dir, lambda_handler = _code_location(record.handler, api.get("Handler"))
        return FunctionConfig(
            name=record.name,
            handler=record.handler,
            timeout_seconds=record.timeout_seconds,
            environment=dict(record.environment or {}),
            durable=record.durable,
            function_arn=f"{record.function_arn}:{record.version}",
            version=record.version,
            memory_size=int(api.get("MemorySize") or 128),
            code_dir=code_dir,
            lambda_handler=lambda_handler,
        )

    def _invoker_for(self, function: FunctionConfig) -> Invoker:
        kind = self._invoker_by_function.get(function.name, self.default_invoker)
        if kind == "process":
            with self._invoker_lock:  # concurrent first invocations must share one worker pool
                if self._process_invoker is None:
                    self._process_invoker = ProcessInvoker(
                        str(self.log_dir) if self.log_dir is not None else None,
                        endpoint_url=self.endpoint_url,
                        region=getattr(self.engine, "region", "us-east-1"),
                        max_concurrency=self.dispatcher.max_concurrency,
                        **self.worker_options,
                    )
                return self._process_invoker
        return self._thread_invoker

    def log_path(self, function_name: str) -> Path:
        """The JSON-lines file a function's captured logs go to (log capture must be on)."""
        if self.log_dir is None:
            raise RuntimeError("log capture is not enabled")
        return self.log_dir / f"{function_name}.jsonl"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Runtime:
        """Start dispatching; returns the runtime, for ``Runtime.open(...).start()``."""
        self.dispatcher.start()
        return self

    def stop(self) -> None:
        """Stop dispatching, close the worker pool, then the engine."""
        self.dispatcher.stop()
        if self._process_invoker is not None:
            self._process_invoker.close()
        close = getattr(self.engine, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Runtime:
        """Start the runtime."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the runtime."""
        self.stop()

    # -- invoke ------------------------------------------------------------------------------
    def start_execution(
        self,
        function_name: str,
        payload: bytes | str | None,
        *,
        execution_name: str | None = None,
        qualifier: str | None = None,
        synchronous: bool = False,
    ) -> tuple[str, bool]:
        """Start an execution without waiting for it: (its ARN, whether it was created now).

        An existing execution of the same name and payload is returned with ``False``.
        """
        result, _ = self._start(
            function_name,
            payload,
            execution_name=execution_name,
            qualifier=qualifier,
            synchronous=synchronous,
        )
        return result.arn, result.created

    def _start(
        self,
        function_name: str,
        payload: bytes | str | None,
        *,
        execution_name: str | None,
        qualifier: str | None,
        synchronous: bool,
        run_here: bool = False,
    ) -> tuple[Any, dict[str, Any] | None]:
        """Start an execution: its ``StartResult`` and maybe the finished execution.

        The execution (as ``get_execution``) comes back when its first invocation ran here and
        finished it. ``run_here``: that invocation runs on this thread when the dispatcher has a
        free slot (else the dispatcher is woken for it).
        """
        from durable_lambda_server.engine import StartExecution

        if isinstance(payload, bytes):
            payload = payload.decode("utf-8")
        reserved = run_here and self.dispatcher.reserve_slot()
        try:
            result = self.engine.start_execution(
                StartExecution(
                    function_name=function_name,
                    input_payload=payload,
                    execution_name=execution_name,
                    qualifier=qualifier,
                    synchronous=synchronous,
                ),
                claim_for=(self.dispatcher.owner, LEASE_SECONDS) if reserved else None,
            )
        except BaseException:
            if reserved:
                self.dispatcher.release_slot()
            raise
        finished = None
        if result.ticket is not None:
            finished = self.dispatcher.run_claimed(result.ticket)
        elif reserved:
            self.dispatcher.release_slot()
        else:
            self.dispatcher.wake()
        return result, finished

    def invoke(
        self,
        function_name: str,
        payload: bytes | str | None = None,
        *,
        invocation_type: str = "RequestResponse",
        execution_name: str | None = None,
        qualifier: str | None = None,
        timeout: float = 900.0,
    ) -> InvokeResult:
        """Lambda's Invoke: start an execution and, for RequestResponse, wait for its end.

        RequestResponse runs the first invocation on this thread when a slot is free and raises
        TimeoutError after ``timeout`` seconds; Event answers 202 at once.
        """
        synchronous = invocation_type == "RequestResponse"
        started, finished = self._start(
            function_name,
            payload,
            execution_name=execution_name,
            qualifier=qualifier,
            synchronous=synchronous,
            run_here=synchronous,
        )
        arn, created = started.arn, started.created
        facts = {"version": started.version, "durable": started.durable}
        if invocation_type == "Event":
            return InvokeResult(arn=arn, status_code=202, payload=b"", created=created, **facts)
        execution = (
            finished if finished is not None else self.wait_for_terminal(arn, timeout=timeout)
        )
        result = replace(invoke_result_from_execution(arn, execution, created=created), **facts)
        tail = self.dispatcher.log_tails.get(arn)
        return result if tail is None else replace(result, log_tail=tail)

    def wait_for_terminal(self, arn: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait until execution ``arn`` is terminal and return it (TimeoutError after ``timeout``).

        It is re-read after each recorded invocation outcome of it (the dispatcher's per-execution
        event) and every 0.1 s (stops, timeouts, other processes' work).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        event = self.dispatcher.watch(arn)
        try:
            while True:
                event.clear()
                execution: dict[str, Any] = self.engine.get_execution(arn)
                if execution.get("Status") in TERMINAL_STATUSES:
                    return execution
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"execution {arn} not terminal after {timeout} s")
                event.wait(0.1)
        finally:
            self.dispatcher.unwatch(arn, event)


def _code_location(spec: str, lambda_handler: Any) -> tuple[str | None, str | None]:
    """The code root and Lambda handler of code deployed with a ``Handler``.

    For ``pkg.module.function`` the root is the directory that holds ``pkg/module.py``;
    ``(None, None)`` for plain ``FILE.py:fn`` specs.
    """
    if not isinstance(lambda_handler, str) or "." not in lambda_handler:
        return None, None
    path, _, _ = spec.rpartition(":")
    module = lambda_handler.rpartition(".")[0]
    relative = module.replace(".", "/") + ".py"
    if not path.endswith(relative):
        return None, None
    root = path[: -len(relative)].rstrip("/") or "/"
    return root, lambda_handler
