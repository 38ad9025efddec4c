"""S3: the S1 chain (n = 1,000; 100 with --quick) through ``durable-lambda serve`` with worker
processes, once with our SDK and once with AWS's SDK shipped in the function zip (it reaches the
server over HTTP through boto3, as on Lambda). Synchronous Invoke (RequestResponse) per run; the
figure is wall time / n. One server for both variants; a warm-up run first so worker start-up is
not in the figure.
"""

from __future__ import annotations

import json
import time

from benchmarks.common import Context, Result, failed
from benchmarks.server import BenchServer


def _timed_chain(server: BenchServer, function: str, n: int) -> float:
    started = time.perf_counter()
    response = server.client.invoke(FunctionName=function, Payload=json.dumps({"n": n}).encode())
    elapsed = time.perf_counter() - started
    body = response["Payload"].read()
    if response.get("FunctionError") or json.loads(body) != n * (n - 1) // 2:
        raise RuntimeError(f"{function} failed: {body[:300]!r}")
    return elapsed


def run(ctx: Context) -> list[Result]:
    n = ctx.sizes["s3_n"]
    variants = [("ours", "ours SDK, worker process", True)]
    if ctx.official:
        variants.append(("official", "official SDK on our server", False))
    rows: list[Result] = []
    try:
        server = BenchServer(ctx.work_dir / "s3")
    except Exception as err:
        return [
            failed(
                err,
                scenario="S3",
                case="sequential steps via server",
                runner=label,
                n=n,
                unit="ms/step",
                group=f"S3 n={n}",
                baseline=baseline,
            )
            for _, label, baseline in variants
        ]
    try:
        for sdk, label, baseline in variants:
            row = dict(
                scenario="S3",
                case="sequential steps via server",
                runner=label,
                n=n,
                unit="ms/step",
                group=f"S3 n={n}",
                baseline=baseline,
            )
            ctx.log(f"S3 {label} n={n}")
            try:
                function = f"chain-{sdk}"
                server.create_function(function, "sequential_steps", sdk=sdk)
                _timed_chain(server, function, min(n, 10))  # warm-up: worker start, imports
                samples = [_timed_chain(server, function, n) / n * 1000 for _ in range(ctx.repeat)]
                rows.append(Result(samples=samples, **row))
            except Exception as err:
                tail = server.stderr_tail(300)
                rows.append(failed(err, **row))
                if tail:
                    rows[-1].extra["server_stderr"] = tail
    finally:
        server.stop()
    return rows
