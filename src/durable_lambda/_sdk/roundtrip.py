"""When an executor may skip deserializing what it just serialized (decision 0006).

Steps and child contexts return ``deserialize(serialize(value))`` on their first run, so a
first run and a replay see the same value. With the default serdes (``EXTENDED_TYPES_SERDES``)
that round trip provably gives back an equal value of the same type for the values accepted
here, and as they are immutable (or, for a ``BatchResult``, built by the SDK and held by no one
else) returning the original is indistinguishable. Everything else still takes the round trip.

Accepted: exactly ``None``/``bool``/``int``/``float``/``str`` (subclasses such as enums come
back as their base type, so they are refused), and a ``BatchResult`` whose items carry such
results and no error. Lists are refused: the copy would not share the caller's list.
"""

from __future__ import annotations

from typing import Any

from durable_lambda.concurrency.models import BatchItem, BatchResult, CompletionReason
from durable_lambda.config import BatchItemStatus
from durable_lambda.serdes import EXTENDED_TYPES_SERDES

__all__ = ["round_trip_is_identity"]

_IMMUTABLE_PRIMITIVES = frozenset({type(None), bool, int, float, str})


def round_trip_is_identity(serdes: Any, value: Any) -> bool:
    """Whether ``deserialize(serdes, serialize(serdes, value))`` may be replaced by ``value``."""
    if serdes is not None and serdes is not EXTENDED_TYPES_SERDES:
        return False
    kind = type(value)
    if kind in _IMMUTABLE_PRIMITIVES:
        return True
    return kind is BatchResult and _plain_batch(value)


def _plain_batch(batch: BatchResult[Any]) -> bool:
    if type(batch.completion_reason) is not CompletionReason or type(batch.all) is not list:
        return False
    primitives = _IMMUTABLE_PRIMITIVES
    for item in batch.all:
        if (
            type(item) is not BatchItem
            or item.error is not None
            or type(item.index) is not int
            or type(item.status) is not BatchItemStatus
            or type(item.result) not in primitives
        ):
            return False
    return True
