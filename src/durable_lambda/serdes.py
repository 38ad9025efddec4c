"""Serialization of checkpointed values, name for name with AWS SDK 3.0.0 ``serdes`` (§8).

Owns the ``SerDes`` interface, the three built-in implementations and the extended-types
envelope, whose wire format is byte-exact with AWS (§8.2, verified against the 3.0.0 wheel):
primitives (and lists of primitives) are plain compact JSON; anything else becomes
``{"t": tag, "v": value}`` applied recursively, so checkpoints written by either SDK replay in
the other. The module functions ``serialize``/``deserialize`` are what operation executors call:
they pick the default serdes and turn unexpected failures into ``SerDesError`` (permanent).

Deliberately not here: round-tripping (the executors do it) and ``FileSystemSerDes``.
"""

from __future__ import annotations

import base64
import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from durable_lambda.exceptions import RetryableSerDesError, SerDesError

T = TypeVar("T")

__all__ = [
    "DEFAULT_JSON_SERDES",
    "EXTENDED_TYPES_SERDES",
    "ExtendedTypeSerDes",
    "JsonSerDes",
    "PassThroughSerDes",
    "SerDes",
    "SerDesContext",
    "TypeTag",
    "deserialize",
    "serialize",
]

_COMPACT = (",", ":")
# ``json.dumps(value, separators=_COMPACT)`` builds this very encoder on every call.
_dumps_compact = json.JSONEncoder(separators=_COMPACT).encode


@dataclass(frozen=True)
class SerDesContext:
    """Which operation a value belongs to, for serdes that store data out of band."""

    operation_id: str = ""
    durable_execution_arn: str = ""


class SerDes(ABC, Generic[T]):
    """Turns values into checkpoint payload strings and back."""

    @abstractmethod
    def serialize(self, value: T, serdes_context: SerDesContext) -> str:
        """The payload string for ``value``."""

    @abstractmethod
    def deserialize(self, data: str, serdes_context: SerDesContext) -> T:
        """The value encoded in ``data``."""

    @staticmethod
    def is_primitive(obj: Any) -> bool:
        """``None``/str/int/float/bool, or a list whose items are all primitive (recursively)."""
        if obj is None or isinstance(obj, str | int | float | bool):
            return True
        if isinstance(obj, list):
            return all(SerDes.is_primitive(item) for item in obj)
        return False


class JsonSerDes(SerDes[Any]):
    """Plain ``json.dumps``/``json.loads``: the invoke default (seed patch 47)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        """``json.dumps(value)``."""
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        """``json.loads(data)``."""
        return json.loads(data)


class PassThroughSerDes(SerDes[Any]):
    """Leaves values untouched: callback results come back as the caller's raw string (§4.3)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> Any:
        """``value`` itself."""
        return value

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        """``data`` itself."""
        return data


class TypeTag(StrEnum):
    """The ``"t"`` tags of the extended-types envelope (§8.2)."""

    NONE = "n"
    STR = "s"
    BOOL = "b"
    INT = "i"
    FLOAT = "f"
    BYTES = "B"
    UUID = "u"
    DECIMAL = "d"
    DATETIME = "dt"
    DATE = "D"
    TUPLE = "t"
    LIST = "l"
    DICT = "m"
    BATCH_RESULT = "br"


def _envelope(tag: TypeTag, value: Any) -> dict[str, Any]:
    return {"t": tag.value, "v": value}


def _b64(value: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _isoformat(value: date) -> str:
    return value.isoformat()


def _identity(value: Any) -> Any:
    return value


# Checked in order: bool before int (bool is an int subclass), datetime before date.
_SCALAR_ENCODERS: tuple[tuple[type | tuple[type, ...], TypeTag, Callable[[Any], Any]], ...] = (
    (str, TypeTag.STR, _identity),
    (bool, TypeTag.BOOL, _identity),
    (int, TypeTag.INT, _identity),
    (float, TypeTag.FLOAT, _identity),
    ((bytes, bytearray, memoryview), TypeTag.BYTES, _b64),
    (uuid.UUID, TypeTag.UUID, str),
    (Decimal, TypeTag.DECIMAL, str),
    (datetime, TypeTag.DATETIME, _isoformat),
    (date, TypeTag.DATE, _isoformat),
)


def _encode_scalar(value: Any) -> dict[str, Any] | None:
    """The envelope of a leaf value, or ``None`` if ``value`` is not a supported leaf."""
    if value is None:
        return _envelope(TypeTag.NONE, None)
    for types, tag, encode in _SCALAR_ENCODERS:
        if isinstance(value, types):
            return _envelope(tag, encode(value))
    return None


def _encode(value: Any) -> dict[str, Any]:  # noqa: PLR0911  (one return per kind, on the hot path)
    exact = _EXACT_ENCODERS.get(type(value))
    if exact is not None:  # the common types, without walking the isinstance chain
        return exact(value)
    scalar = _encode_scalar(value)
    if scalar is not None:
        return scalar
    if isinstance(value, tuple):
        return _encode_tuple(value)
    if isinstance(value, list):
        return _encode_list(value)
    if isinstance(value, dict):
        return _encode_dict(value)
    # Late import: concurrency.models imports config, which SDK modules import first.
    from durable_lambda.concurrency.models import BatchResult

    if type(value) is BatchResult:
        return _encode_batch_result(value)
    if isinstance(value, BatchResult):
        return _envelope(TypeTag.BATCH_RESULT, _encode(value.to_dict()))
    raise SerDesError(f"Unsupported type: {type(value)}")


def _encode_batch_result(value: Any) -> dict[str, Any]:
    """Encodes a plain ``BatchResult`` as ``_envelope(BATCH_RESULT, _encode(value.to_dict()))``.

    It skips building ``to_dict()`` first, since a 1,000-item map result is encoded on every map.
    """
    from durable_lambda.concurrency.models import BatchItem

    items = []
    for item in value.all:
        if type(item) is not BatchItem:
            items.append(_encode(item.to_dict()))
            continue
        error = item.error
        fields = {
            "index": _encode(item.index),
            "status": _encode(item.status.value),
            "result": _encode(item.result),
            "error": _encode(error.to_dict() if error is not None else None),
        }
        items.append({"t": "m", "v": fields})
    body = {
        "all": {"t": "l", "v": items},
        "completionReason": _encode(value.completion_reason.value),
    }
    return {"t": "br", "v": {"t": "m", "v": body}}


def _encode_tuple(value: tuple[Any, ...]) -> dict[str, Any]:
    return {"t": "t", "v": [_encode(item) for item in value]}


def _encode_list(value: list[Any]) -> dict[str, Any]:
    return {"t": "l", "v": [_encode(item) for item in value]}


def _encode_dict(value: dict[Any, Any]) -> dict[str, Any]:
    encoded: dict[Any, Any] = {}
    for key, item in value.items():
        if isinstance(key, tuple):
            raise SerDesError("Unsupported dict key type: tuple")
        # Other non-str keys are left for json.dumps to stringify, as AWS does (§22.16).
        encoded[key] = _encode(item)
    return {"t": "m", "v": encoded}


# Exactly these types take the same branch of ``_encode`` as the isinstance chain would give
# them (subclasses, e.g. an IntEnum, still walk the chain); the output is identical.
_EXACT_ENCODERS: dict[type, Callable[[Any], dict[str, Any]]] = {
    type(None): lambda _value: {"t": "n", "v": None},
    str: lambda value: {"t": "s", "v": value},
    bool: lambda value: {"t": "b", "v": value},
    int: lambda value: {"t": "i", "v": value},
    float: lambda value: {"t": "f", "v": value},
    tuple: _encode_tuple,
    list: _encode_list,
    dict: _encode_dict,
}


def _decode(node: Any) -> Any:
    if not isinstance(node, dict) or "t" not in node or "v" not in node:
        raise SerDesError('Malformed envelope: missing "t" or "v".')
    tag, value = node["t"], node["v"]
    simple = _SIMPLE_DECODERS.get(tag)
    if simple is not None:
        return simple(value)
    if tag == "t":
        return tuple(_decode(item) for item in value)
    if tag == "l":
        return [_decode(item) for item in value]
    if tag == "m":
        return {key: _decode(item) for key, item in value.items()}
    if tag == "br":
        from durable_lambda.concurrency.models import BatchResult

        return BatchResult.from_dict(_decode(value))
    raise SerDesError(f"Unknown type tag: {tag!r}")


def _parse_datetime(text: str) -> datetime:
    # Other SDKs write UTC as a trailing "Z" (§8.2).
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


_SIMPLE_DECODERS: dict[str, Any] = {
    TypeTag.NONE.value: lambda _value: None,
    TypeTag.STR.value: str,
    TypeTag.BOOL.value: bool,
    TypeTag.INT.value: int,
    TypeTag.FLOAT.value: float,
    TypeTag.BYTES.value: base64.b64decode,
    TypeTag.UUID.value: uuid.UUID,
    TypeTag.DECIMAL.value: Decimal,
    TypeTag.DATETIME.value: _parse_datetime,
    TypeTag.DATE.value: date.fromisoformat,
}


class ExtendedTypeSerDes(SerDes[Any]):
    """The default serdes for step, child, map/parallel and wait_for_condition values (§8.1)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        """Compact JSON for primitives, the recursive ``{"t","v"}`` envelope otherwise."""
        if self.is_primitive(value):
            return _dumps_compact(value)
        return _dumps_compact(_encode(value))

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        """The value written by ``serialize`` (or by the AWS SDK)."""
        parsed = json.loads(data)
        if self.is_primitive(parsed):
            return parsed
        if not isinstance(parsed, dict) or "t" not in parsed or "v" not in parsed:
            raise SerDesError('Malformed envelope: missing "t" or "v" at root.')
        return _decode(parsed)


DEFAULT_JSON_SERDES: SerDes[Any] = JsonSerDes()
EXTENDED_TYPES_SERDES: SerDes[Any] = ExtendedTypeSerDes()


def serialize(
    serdes: SerDes[Any] | None, value: Any, operation_id: str, durable_execution_arn: str
) -> str:
    """``value`` as a payload string; ``serdes=None`` uses ``EXTENDED_TYPES_SERDES``.

    Raises:
        SerDesError: serialization failed (any unexpected error is wrapped, §8.1).
        RetryableSerDesError: raised as is by the serdes, so the invocation is retried.
    """
    active = serdes if serdes is not None else EXTENDED_TYPES_SERDES
    context = SerDesContext(operation_id, durable_execution_arn)
    try:
        return active.serialize(value, context)
    except (SerDesError, RetryableSerDesError):
        raise
    except Exception as err:
        raise SerDesError(f"Serialization failed for id: {operation_id}, error: {err}.") from err


def deserialize(
    serdes: SerDes[Any] | None, data: str, operation_id: str, durable_execution_arn: str
) -> Any:
    """The value in ``data``; ``serdes=None`` uses ``EXTENDED_TYPES_SERDES``.

    Raises:
        SerDesError: deserialization failed (any unexpected error is wrapped, §8.1).
        RetryableSerDesError: raised as is by the serdes, so the invocation is retried.
    """
    active = serdes if serdes is not None else EXTENDED_TYPES_SERDES
    context = SerDesContext(operation_id, durable_execution_arn)
    try:
        return active.deserialize(data, context)
    except (SerDesError, RetryableSerDesError):
        raise
    except Exception as err:
        raise SerDesError(f"Deserialization failed for id: {operation_id}, error: {err}.") from err
