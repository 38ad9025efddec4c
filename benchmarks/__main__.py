"""The benchmark suite of issue 6: every scenario, side by side with AWS's testing library.

    python -m benchmarks                       # full sizes, 3 repeats (about 15-25 min on 2 cores)
    python -m benchmarks --quick               # small sizes
    python -m benchmarks --only S1,S3 --repeat 5 --json out.json --markdown out.md

Scenarios: S1 sequential steps (in process), S2 map / parallel (in process), S6 replay overhead
(in process, skip-time clock), S3 the S1 chain through ``durable-lambda serve`` (our SDK and AWS's),
S4 throughput through the server, S5 suspended executions in the server, S7 the round trip of a
warm plain Invoke through the server. Prints a table (median,
min, max over the repeats; "vs ours" = how many times faster ours is than that row) and the
goals, and writes JSON (default benchmarks/results/latest.json). A scenario that fails shows as
``n/a (error)``; the suite goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ROOT,
    SIZES,
    Context,
    Result,
    cpu_busy_fraction,
    cpu_snapshot,
    failed,
    loadavg,
    machine_info,
    others_cpu_share,
)

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"
ORDER = [
    "S1",
    "S2",
    "S6",
    "S3",
    "S4",
    "S5",
    "S7",
]  # in-process scenarios first, then the server ones


def _scenarios() -> dict[str, Callable[[Context], list[Result]]]:
    from benchmarks import (
        fanout,
        invoke_latency,
        replay,
        server_chain,
        steps,
        suspended,
        throughput,
    )

    return {
        "S1": steps.run,
        "S2": fanout.run,
        "S3": server_chain.run,
        "S4": throughput.run,
        "S5": suspended.run,
        "S6": replay.run,
        "S7": invoke_latency.run,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (same as --size quick)")
    parser.add_argument(
        "--size", choices=sorted(SIZES), default=None, help="run sizes (default: full)"
    )
    parser.add_argument(
        "--only", default=None, help="comma-separated scenarios, e.g. S1,S2 (default: all)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default: 3)")
    parser.add_argument(
        "--json",
        default=str(DEFAULT_JSON),
        help=f"results file (default: {DEFAULT_JSON.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--markdown", default=None, help="also write the tables as Markdown to this file"
    )
    parser.add_argument(
        "--no-official", action="store_true", help="skip AWS's testing library / SDK side"
    )
    parser.add_argument(
        "--work-dir", default=None, help="scratch directory (default: a temporary one)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    args.size = args.size or ("quick" if args.quick else "full")
    wanted = [s.strip().upper() for s in (args.only or ",".join(ORDER)).split(",") if s.strip()]
    unknown = [s for s in wanted if s not in ORDER]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    args.scenarios = [s for s in ORDER if s in wanted]
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def run_suite(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    log = (
        (lambda msg: None)
        if args.quiet
        else (
            lambda msg: print(
                f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True
            )
        )
    )
    ctx = Context(
        size=args.size,
        repeat=args.repeat,
        work_dir=work_dir,
        official=not args.no_official,
        log=log,
    )
    started = time.time()
    load_before, busy_before = loadavg(), cpu_busy_fraction(1.0)
    snap = cpu_snapshot()
    results: list[Result] = []
    timings: dict[str, float] = {}
    scenarios = _scenarios()
    for key in args.scenarios:
        t0 = time.perf_counter()
        try:
            results.extend(scenarios[key](ctx))
        except Exception as err:  # a scenario's own bug: one error row, the suite goes on
            results.append(failed(err, scenario=key, case="scenario", runner="-", unit="-"))
        timings[key] = round(time.perf_counter() - t0, 1)
    others = others_cpu_share(snap, cpu_snapshot())
    from benchmarks.report import evaluate_goals

    goals = evaluate_goals(results, args.scenarios)
    return {
        "schema": 1,
        "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
        "command": "python -m benchmarks "
        + " ".join(sys.argv[1:] if args.argv is None else args.argv),
        "size": args.size,
        "repeat": args.repeat,
        "scenarios": args.scenarios,
        "scenario_seconds": timings,
        "machine": machine_info(),
        "load": {
            "loadavg_before": load_before,
            "loadavg_after": loadavg(),
            "cpu_busy_before": busy_before,
            "others_cpu_share_during": others,
        },
        "results": [r.to_dict() for r in results],
        "goals": goals,
        "_rows": results,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    args.argv = argv
    if args.work_dir:
        work_dir = Path(args.work_dir)
        work_dir.mkdir(parents=True, exist_ok=True)
        doc = run_suite(args, work_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="dl-bench-") as tmp:
            doc = run_suite(args, Path(tmp))
    rows = doc.pop("_rows")
    from benchmarks.report import markdown, print_report

    machine, load = doc["machine"], doc["load"]
    busy, others = load["cpu_busy_before"], load["others_cpu_share_during"]
    title = (
        f"durable-lambda benchmarks ({doc['size']}, {doc['repeat']} repeats) on "
        f"{machine['nproc']} x "
        f"{machine['cpu_model']}, Python {machine['python']}; load {load['loadavg_before']} -> "
        f"{load['loadavg_after']}"
        + (f", CPU {busy:.0%} busy at start" if busy is not None else "")
        + (
            f", other processes used {others:.0%} of the CPU during the run"
            if others is not None
            else ""
        )
    )
    print_report(rows, doc["goals"], title)
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"results written to {path}")
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(markdown(rows, doc["goals"]))
    return doc


if __name__ == "__main__":
    main()
