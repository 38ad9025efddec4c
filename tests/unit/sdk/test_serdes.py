"""Unit tests for durable_lambda.serdes, incl. the exact wire strings of sdk-spec.md §8.2."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from durable_lambda.concurrency.models import BatchItem, BatchResult, CompletionReason
from durable_lambda.config import BatchItemStatus
from durable_lambda.exceptions import RetryableSerDesError, SerDesError
from durable_lambda.lambda_service import ErrorObject
from durable_lambda.serdes import (
    DEFAULT_JSON_SERDES,
    EXTENDED_TYPES_SERDES,
    ExtendedTypeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    SerDes,
    SerDesContext,
    TypeTag,
    deserialize,
    serialize,
)

CTX = SerDesContext()


def ext(value: Any) -> str:
    return EXTENDED_TYPES_SERDES.serialize(value, CTX)


def unext(data: str) -> Any:
    return EXTENDED_TYPES_SERDES.deserialize(data, CTX)


def test_serdes_context_defaults() -> None:
    assert SerDesContext() == SerDesContext(operation_id="", durable_execution_arn="")


@pytest.mark.parametrize(
    ("value", "primitive"),
    [
        (None, True),
        ("s", True),
        (1, True),
        (1.5, True),
        (True, True),
        ([1, "a", None, [2, [3.0]]], True),
        ([], True),
        ({}, False),
        ((1,), False),
        ([1, {"a": 1}], False),
        (b"x", False),
    ],
)
def test_is_primitive(value: Any, primitive: bool) -> None:
    assert SerDes.is_primitive(value) is primitive


# ---------------------------------------------------------------------------------- wire format


WIRE_CASES: list[tuple[Any, str]] = [
    (None, "null"),
    (1, "1"),
    ("x", '"x"'),
    (True, "true"),
    (1.5, "1.5"),
    ([1, 2], "[1,2]"),
    ([1, "a", None], '[1,"a",null]'),
    ({"a": 1}, '{"t":"m","v":{"a":{"t":"i","v":1}}}'),
    (
        [1, {"b": 2}],
        '{"t":"l","v":[{"t":"i","v":1},{"t":"m","v":{"b":{"t":"i","v":2}}}]}',
    ),
    ((1, "a"), '{"t":"t","v":[{"t":"i","v":1},{"t":"s","v":"a"}]}'),
    (
        {"n": None, "b": True, "f": 1.5},
        '{"t":"m","v":{"n":{"t":"n","v":null},"b":{"t":"b","v":true},"f":{"t":"f","v":1.5}}}',
    ),
    (b"hi", '{"t":"B","v":"aGk="}'),
    (bytearray(b"hi"), '{"t":"B","v":"aGk="}'),
    (memoryview(b"hi"), '{"t":"B","v":"aGk="}'),
    (uuid.UUID(int=1), '{"t":"u","v":"00000000-0000-0000-0000-000000000001"}'),
    (Decimal("1.10"), '{"t":"d","v":"1.10"}'),
    (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), '{"t":"dt","v":"2025-01-02T03:04:05+00:00"}'),
    (date(2025, 1, 2), '{"t":"D","v":"2025-01-02"}'),
    ({1: "x"}, '{"t":"m","v":{"1":{"t":"s","v":"x"}}}'),
    ({}, '{"t":"m","v":{}}'),
]


@pytest.mark.parametrize(("value", "wire"), WIRE_CASES, ids=lambda v: type(v).__name__)
def test_extended_wire_strings(value: Any, wire: str) -> None:
    assert ext(value) == wire


@pytest.mark.parametrize(
    "value",
    [
        None,
        0,
        -3,
        "ünïcode",
        [1, [2, [3]]],
        {"a": [1, (2, 3)], "b": {"c": b"\x00\xff"}},
        (1, (2, (3,))),
        [(), []],
        {"when": datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))},
        {"naive": datetime(2025, 1, 2, 3, 4, 5)},  # noqa: DTZ001  (naive on purpose)
        [date(2024, 2, 29), Decimal("-0.000001"), uuid.UUID(int=2**127)],
        {"big": 2**80, "f": float("inf")},
        [True, False, 1, 0],
    ],
)
def test_extended_round_trip(value: Any) -> None:
    back = unext(ext(value))
    assert back == value
    assert type(back) is (bytes if isinstance(value, bytearray | memoryview) else type(value))


def test_round_trip_preserves_nested_types() -> None:
    back = unext(ext({"t": (1, True), "b": b"x"}))
    assert isinstance(back["t"], tuple)
    assert back["t"][1] is True
    assert isinstance(back["b"], bytes)


def test_round_trip_stringifies_non_str_keys() -> None:
    assert unext(ext({2: "a", None: "b", False: "c"})) == {"2": "a", "null": "b", "false": "c"}


def test_datetime_decoder_accepts_trailing_z() -> None:
    assert unext('{"t":"dt","v":"2025-01-02T03:04:05Z"}') == datetime(
        2025, 1, 2, 3, 4, 5, tzinfo=UTC
    )


def test_batch_result_envelope() -> None:
    result = BatchResult(
        [
            BatchItem(0, BatchItemStatus.SUCCEEDED, {"x": (1, 2)}),
            BatchItem(1, BatchItemStatus.FAILED, error=ErrorObject("bad", "ValueError")),
        ],
        CompletionReason.ALL_COMPLETED,
    )
    wire = ext(result)
    assert wire.startswith('{"t":"br","v":{"t":"m","v":{"all":{"t":"l","v":[')
    assert json.loads(wire)["v"] == json.loads(ext(result.to_dict()))
    assert unext(wire) == result


def test_unsupported_type_rejected() -> None:
    class Custom:
        pass

    with pytest.raises(SerDesError, match="Unsupported type"):
        ext({"x": Custom()})


def test_tuple_keys_rejected() -> None:
    with pytest.raises(SerDesError):
        ext({(1, 2): "x"})


@pytest.mark.parametrize(
    "data",
    ['{"a":1}', '{"t":"i"}', '[{"a":1}]'],
    ids=["plain-object", "missing-v", "list-with-object"],
)
def test_malformed_root_envelope(data: str) -> None:
    with pytest.raises(SerDesError, match="Malformed envelope"):
        unext(data)


def test_malformed_nested_envelope() -> None:
    with pytest.raises(SerDesError, match="Malformed envelope"):
        unext('{"t":"l","v":[1]}')


def test_unknown_tag() -> None:
    with pytest.raises(SerDesError, match="Unknown type tag"):
        unext('{"t":"zz","v":1}')


def test_type_tags_are_the_wire_tags() -> None:
    assert {tag.value for tag in TypeTag} == {
        "n", "s", "b", "i", "f", "B", "u", "d", "dt", "D", "t", "l", "m", "br"
    }  # fmt: skip


# ---------------------------------------------------------------------------------- simple serdes


def test_json_serdes() -> None:
    assert isinstance(DEFAULT_JSON_SERDES, JsonSerDes)
    assert DEFAULT_JSON_SERDES.serialize({"a": [1, 2]}, CTX) == '{"a": [1, 2]}'
    assert DEFAULT_JSON_SERDES.deserialize('{"a": 1}', CTX) == {"a": 1}


def test_pass_through_serdes() -> None:
    serdes = PassThroughSerDes()
    assert serdes.serialize('{"ok": true}', CTX) == '{"ok": true}'
    assert serdes.deserialize('{"ok": true}', CTX) == '{"ok": true}'


def test_extended_singleton() -> None:
    assert isinstance(EXTENDED_TYPES_SERDES, ExtendedTypeSerDes)


# ------------------------------------------------------------------------------ module functions


class Recording(SerDes[Any]):
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.contexts: list[SerDesContext] = []

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        self.contexts.append(serdes_context)
        if self.error:
            raise self.error
        return f"<{value}>"

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        self.contexts.append(serdes_context)
        if self.error:
            raise self.error
        return data.strip("<>")


def test_module_functions_default_to_extended() -> None:
    assert serialize(None, {"a": 1}, "op", "arn") == '{"t":"m","v":{"a":{"t":"i","v":1}}}'
    assert deserialize(None, '{"t":"t","v":[]}', "op", "arn") == ()


def test_module_functions_pass_context() -> None:
    serdes = Recording()
    assert serialize(serdes, 5, "op-1", "arn:x") == "<5>"
    assert deserialize(serdes, "<5>", "op-1", "arn:x") == "5"
    assert serdes.contexts == [SerDesContext("op-1", "arn:x")] * 2


def test_module_functions_wrap_unexpected_errors() -> None:
    serdes = Recording(KeyError("k"))
    with pytest.raises(SerDesError) as info:
        serialize(serdes, 1, "op-1", "arn")
    assert str(info.value) == "Serialization failed for id: op-1, error: 'k'."
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(SerDesError, match=r"^Deserialization failed for id: op-1, error: 'k'\.$"):
        deserialize(serdes, "x", "op-1", "arn")


def test_module_functions_wrap_json_errors() -> None:
    with pytest.raises(SerDesError, match="Deserialization failed for id: op"):
        deserialize(None, "{not json", "op", "arn")
    with pytest.raises(SerDesError, match="Serialization failed for id: op"):
        serialize(None, {uuid.UUID(int=1): 1}, "op", "arn")


@pytest.mark.parametrize(
    "error", [SerDesError("permanent"), RetryableSerDesError("again")], ids=["serdes", "retryable"]
)
def test_module_functions_propagate_serdes_errors(error: Exception) -> None:
    serdes = Recording(error)
    with pytest.raises(type(error)) as info:
        serialize(serdes, 1, "op", "arn")
    assert info.value is error
    with pytest.raises(type(error)):
        deserialize(serdes, "x", "op", "arn")
