"""The SDK installs on its own (issue 16, decision 0016): a fresh virtualenv that installs the
project without extras can import every public SDK module and run a handler, and has none of the
server's dependencies, so a function zip built from it carries nothing but the SDK."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import importlib, json, sys
public = ["durable_lambda", "durable_lambda.context", "durable_lambda.execution",
          "durable_lambda.config", "durable_lambda.retries", "durable_lambda.waits",
          "durable_lambda.serdes", "durable_lambda.types", "durable_lambda.exceptions",
          "durable_lambda.logger", "durable_lambda.lambda_service", "durable_lambda.plugin",
          "durable_lambda.concurrency.models", "durable_lambda.constants", "durable_lambda_testing"]
for name in public:
    importlib.import_module(name)
from durable_lambda import DurableContext, durable_execution, durable_step

@durable_step
def double(step_context, x):
    return 2 * x

@durable_execution
def handler(event, context: DurableContext):
    return context.step(double(event["x"]))

missing = []
for name in ("starlette", "uvicorn", "rich", "yaml", "httptools", "uvloop", "boto3"):
    try:
        importlib.import_module(name)
    except ImportError:
        missing.append(name)
print(json.dumps({"missing": missing, "durable": getattr(handler, "__durable_execution__", False)}))
"""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_sdk_installs_alone_without_server_dependencies(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    installed = {line.split("==")[0].lower() for line in listed}
    assert installed - {"pip", "setuptools", "wheel"} == {"durable-lambda"}, listed
    out = subprocess.run(
        [str(python), "-c", PROBE], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    result = json.loads(out.stdout)
    assert result == {
        "missing": ["starlette", "uvicorn", "rich", "yaml", "httptools", "uvloop", "boto3"],
        "durable": True,
    }
