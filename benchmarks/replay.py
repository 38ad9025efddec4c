"""S6: replay overhead. A 100-step execution that waits 1 s after every 10th step (not after the
last): each of the 9 waits suspends the execution and the next invocation replays the steps done
so far (10 invocations, replaying 10 + 20 + ... + 90 = 450 step results in all).

In process on the durable SQLite store with the runtime's skip-time clock, so the waits cost no
wall time. Figures per repeat: the total wall time; the same 100 steps without waits (one
invocation), measured in the same run; replay overhead = the difference, i.e. the cost of the
extra invocations (re-running the handler prefix against recorded results, plus the 10 wait
checkpoints and timer firings). The official in-memory runner (its skip-time clock) runs the same
handler for comparison.
"""

from __future__ import annotations

from benchmarks.common import Context, Result, failed
from benchmarks.steps import run_once


def run(ctx: Context) -> list[Result]:
    n, every = ctx.sizes["s6_steps"], ctx.sizes["s6_every"]
    waits = (n - 1) // every
    payload = {"n": n, "every": every, "wait_seconds": 1}
    base = dict(scenario="S6", n=n, runner="ours SQLite NORMAL")
    ctx.log(f"S6 ours n={n} wait every {every}")
    try:
        totals, plains = [], []
        for _ in range(ctx.repeat):
            totals.append(run_once(n, handler="steps_with_waits", payload=payload))
            plains.append(run_once(n))
    except Exception as err:
        return [failed(err, case=f"{waits} waits of 1 s, total", unit="s", **base)]
    overheads = [t - p for t, p in zip(totals, plains, strict=False)]
    official = []
    if ctx.official:
        from benchmarks.official import official_seconds

        row = dict(
            scenario="S6",
            case=f"{waits} waits of 1 s, total wall time",
            unit="s",
            n=n,
            runner="official in-memory",
            group="S6 total",
            note="skip-time clock",
        )
        ctx.log(f"S6 official in-memory n={n}")
        try:
            official.append(
                Result(
                    samples=official_seconds(
                        "steps_with_waits", payload, n * (n - 1) // 2, "memory", ctx.repeat
                    ),
                    **row,
                )
            )
        except Exception as err:
            official.append(failed(err, **row))
    extra = {
        "waits": waits,
        "invocations": waits + 1,
        "replayed_steps": sum(range(every, n, every)),
    }
    return [
        Result(
            case=f"{waits} waits of 1 s, total wall time",
            unit="s",
            samples=totals,
            extra=extra,
            note="skip-time clock",
            group="S6 total",
            baseline=True,
            **base,
        ),
        *official,
        Result(case="same steps without waits", unit="s", samples=plains, **base),
        Result(
            case="replay overhead (total - no waits)",
            unit="s",
            samples=overheads,
            extra=extra,
            **base,
        ),
        Result(
            case="replay overhead per resumed invocation",
            unit="ms",
            samples=[o / waits * 1000 for o in overheads],
            **base,
        ),
    ]
