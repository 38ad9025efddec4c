"""Each ``durable_lambda.<module>`` exposes the AWS SDK 3.0.0 public names (style.md §4).

The expected names live in ``aws_exports.json`` beside this file, so adding AWS names is a data
change. Modules owned elsewhere (context, execution, the package root) are not listed yet.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

EXPORTS = json.loads((Path(__file__).parent / "aws_exports.json").read_text(encoding="utf-8"))
MODULES: dict[str, list[str]] = EXPORTS["modules"]


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_module_exposes_aws_names(module_name: str) -> None:
    module = importlib.import_module(f"durable_lambda.{module_name}")
    missing = [name for name in MODULES[module_name] if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_module_all_lists_aws_names(module_name: str) -> None:
    module = importlib.import_module(f"durable_lambda.{module_name}")
    assert set(MODULES[module_name]) <= set(module.__all__)


def test_constants_values() -> None:
    from durable_lambda import constants

    assert constants.CHECKPOINT_SIZE_LIMIT_BYTES == 262144
    assert constants.LAMBDA_RESPONSE_SIZE_LIMIT == 6 * 1024 * 1024 - 50 == 6291406
