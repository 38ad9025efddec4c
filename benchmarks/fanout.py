"""S2: ``map`` over 1,000 trivial items and ``parallel`` with 100 branches, in process, on the
durable SQLite store; the same handlers on AWS's testing library (in-memory and SQLite stores).

Part of the suite (``python -m benchmarks --only S2``); on its own:

    python -m benchmarks.fanout [--map-n 1000] [--parallel-n 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from benchmarks.common import Context, Result, failed
from benchmarks.steps import run_once as _run_once


def run_once(handler: str, n: int) -> float:
    """Seconds for one execution of the fan-out ``handler`` over ``n`` items."""
    return _run_once(n, handler=handler, payload={"n": n}, expected=n * (n - 1) // 2)


def run(ctx: Context) -> list[Result]:
    from benchmarks.official import official_seconds

    sizes = ctx.sizes
    rows: list[Result] = []
    for case, handler, n in (
        ("map", "map_items", sizes["s2_map_n"]),
        ("parallel", "parallel_branches", sizes["s2_parallel_n"]),
    ):
        group = f"S2 {case} n={n}"
        row = dict(
            scenario="S2",
            case=case,
            runner="ours SQLite NORMAL",
            n=n,
            unit="s",
            group=group,
            baseline=True,
        )
        ctx.log(f"S2 ours {case} n={n}")
        try:
            rows.append(
                Result(samples=[run_once(handler, n) for _ in range(ctx.short_repeat)], **row)
            )
        except Exception as err:
            rows.append(failed(err, **row))
        if not ctx.official:
            continue
        variants = [("memory", ctx.repeat, "official in-memory")]
        if sizes["s2_official_sqlite"]:
            variants.append(("sqlite", 1, "official SQLite"))
        for store, repeat, label in variants:
            note = f"{repeat} repeat" if repeat < ctx.repeat else None
            row = dict(
                scenario="S2", case=case, runner=label, n=n, unit="s", group=group, note=note
            )
            ctx.log(f"S2 {label} {case} n={n}")
            try:
                rows.append(
                    Result(
                        samples=official_seconds(
                            handler, {"n": n}, n * (n - 1) // 2, store, repeat
                        ),
                        **row,
                    )
                )
            except Exception as err:
                rows.append(failed(err, **row))
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--map-n", type=int, default=1000)
    parser.add_argument("--parallel-n", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    for scenario, handler, n in (
        ("S2 map", "map_items", args.map_n),
        ("S2 parallel", "parallel_branches", args.parallel_n),
    ):
        times = [run_once(handler, n) for _ in range(args.repeat)]
        rows.append(
            {
                "scenario": scenario,
                "n": n,
                "median_s": statistics.median(times),
                "min_s": min(times),
                "max_s": max(times),
            }
        )
        print(
            f"{scenario:<12} n={n:>5}  {statistics.median(times):.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f})"
        )
    return rows


if __name__ == "__main__":
    main()
