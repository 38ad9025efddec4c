"""HTTP edge helpers: raw-path routing, timestamp conversion, handler mapping, zip extraction."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from durable_lambda_server.api.app import Router, split_raw_path
from durable_lambda_server.api.code_package import extract_code, handler_spec
from durable_lambda_server.api.http_codec import to_wire
from durable_lambda_server.wire.errors import InvalidParameterValueException


async def _noop(*args: object) -> None:
    return None


def test_raw_path_keeps_encoded_slashes_inside_one_segment() -> None:
    raw = (
        b"/2025-12-01/durable-executions/"
        b"arn%3Aaws%3Alambda%3Aus-east-1%3A0%3Afunction%3Af%3A%24LATEST%2Fdurable-execution%2Fn%2Fi"
        b"/state"
    )
    assert split_raw_path(raw) == [
        "2025-12-01",
        "durable-executions",
        "arn:aws:lambda:us-east-1:0:function:f:$LATEST/durable-execution/n/i",
        "state",
    ]
    assert split_raw_path(b"/2015-03-31/functions/") == ["2015-03-31", "functions"]
    assert split_raw_path(b"/a%2Bb%3D/x?y=1") == ["a+b=", "x"]


def test_router_matches_method_and_shape() -> None:
    router = Router([("GET", "/v/things/{Id}", _noop), ("POST", "/v/things/{Id}/go", _noop)])
    assert router.match("GET", ["v", "things", "a/b"]) == (_noop, {"Id": "a/b"})
    assert router.match("POST", ["v", "things", "a"]) is None
    assert router.match("POST", ["v", "things", "a", "go"]) == (_noop, {"Id": "a"})
    assert router.match("GET", ["v", "other", "a"]) is None


def test_timestamps_become_epoch_seconds_everywhere() -> None:
    body = {
        "StartTimestamp": 1767225600123,
        "Events": [
            {"EventTimestamp": 1000, "EventId": 3, "WaitDetails": {"ScheduledEndTimestamp": 2500}}
        ],
        "Flag": True,
        "Other": 5,
    }
    assert to_wire(body) == {
        "StartTimestamp": 1767225600.123,
        "Events": [
            {"EventTimestamp": 1.0, "EventId": 3, "WaitDetails": {"ScheduledEndTimestamp": 2.5}}
        ],
        "Flag": True,
        "Other": 5,
    }


def test_handler_mapping(tmp_path: Path) -> None:
    assert handler_spec(tmp_path, "app.handler") == f"{tmp_path}/app.py:handler"
    assert handler_spec(tmp_path, "pkg.mod.run") == f"{tmp_path}/pkg/mod.py:run"
    for bad in (None, "nodot", "app.", ".fn"):
        with pytest.raises(InvalidParameterValueException):
            handler_spec(tmp_path, bad)


def test_extract_code_numbers_uploads_and_rejects_escapes(tmp_path: Path) -> None:
    def zipped(name: str) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(name, "x = 1")
        return buf.getvalue()

    first = extract_code(tmp_path, "fn", zipped("app.py"))
    second = extract_code(tmp_path, "fn", zipped("app.py"))
    assert (first.name, second.name) == ("1", "2") and (second / "app.py").is_file()
    with pytest.raises(InvalidParameterValueException):
        extract_code(tmp_path, "fn", b"not a zip")
    with pytest.raises(InvalidParameterValueException):
        extract_code(tmp_path, "fn", zipped("../evil.py"))
    assert not (tmp_path / "functions" / "evil.py").exists()
