"""What every engine use case is handed: the store, the clock, ids, limits and the listeners.

``EngineResources`` is built once by ``Engine`` (the composition root of the engine) and passed
explicitly to the use-case modules (``executions``, ``checkpoints``, ``callbacks``, ``timers``,
``leases``, ``invocations``, ``chained_invokes``, ``retention``, ``queries``, ``registry``). It
holds no execution logic. Every transaction it opens translates store failures into Lambda errors
(``store_errors.Translated``), so no store exception leaves the engine.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from contextlib import AbstractContextManager

from durable_lambda_server.engine.clock import Clock, SystemClock
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.engine.store_errors import Translated
from durable_lambda_server.store.base import (
    ExecutionRow,
    Store,
    SupportsGroupCommit,
    Transaction,
)
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)

__all__ = ["DEFAULT_MAX_OPERATIONS", "NAME", "EngineResources", "require_execution"]

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Operations one execution may hold: the 25,000 of AWS's SDK limits docs (lambda-api.md §8).
DEFAULT_MAX_OPERATIONS = 25_000


class EngineResources:
    """The store, clock, ids, limits and listeners every engine use case works with."""

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
        """Defaults to the system clock and random ids; ``region`` and ``account_id`` make ARNs.

        ``max_operations`` bounds the operations one execution may hold.
        """
        if max_operations < 1:
            raise ValueError("max_operations must be at least 1")
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.ids = ids or IdSource()
        self.region = region
        self.account_id = account_id
        self.max_operations = max_operations
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called after commits that may make an execution runnable."""
        self._listeners.append(listener)

    def notify(self) -> None:
        """Wakes the listeners (the dispatcher): an execution may have become runnable."""
        for listener in list(self._listeners):
            listener()

    def function_arn(self, name: str) -> str:
        """The unqualified ARN of function ``name`` in this engine's region and account."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def write(self) -> Translated[Transaction]:
        """A write transaction: committed when the block exits cleanly, rolled back otherwise."""
        return Translated(self.store.transaction())

    def read(self) -> Translated[Transaction]:
        """A read-only transaction: in WAL mode it never waits for a writer."""
        return Translated(self.store.transaction(write=False))

    def shared_commit(self) -> AbstractContextManager[None]:
        """Write calls made on this thread inside the block share one store commit at its end.

        Store errors are translated; without store support each call commits on its own. Their
        answers may be given only after the block exited without an error: until then nothing
        they wrote is durable.
        """
        store = self.store
        if isinstance(store, SupportsGroupCommit):
            return Translated(store.group())
        return contextlib.nullcontext()


def require_execution(tx: Transaction, arn: str) -> ExecutionRow:
    """The execution ``arn`` (``ResourceNotFoundException`` if there is none)."""
    if not isinstance(arn, str):
        raise InvalidParameterValueException("DurableExecutionArn must be a string")
    ex = tx.get_execution(arn)
    if ex is None:
        raise ResourceNotFoundException(f"Durable execution not found: {arn}")
    return ex
