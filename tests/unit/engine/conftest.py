"""The engine unit tests' rig: ``tests/support/engine_rig.py`` (one rig for every engine test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.engine_rig import EngineRig

Harness = EngineRig  # the name these tests use


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    rig = Harness(tmp_path / "state.db")
    yield rig
    rig.close()


def step(op_id: str, action: str, **extra: Any) -> dict[str, Any]:
    return {"Id": op_id, "Type": "STEP", "SubType": "Step", "Action": action, **extra}
