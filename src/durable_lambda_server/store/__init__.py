"""Persistence: the ``Store`` protocol and its SQLite implementation."""

from __future__ import annotations

from durable_lambda_server.store.base import (
    ConflictError,
    ExecutionRow,
    Store,
    StoreBusyError,
    StoreError,
    TimerRow,
    Transaction,
    TransientStoreError,
)
from durable_lambda_server.store.sqlite import SqliteStore

__all__ = [
    "ConflictError",
    "ExecutionRow",
    "SqliteStore",
    "Store",
    "StoreBusyError",
    "StoreError",
    "TimerRow",
    "Transaction",
    "TransientStoreError",
    "open_store",
]


def open_store(url: str, *, synchronous: str = "NORMAL") -> SqliteStore:
    """Opens a store by URL or path: ``sqlite:///path/to.db`` or a plain file path."""
    path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url
    return SqliteStore(path, synchronous=synchronous)
