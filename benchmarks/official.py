"""The official side: the same handlers on AWS's testing library
(aws_durable_execution_sdk_python_testing 1.4.0, ``DurableFunctionTestRunner``, in process), with
its default in-memory store or its SQLite store (``stores.sqlite.SQLiteExecutionStore``: WAL,
synchronous=NORMAL, the whole execution saved as one JSON document per checkpoint).

AWS's packages live outside our venv (``.cache/official``, installed by scripts/setup.sh), so this
module runs as a subprocess with ``PYTHONPATH=.cache/official``::

    python -m benchmarks.official --handler sequential_steps --n 100 --store memory --repeat 3

It prints one JSON line: ``{"seconds": [...]}`` (wall time of ``runner.run`` per repeat, runner
construction excluded, as our side excludes opening the runtime) or ``{"error": "..."}``.
The parent side is ``official_seconds``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import OFFICIAL_DIR, ROOT

__all__ = ["OfficialError", "official_seconds"]


class OfficialError(RuntimeError):
    """The official runner could not produce a figure."""


def official_seconds(
    handler: str,
    payload: dict[str, Any],
    expected: Any,
    store: str,
    repeat: int,
    timeout: float = 900.0,
) -> list[float]:
    """Runs ``handler`` (a name in official_handlers.py) ``repeat`` times on the official runner
    in a subprocess and returns the wall time of each run."""
    if not (OFFICIAL_DIR / "aws_durable_execution_sdk_python_testing").is_dir():
        raise OfficialError(f"{OFFICIAL_DIR} is missing: run scripts/setup.sh")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(OFFICIAL_DIR), str(ROOT)])
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.official",
        "--handler",
        handler,
        "--payload",
        json.dumps(payload),
        "--expected",
        json.dumps(expected),
        "--store",
        store,
        "--repeat",
        str(repeat),
    ]
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as err:
        raise OfficialError(f"official runner took more than {timeout:.0f} s") from err
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise OfficialError(
            f"official runner exited {proc.returncode}: {proc.stderr.strip()[-400:]}"
        )
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise OfficialError(answer["error"])
    return [float(x) for x in answer["seconds"]]


def _run_once(handler: Any, payload: dict[str, Any], expected: Any, store_kind: str) -> float:
    from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        store = None
        if store_kind == "sqlite":
            from aws_durable_execution_sdk_python_testing.stores.sqlite import SQLiteExecutionStore

            store = SQLiteExecutionStore.create_and_initialize(Path(tmp) / "official.db")
        runner = DurableFunctionTestRunner(handler=handler, store=store, skip_time=True)
        try:
            gc.collect()  # as on our side: no earlier run's garbage collected inside this one
            started = time.perf_counter()
            result = runner.run(input=json.dumps(payload), execution_timeout=3600)
            elapsed = time.perf_counter() - started
        finally:
            runner.close()
    status = getattr(result.status, "value", result.status)
    value = result.result
    if isinstance(value, str):
        value = json.loads(value)
    if status != "SUCCEEDED" or value != expected:
        raise OfficialError(
            f"official run ended {status} with {str(value)[:200]} (expected {expected})"
        )
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--payload", required=True)
    parser.add_argument("--expected", required=True)
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        import logging

        logging.disable(logging.WARNING)  # the runner logs every invocation
        from benchmarks import official_handlers

        handler = getattr(official_handlers, args.handler)
        payload, expected = json.loads(args.payload), json.loads(args.expected)
        seconds = [_run_once(handler, payload, expected, args.store) for _ in range(args.repeat)]
    except Exception as err:  # reported to the parent as a row error, never a crash
        print(json.dumps({"error": f"{type(err).__name__}: {err}"[:500]}))
        return 1
    print(json.dumps({"seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
