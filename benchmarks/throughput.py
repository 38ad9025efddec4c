"""S4: throughput through ``durable-lambda serve``: 1,000 executions of 10 trivial steps each,
all started at once with Invoke (InvocationType=Event), polled until every one is terminal. The
server's worker pool is warmed first (``warm_pool``): the figure is steady-state throughput.

Figures per repeat (a fresh server each time): steps per second (executions x steps / wall time
from the first Invoke to the last terminal status), and the p50 / p99 execution latency (End -
Start timestamps of each execution from GetDurableExecution; these include queueing behind the
other executions). Runs with the server's default durability (WAL, synchronous=NORMAL) and with
``serve --synchronous FULL`` (every commit fsynced; concurrent checkpoints share a commit).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.common import Context, Result, failed
from benchmarks.server import BenchServer


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def warm_pool(server: BenchServer, function: str, slots: int = 16) -> None:
    """Steady state, as on a server that has been running: every dispatcher slot's worker
    process is started (and its handler imported) before the clock starts. Without this the
    first seconds measure worker cold starts (about 60 ms of CPU each), not throughput."""
    payload = json.dumps({"n": 1}).encode()
    with ThreadPoolExecutor(slots) as pool:
        list(
            pool.map(
                lambda _: server.client.invoke(FunctionName=function, Payload=payload),
                range(slots * 4),
            )
        )


def _once(ctx: Context, synchronous: str | None, attempt: int) -> tuple[float, float, float, dict]:
    executions, steps = ctx.sizes["s4_executions"], ctx.sizes["s4_steps"]
    with BenchServer(
        ctx.work_dir / f"s4-{synchronous or 'default'}-{attempt}", synchronous=synchronous
    ) as server:
        server.create_function("tput", "sequential_steps")
        warm_pool(server, "tput")
        payload = json.dumps({"n": steps}).encode()
        started = time.perf_counter()
        arns = server.start_many("tput", payload, executions)
        submitted = time.perf_counter()
        ended = server.wait_all_terminal("tput", timeout=1800)
        described = server.executions(arns)
        via = server.synchronous_via
    bad = [d for d in described if d["Status"] != "SUCCEEDED"]
    if bad:
        raise RuntimeError(f"{len(bad)} executions did not succeed, e.g. {bad[0].get('Error')}")
    latencies = [
        (d["EndTimestamp"] - d["StartTimestamp"]).total_seconds() * 1000 for d in described
    ]
    wall = ended - started
    extra = {
        "synchronous_via": via,
        "wall_s": wall,
        "submit_s": submitted - started,
        "executions": executions,
        "steps": steps,
    }
    return executions * steps / wall, _percentile(latencies, 50), _percentile(latencies, 99), extra


def run(ctx: Context) -> list[Result]:
    executions, steps = ctx.sizes["s4_executions"], ctx.sizes["s4_steps"]
    rows: list[Result] = []
    for synchronous, label in (
        (None, "ours server, synchronous=NORMAL"),
        ("FULL", "ours server, synchronous=FULL"),
    ):
        case = f"{executions:,} executions x {steps} steps"
        ctx.log(f"S4 {label}: {case}")
        try:
            runs = [_once(ctx, synchronous, i) for i in range(ctx.repeat)]
        except Exception as err:
            for unit, metric in (
                ("steps/s", "throughput"),
                ("ms", "latency p50"),
                ("ms", "latency p99"),
            ):
                rows.append(
                    failed(
                        err,
                        scenario="S4",
                        case=f"{metric}, {case}",
                        runner=label,
                        n=executions,
                        unit=unit,
                        better="higher" if unit == "steps/s" else "lower",
                    )
                )
            continue
        extra = {"runs": [r[3] for r in runs]}
        rows.append(
            Result(
                scenario="S4",
                case=f"throughput, {case}",
                runner=label,
                n=executions,
                unit="steps/s",
                better="higher",
                samples=[r[0] for r in runs],
                extra=extra,
            )
        )
        rows.append(
            Result(
                scenario="S4",
                case=f"latency p50, {case}",
                runner=label,
                n=executions,
                unit="ms",
                samples=[r[1] for r in runs],
            )
        )
        rows.append(
            Result(
                scenario="S4",
                case=f"latency p99, {case}",
                runner=label,
                n=executions,
                unit="ms",
                samples=[r[2] for r in runs],
            )
        )
    return rows
