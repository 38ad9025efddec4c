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
    def arn(self) -> str: ...
    @property
    def status_code(self) -> int: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def function_error(self) -> str | None: ...
    @property
    def created(self) -> bool: ...
    @property
    def log_tail(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...
    @property
    def durable(self) -> bool: ...


class FunctionHost(Protocol):
    """Runs functions for the API: the engine it records in, and Invoke."""

    @property
    def engine(self) -> Engine: ...

    def invoke(
        self,
        function_name: str,
        payload: bytes | str | None = None,
        *,
        invocation_type: str = "RequestResponse",
        execution_name: str | None = None,
        qualifier: str | None = None,
        timeout: float = 900.0,
    ) -> InvokeOutcome: ...
