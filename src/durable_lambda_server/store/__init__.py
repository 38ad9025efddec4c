"""Persistence: the ``Store`` protocol and its SQLite implementation."""

from __future__ import annotations

from durable_lambda_server.store.base import (
    ConflictError,
    ExecutionChanges,
    ExecutionRow,
    Store,
    StoreBusyError,
    StoreError,
    SupportsGroupCommit,
    TimerKind,
    TimerRow,
    Transaction,
    TransientStoreError,
)
from durable_lambda_server.store.sqlite import SqliteStore

__all__ = [
    "ConflictError",
    "ExecutionChanges",
    "ExecutionRow",
    "SqliteStore",
    "Store",
    "StoreBusyError",
    "StoreError",
    "SupportsGroupCommit",
    "TimerKind",
    "TimerRow",
    "Transaction",
    "TransientStoreError",
    "open_store",
]


def open_store(url: str, *, synchronous: str = "NORMAL") -> Store:
    """Opens the store a URL names; the one place that picks a backend (decision 0016).

    - ``sqlite:///relative/or/absolute/path.db``, ``sqlite:////abs/path.db`` or a plain file path:
      the embedded SQLite store (the default);
    - ``postgresql://...`` / ``postgres://...``: PostgreSQL (issue 18), not built yet: a clear
      error rather than a file named after the URL.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return SqliteStore(url, synchronous=synchronous)
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise ValueError(f"a SQLite URL is sqlite:///PATH, got {url!r}")
        return SqliteStore(rest[1:], synchronous=synchronous)
    if scheme in ("postgresql", "postgres"):
        raise ValueError("the PostgreSQL store is not available yet (issue 18); use a SQLite path")
    raise ValueError(f"unknown store URL scheme {scheme!r}: use a file path or sqlite:///PATH")
