"""S1: a sequential chain of trivial steps, in process, on the durable SQLite store; the same
handler on AWS's testing library (in-memory and SQLite stores) side by side.

Part of the suite (``python -m benchmarks --only S1``); on its own:

    python -m benchmarks.steps [--n 100 1000 10000] [--repeat 3] [--synchronous NORMAL|FULL]

Per-step wall time = time from Invoke to the terminal result, divided by n (it includes starting
the execution and its first invocation, about 4 ms). The official runner's per-step cost grows
with n (it rewrites the whole execution on every checkpoint), so its large sizes are capped.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import HANDLERS_FILE, Context, Result, failed

HANDLER = f"{HANDLERS_FILE}:sequential_steps"


def run_once(
    n: int,
    synchronous: str = "NORMAL",
    handler: str = "sequential_steps",
    payload: dict[str, Any] | None = None,
    expected: Any = None,
) -> float:
    """Seconds for one execution of ``handler`` on a fresh in-process runtime (thread invoker,
    skip-time clock). The runtime's set-up is not timed."""
    from durable_lambda_server.runtime import Runtime

    payload = {"n": n} if payload is None else payload
    expected = n * (n - 1) // 2 if expected is None else expected
    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime.open(Path(tmp) / "bench.db", synchronous=synchronous, skip_time=True)
        rt.register_function("bench", f"{HANDLERS_FILE}:{handler}")
        rt.start()
        # No earlier run's garbage collected inside this one (the official side does the same).
        gc.collect()
        try:
            started = time.perf_counter()
            result = rt.invoke("bench", json.dumps(payload).encode(), timeout=3600)
            elapsed = time.perf_counter() - started
        finally:
            rt.stop()
        if result.function_error or json.loads(result.payload) != expected:
            raise RuntimeError(f"benchmark run failed: {result}")
        return elapsed


def run(ctx: Context) -> list[Result]:
    from benchmarks.official import official_seconds

    sizes = ctx.sizes
    rows: list[Result] = []
    for synchronous, ns in (("NORMAL", sizes["s1_n"]), ("FULL", sizes["s1_full_n"])):
        for n in ns:
            row = dict(
                scenario="S1",
                case="sequential steps",
                runner=f"ours SQLite {synchronous}",
                n=n,
                unit="ms/step",
                group=f"S1 n={n}" if synchronous == "NORMAL" else None,
                baseline=synchronous == "NORMAL",
            )
            ctx.log(f"S1 ours synchronous={synchronous} n={n}")
            try:
                rows.append(
                    Result(
                        samples=[
                            run_once(n, synchronous) / n * 1000 for _ in range(ctx.short_repeat)
                        ],
                        **row,
                    )
                )
            except Exception as err:
                rows.append(failed(err, **row))
    if not ctx.official:
        return rows
    biggest = max(sizes["s1_n"])
    for store, ns, repeat, label in (
        ("memory", sizes["s1_official_memory_n"], ctx.repeat, "official in-memory"),
        ("sqlite", sizes["s1_official_sqlite_n"], 1, "official SQLite"),
    ):
        for n in ns:
            notes = []
            if repeat < ctx.repeat:
                notes.append(f"{repeat} repeat")
            if n == max(ns) and n < biggest:
                notes.append(f"capped at n={n:,}: not run at n={biggest:,}")
            row = dict(
                scenario="S1",
                case="sequential steps",
                runner=label,
                n=n,
                unit="ms/step",
                group=f"S1 n={n}",
                note="; ".join(notes) or None,
            )
            ctx.log(f"S1 {label} n={n}")
            try:
                seconds = official_seconds(
                    "sequential_steps", {"n": n}, n * (n - 1) // 2, store, repeat
                )
                rows.append(Result(samples=[s / n * 1000 for s in seconds], **row))
            except Exception as err:
                rows.append(failed(err, **row))
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    rows = []
    for n in args.n:
        per_step_ms = [run_once(n, args.synchronous) / n * 1000 for _ in range(args.repeat)]
        rows.append(
            {
                "scenario": "S1 sequential steps",
                "n": n,
                "synchronous": args.synchronous,
                "median_ms_per_step": statistics.median(per_step_ms),
                "min_ms_per_step": min(per_step_ms),
                "max_ms_per_step": max(per_step_ms),
            }
        )
    for r in rows:
        print(
            f"n={r['n']:>6}  {r['median_ms_per_step']:.3f} ms/step "
            f"(min {r['min_ms_per_step']:.3f}, max {r['max_ms_per_step']:.3f})"
        )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
