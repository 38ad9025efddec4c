"""What every part of the ``Engine`` shares: the store, clock, ids, limits and transactions.

``Engine`` (service.py) is assembled from ``EngineCore`` subclasses, one per concern: the
function registry (registry.py), read-side queries (queries.py) and the write paths of
executions, checkpoints, callbacks, timers and invocations (service.py).
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
import re
import threading
from collections.abc import Callable
from typing import Any

from durable_lambda_server.engine.boundary import translated
from durable_lambda_server.engine.clock import Clock, SystemClock
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.store.base import ExecutionRow, Store, SupportsGroupCommit, Transaction
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)

__all__ = ["DEFAULT_MAX_OPERATIONS", "NAME", "TERMINAL", "EngineCore"]

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
# Operations one execution may hold: the 25,000 of AWS's SDK limits docs (lambda-api.md §8).
DEFAULT_MAX_OPERATIONS = 25_000


class EngineCore:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        region: str = "us-east-1",
        account_id: str = "000000000000",
        max_operations: int = DEFAULT_MAX_OPERATIONS,
    ) -> None:
        if max_operations < 1:
            raise ValueError("max_operations must be at least 1")
        self.store = store
        self.clock: Any = clock or SystemClock()
        self.ids = ids or IdSource()
        self.region = region
        self.account_id = account_id
        self.max_operations = max_operations
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called after commits that may make an execution runnable."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def close(self) -> None:
        self.store.close()

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def _tx(self) -> translated[Transaction]:
        return translated(self.store.transaction())

    def shared_commit(self) -> AbstractContextManager[None]:
        """Write calls made on this thread inside the block share one store commit at its end
        (store errors translated). Their answers may be given only after the block exited
        without an error: until then nothing they wrote is durable."""
        store = self.store
        if isinstance(store, SupportsGroupCommit):
            return translated(store.group())
        return contextlib.nullcontext()

    def _read(self) -> translated[Transaction]:
        """A read-only transaction: in WAL mode it never waits for a writer."""
        return translated(self.store.transaction(write=False))

    def _require(self, tx: Transaction, arn: str) -> ExecutionRow:
        if not isinstance(arn, str):
            raise InvalidParameterValueException("DurableExecutionArn must be a string")
        ex = tx.get_execution(arn)
        if ex is None:
            raise ResourceNotFoundException(f"Durable execution not found: {arn}")
        return ex
