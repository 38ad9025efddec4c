"""S5: N executions suspended on callbacks in ``durable-lambda serve`` (10,000; 500 with --quick).

Each execution runs ``wait_for_callback``; its submitter appends the callback id to a file (the
stand-in for "send the id to another system") and the execution suspends. Figures:

* server RSS per suspended execution: VmRSS of the server process after all N suspended minus
  before (after a warm-up round of 20 executions), divided by N;
* server CPU while idle: utime + stime of the server process and its worker processes over 5 s
  with all N suspended, as a share of one core;
* time to resume all: from the first SendDurableExecutionCallbackSuccess (16 client threads) to
  the last execution terminal;
* time to suspend all (information): from the first Invoke to the N-th callback id published.

A fresh server per repeat; with N >= 5,000 one repeat only.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import Context, Result, failed
from benchmarks.server import BenchServer

WARMUP = 20


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except FileNotFoundError:
        return []


def _wait_lines(server: BenchServer, path: Path, count: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        ids = _lines(path)
        if len(ids) >= count:
            return ids
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited: {server.stderr_tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"only {len(ids)} of {count} executions suspended after {timeout:.0f} s"
            )
        time.sleep(0.05)


def _wait_quiet(server: BenchServer, max_seconds: float = 15.0) -> None:
    """Until the server and its workers use < 2 % of a core over 0.5 s (the last invocations
    finishing after their callback id was published)."""
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        before = server.cpu_seconds(include_workers=True)
        time.sleep(0.5)
        if server.cpu_seconds(include_workers=True) - before < 0.01:
            return


def _answer_all(server: BenchServer, ids: list[str]) -> None:
    result = json.dumps("ok").encode()

    def one(callback_id: str) -> None:
        server.client.send_durable_execution_callback_success(CallbackId=callback_id, Result=result)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, ids))


def _once(ctx: Context, attempt: int) -> dict[str, float]:
    n, idle = ctx.sizes["s5_executions"], ctx.sizes["idle_seconds"]
    work = ctx.work_dir / f"s5-{attempt}"
    with BenchServer(work) as server:
        warm_file, file = work / "warm-callbacks.txt", work / "callbacks.txt"
        server.create_function(
            "cb-warm", "await_callback", environment={"BENCH_CALLBACK_FILE": str(warm_file)}
        )
        server.create_function(
            "cb", "await_callback", environment={"BENCH_CALLBACK_FILE": str(file)}
        )
        server.start_many("cb-warm", b"{}", WARMUP)
        _answer_all(server, _wait_lines(server, warm_file, WARMUP, 120))
        server.wait_all_terminal("cb-warm", timeout=120)
        _wait_quiet(server)
        rss_before = server.rss_kb()

        started = time.perf_counter()
        server.start_many("cb", b"{}", n)
        ids = _wait_lines(server, file, n, timeout=max(300.0, n * 0.1))
        suspended = time.perf_counter()
        _wait_quiet(server)
        if server.count_running("cb") != n:
            raise RuntimeError("not every execution is suspended (RUNNING)")
        rss_after = server.rss_kb()

        server_cpu0, tree_cpu0 = server.cpu_seconds(), server.cpu_seconds(include_workers=True)
        time.sleep(idle)
        server_cpu = server.cpu_seconds() - server_cpu0
        tree_cpu = server.cpu_seconds(include_workers=True) - tree_cpu0

        resume_started = time.perf_counter()
        _answer_all(server, ids)
        resumed = server.wait_all_terminal("cb", timeout=max(300.0, n * 0.1))
        ok = server.client.list_durable_executions_by_function(
            FunctionName="cb", Statuses=["FAILED", "TIMED_OUT", "STOPPED"], MaxItems=1
        )
        if ok.get("DurableExecutions"):
            raise RuntimeError(f"an execution did not succeed: {ok['DurableExecutions'][0]}")
    return {
        "rss_per_execution_kb": (rss_after - rss_before) / n,
        "rss_before_kb": rss_before,
        "rss_after_kb": rss_after,
        "idle_cpu_pct": server_cpu / idle * 100,
        "idle_cpu_with_workers_pct": tree_cpu / idle * 100,
        "resume_s": resumed - resume_started,
        "suspend_s": suspended - started,
    }


def run(ctx: Context) -> list[Result]:
    n = ctx.sizes["s5_executions"]
    repeat = 1 if n >= 5000 else ctx.repeat
    note = "1 repeat" if repeat < ctx.repeat else None
    base = dict(scenario="S5", runner="ours server", n=n)
    ctx.log(f"S5 ours: {n:,} executions suspended on callbacks")
    try:
        runs = [_once(ctx, i) for i in range(repeat)]
    except Exception as err:
        return [
            failed(
                err,
                case=f"{n:,} suspended: RSS per execution",
                unit="KB/execution",
                note=note,
                **base,
            )
        ]
    pick = lambda key: [r[key] for r in runs]  # noqa: E731
    return [
        Result(
            case="server RSS per suspended execution",
            unit="KB/execution",
            samples=pick("rss_per_execution_kb"),
            note=note,
            extra={"runs": runs},
            **base,
        ),
        Result(
            case=f"server CPU while idle {ctx.sizes['idle_seconds']:g} s",
            unit="% of a core",
            samples=pick("idle_cpu_pct"),
            note=note,
            **base,
        ),
        Result(
            case="idle CPU incl. worker processes",
            unit="% of a core",
            samples=pick("idle_cpu_with_workers_pct"),
            note=note,
            **base,
        ),
        Result(
            case="time to resume all (send callbacks)",
            unit="s",
            samples=pick("resume_s"),
            note=note,
            **base,
        ),
        Result(
            case="time to suspend all (Invoke Event)",
            unit="s",
            samples=pick("suspend_s"),
            note=note,
            **base,
        ),
    ]
