"""S2: ``map`` over 1,000 trivial items and ``parallel`` with 100 branches, in process, on the
durable SQLite store. Prints median/min/max wall time per scenario.

Usage: python -m benchmarks.fanout [--map-n 1000] [--parallel-n 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

HANDLERS = str(Path(__file__).with_name("handlers.py").resolve())


def run_once(handler: str, n: int) -> float:
    from durable_lambda.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime.open(Path(tmp) / "bench.db", skip_time=True)
        rt.register_function("bench", f"{HANDLERS}:{handler}")
        rt.start()
        try:
            started = time.perf_counter()
            result = rt.invoke("bench", json.dumps({"n": n}).encode(), timeout=600)
            elapsed = time.perf_counter() - started
        finally:
            rt.stop()
        if result.function_error or json.loads(result.payload) != n * (n - 1) // 2:
            raise SystemExit(f"benchmark run failed: {result}")
        return elapsed


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--map-n", type=int, default=1000)
    parser.add_argument("--parallel-n", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = []
    for scenario, handler, n in (
        ("S2 map", "map_items", args.map_n),
        ("S2 parallel", "parallel_branches", args.parallel_n),
    ):
        times = [run_once(handler, n) for _ in range(args.repeat)]
        rows.append({"scenario": scenario, "n": n, "median_s": statistics.median(times),
                     "min_s": min(times), "max_s": max(times)})
    from rich.console import Console
    from rich.table import Table

    table = Table(title="S2 fan-out (SQLite, in process)")
    for col in ("scenario", "n", "median s", "min", "max"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(r["scenario"], str(r["n"]), f"{r['median_s']:.3f}", f"{r['min_s']:.3f}", f"{r['max_s']:.3f}")
    Console().print(table)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
