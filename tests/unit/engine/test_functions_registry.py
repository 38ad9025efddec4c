"""Engine function registry additions used by the HTTP API: list, delete, stored API config."""

from __future__ import annotations

import pytest

from durable_lambda_server.engine import FunctionRecord
from durable_lambda_server.wire.errors import ResourceNotFoundException
from tests.unit.engine.conftest import Harness


def test_list_functions_is_sorted_latest(h: Harness) -> None:
    h.engine.put_function(
        FunctionRecord(name="alpha", handler="a.py:h", api_config={"Runtime": "python3.13"})
    )
    records = h.engine.list_functions()
    assert [r.name for r in records] == ["alpha", "fn"]
    assert records[0].version == "$LATEST" and records[0].api_config == {"Runtime": "python3.13"}
    assert records[1].api_config == {}


def test_api_config_survives_publishing(h: Harness) -> None:
    h.engine.put_function(
        FunctionRecord(name="alpha", handler="a.py:h", api_config={"Handler": "a.h"})
    )
    assert h.engine.publish_version("alpha").api_config == {"Handler": "a.h"}


def test_delete_function_removes_versions_and_aliases_keeps_executions(h: Harness) -> None:
    arn = h.start()
    h.engine.publish_version("fn")
    h.engine.put_alias("fn", "live", "1")
    h.engine.delete_function("fn")
    assert h.engine.list_functions() == []
    with pytest.raises(ResourceNotFoundException):
        h.engine.get_function("fn", "live")
    assert h.engine.get_execution(arn)["Status"] == "RUNNING"
    with pytest.raises(ResourceNotFoundException):
        h.engine.delete_function("fn")
    h.engine.put_function(FunctionRecord(name="fn", handler="app.py:handler"))
    assert h.engine.list_aliases("fn") == [] and [
        r.version for r in h.engine.list_versions("fn")
    ] == ["$LATEST"]
