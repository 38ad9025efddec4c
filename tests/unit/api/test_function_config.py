"""Validation of function settings and uploaded zips (client mistakes are 400s, never 500s)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from durable_lambda_server.api.code_package import check_zip, code_dir_of, handler_spec
from durable_lambda_server.api.function_config import (
    check_durable_config,
    check_environment,
    check_function_name,
    check_handler,
    check_memory,
    check_runtime,
    check_timeout,
)
from durable_lambda_server.engine import FunctionRecord
from durable_lambda_server.wire.errors import InvalidParameterValueException


def test_ranges_and_enums() -> None:
    assert check_timeout({"Timeout": 900}) == 900 and check_timeout({}) is None
    assert check_memory({"MemorySize": 128}) == 128
    assert check_runtime("python3.13") == "python3.13"
    assert check_handler("pkg.mod.run") == "pkg.mod.run"
    assert check_function_name("arn:aws:lambda:us-east-1:000000000000:function:fn") == "fn"
    assert check_durable_config({"RetentionPeriodInDays": 3}, (60, 7)) == (60, 3)
    assert (
        check_environment({"Variables": {"A_1": "x"}}) == {"A_1": "x"}
        and check_environment({}) == {}
    )
    bad = [
        lambda: check_timeout({"Timeout": 0}),
        lambda: check_timeout({"Timeout": True}),
        lambda: check_timeout({"Timeout": "3"}),
        lambda: check_memory({"MemorySize": 10241}),
        lambda: check_runtime("nodejs20.x"),
        lambda: check_runtime(None),
        lambda: check_handler("x"),
        lambda: check_handler("a b.c"),
        lambda: check_handler(".a"),
        lambda: check_function_name("../x"),
        lambda: check_function_name("fn:1"),
        lambda: check_durable_config([]),
        lambda: check_durable_config({"ExecutionTimeout": 31_622_401}),
        lambda: check_environment({"Variables": {"A": 1}}),
        lambda: check_environment({"Variables": {"A": "x" * 5000}}),
    ]
    for call in bad:
        with pytest.raises(InvalidParameterValueException):
            call()


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, "x")
    return buf.getvalue()


def test_zip_checks() -> None:
    check_zip(_zip(["a.py", "pkg/b.py"])).close()
    for data in (b"junk", _zip(["../evil.py"]), _zip(["/abs.py"])):
        with pytest.raises(InvalidParameterValueException):
            check_zip(data)


def test_code_dir_is_recovered_from_the_handler_spec(tmp_path: Path) -> None:
    spec = handler_spec(tmp_path / "3", "pkg.mod.run")
    record = FunctionRecord(name="f", handler=spec, api_config={"Handler": "pkg.mod.run"})
    assert code_dir_of(record) == tmp_path / "3"
    assert code_dir_of(FunctionRecord(name="f", handler="/x/app.py:h")) is None
