"""What the HTTP API needs from the runtime it serves, as protocols.

``api`` and ``runtime`` are independent layers (neither imports the other, ``lint-imports``): the
API describes here the host it is handed, and ``runtime.Runtime`` satisfies it structurally; the
composition roots (``cli/serve.py``, tests) pass one to ``create_app``.
"""

from __future__ import annotations

from typing import Protocol

from durable_lambda_server.engine import Engine

__all__ = ["FunctionHost", "InvokeOutcome"]


class InvokeOutcome(Protocol):
    """The outcome of one Invoke, as the Invoke route renders it."""

    @property
    def arn(self) -> str:
        """The execution's ARN, sent as ``X-Amz-Durable-Execution-Arn`` for durable functions."""
        ...

    @property
    def status_code(self) -> int:
        """The HTTP status to answer: 200 for RequestResponse, 202 for Event."""
        ...

    @property
    def payload(self) -> bytes:
        """The response body: the function's result, or its error object."""
        ...

    @property
    def function_error(self) -> str | None:
        """The ``X-Amz-Function-Error`` value (``Unhandled``) when the function failed."""
        ...

    @property
    def created(self) -> bool:
        """False when an execution of the same name and payload already existed."""
        ...

    @property
    def log_tail(self) -> str | None:
        """The invocation's log output, for ``X-Amz-Log-Result`` when LogType is Tail."""
        ...

    @property
    def version(self) -> str | None:
        """The version that ran (``X-Amz-Executed-Version``)."""
        ...

    @property
    def durable(self) -> bool:
        """Whether the function is durable, so the answer carries the execution ARN."""
        ...


class FunctionHost(Protocol):
    """Runs functions for the API: the engine it records in, and Invoke."""

    @property
    def engine(self) -> Engine:
        """The engine that records functions and executions."""
        ...

    def invoke(
        self,
        function_name: str,
        payload: bytes | str | None = None,
        *,
        invocation_type: str = "RequestResponse",
        execution_name: str | None = None,
        qualifier: str | None = None,
        timeout: float = 900.0,
    ) -> InvokeOutcome:
        """Invoke a function as Lambda's Invoke operation does (lambda-api.md §4).

        RequestResponse blocks until the execution is terminal or ``timeout`` seconds pass
        (TimeoutError); Event returns once the invocation is queued.
        """
        ...
