"""Store failures become Lambda errors at the engine's edge (style.md §5).

Every engine transaction runs inside ``Translated``, so no store or driver exception leaves the
engine: the caller sees a ``LambdaApiError`` and the transaction has been rolled back.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from durable_lambda_server.store.base import StoreBusyError, StoreError, TransientStoreError
from durable_lambda_server.wire.errors import (
    LambdaApiError,
    ServiceException,
    TooManyRequestsException,
)

__all__ = ["Translated", "is_retryable", "service_error"]

T = TypeVar("T")

log = logging.getLogger("durable_lambda_server.engine")


def service_error(err: StoreError) -> LambdaApiError:
    """The Lambda error for a store failure; in every case the transaction was rolled back.

    * ``StoreBusyError`` (another writer held the database past the busy timeout) ->
      ``TooManyRequestsException``, 429, ``Reason: CallerRateLimitExceeded``: nothing happened,
      the caller should back off and retry (botocore and the SDK retry 429 by themselves).
    * any other ``TransientStoreError`` (disk full, I/O error) -> ``ServiceException``, 500:
      a server fault that clears when the operator frees space; 5xx is retried by botocore and
      classified as a retryable invocation error by the SDK (sdk-spec.md §9.4).
    * anything else the store reports -> ``ServiceException``, 500, logged.
    """
    if isinstance(err, StoreBusyError):
        return TooManyRequestsException(
            f"Rate exceeded: the store is busy, retry: {err}", Reason="CallerRateLimitExceeded"
        )
    if not isinstance(err, TransientStoreError):
        log.error("store failure: %s", err)
    return ServiceException(f"store unavailable, nothing was written, retry: {err}")


def is_retryable(err: BaseException) -> bool:
    """Whether repeating the call may succeed.

    True when the store was busy (429) or transiently failed (disk full, I/O: a
    ``ServiceException`` caused by a ``TransientStoreError``). Fenced calls, invalid input and
    other store failures are not retryable.
    """
    if isinstance(err, (TooManyRequestsException, TransientStoreError)):
        return True
    return isinstance(err, ServiceException) and isinstance(err.__cause__, TransientStoreError)


class Translated(Generic[T]):
    """Store errors become service errors at the engine boundary (style.md §5)."""

    def __init__(self, cm: AbstractContextManager[T]) -> None:
        """Wraps ``cm``, a store transaction or group."""
        self._cm = cm

    def __enter__(self) -> T:
        """Enters the wrapped context; a store failure raises as a Lambda error."""
        try:
            return self._cm.__enter__()
        except StoreError as err:
            raise service_error(err) from err

    def __exit__(self, *exc: Any) -> Any:
        """Exits the wrapped context (commit or roll back); store failures become Lambda errors."""
        try:
            return self._cm.__exit__(*exc)
        except StoreError as err:
            raise service_error(err) from err
