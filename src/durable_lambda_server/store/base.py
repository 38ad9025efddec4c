"""The store interface: records in and out, one transaction per use case (style.md §6).

The engine sees only these protocols and records. Stores never read the clock (``now_ms`` is an
argument) and never hold engine logic; a PostgreSQL store implements the same ``Transaction``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from durable_lambda_server.store.records import (
    AliasRow,
    CallbackRow,
    ExecutionChanges,
    ExecutionRow,
    FunctionRow,
    NamedAliasRow,
    PublishedVersionRow,
    TimerKind,
    TimerRow,
    VersionRow,
)
from durable_lambda_server.store.tables import (
    CallbackTable,
    ExecutionTable,
    FunctionTable,
    HistoryLog,
    InvocationQueue,
    OperationTable,
    TimerQueue,
    VersionTable,
)

__all__ = [
    "AliasRow",
    "CallbackRow",
    "CallbackTable",
    "ConflictError",
    "ExecutionChanges",
    "ExecutionRow",
    "ExecutionTable",
    "FunctionRow",
    "FunctionTable",
    "HistoryLog",
    "InvocationQueue",
    "NamedAliasRow",
    "OperationTable",
    "PublishedVersionRow",
    "Store",
    "StoreBusyError",
    "StoreError",
    "SupportsGroupCommit",
    "TimerKind",
    "TimerQueue",
    "TimerRow",
    "Transaction",
    "TransientStoreError",
    "VersionRow",
    "VersionTable",
]


class StoreError(Exception):
    """Base of store failures."""


class ConflictError(StoreError):
    """A unique key or version clash."""


class TransientStoreError(StoreError):
    """Busy, locked, disk full, connection lost: the operation may be retried."""


class StoreBusyError(TransientStoreError):
    """Another writer held the database past the busy timeout: retry after a short wait."""


class Transaction(
    ExecutionTable,
    InvocationQueue,
    OperationTable,
    HistoryLog,
    TimerQueue,
    CallbackTable,
    FunctionTable,
    VersionTable,
    Protocol,
):
    """One unit of work over every table.

    Committed when ``Store.transaction()`` exits cleanly, rolled back when it raises.
    """


class Store(Protocol):
    """A database the engine runs on: hands out transactions, one per use case."""

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]:
        """Opens a unit of work: committed when the block exits cleanly, rolled back if it raises.

        ``write=False`` promises only reads, so a store may run it beside writers. Driver errors
        surface as ``StoreError`` subclasses (``StoreBusyError`` when another writer holds the
        database past the busy timeout).
        """
        ...

    def close(self) -> None:
        """Releases the store's connections and threads; no transaction may be opened after."""
        ...


@runtime_checkable
class SupportsGroupCommit(Protocol):
    """A store that can share one commit between several write transactions.

    SQLite's group commit (decision 0008). Optional: callers check for it and fall back to a
    commit each.
    """

    def group(self) -> AbstractContextManager[None]:
        """Lets write transactions of the calling thread inside the block share one commit.

        The commit is made when the block ends; nothing inside is acknowledged before the block
        exits.
        """
        ...


def iter_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
