"""S1: a sequential chain of trivial steps, in process, on the durable SQLite store.

Usage: python -m benchmarks.steps [--n 100 1000 10000] [--repeat 3] [--synchronous NORMAL|FULL]

Reports per-step wall time (median, min, max over repeats) and the ratio of the per-step cost at
the largest n to the smallest (goal: within 1.3x, i.e. no cost that grows with history length).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

HANDLER = str(Path(__file__).with_name("handlers.py").resolve()) + ":sequential_steps"


def run_once(n: int, synchronous: str) -> float:
    from durable_lambda.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime.open(Path(tmp) / "bench.db", synchronous=synchronous, skip_time=True)
        rt.register_function("bench", HANDLER)
        rt.start()
        try:
            started = time.perf_counter()
            result = rt.invoke("bench", json.dumps({"n": n}).encode(), timeout=600)
            elapsed = time.perf_counter() - started
        finally:
            rt.stop()
        expected = n * (n - 1) // 2
        if result.function_error or json.loads(result.payload) != expected:
            raise SystemExit(f"benchmark run failed: {result}")
        return elapsed


def measure(ns: list[int], repeat: int, synchronous: str) -> list[dict[str, Any]]:
    rows = []
    for n in ns:
        times = [run_once(n, synchronous) for _ in range(repeat)]
        per_step_ms = [t / n * 1000 for t in times]
        rows.append(
            {
                "scenario": "S1 sequential steps",
                "n": n,
                "synchronous": synchronous,
                "median_ms_per_step": statistics.median(per_step_ms),
                "min_ms_per_step": min(per_step_ms),
                "max_ms_per_step": max(per_step_ms),
                "median_total_s": statistics.median(times),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    rows = measure(args.n, args.repeat, args.synchronous)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"S1 sequential trivial steps (SQLite, synchronous={args.synchronous})")
    for col in ("n", "median ms/step", "min", "max", "median total s"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r["n"]),
            f"{r['median_ms_per_step']:.3f}",
            f"{r['min_ms_per_step']:.3f}",
            f"{r['max_ms_per_step']:.3f}",
            f"{r['median_total_s']:.2f}",
        )
    console = Console()
    console.print(table)
    if len(rows) > 1:
        ratio = rows[-1]["median_ms_per_step"] / rows[0]["median_ms_per_step"]
        console.print(f"per-step cost n={rows[-1]['n']} / n={rows[0]['n']}: {ratio:.2f}x")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
