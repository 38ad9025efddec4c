"""S7: Invoke round trip of a plain (non-durable) function on a warm worker, through
``durable-lambda serve`` with boto3 (issue 4's goal: under 3 ms median).

One server; a plain echo function is deployed from a zip; a warm-up of 20 calls starts its worker;
then each repeat times ``invoke_count`` sequential RequestResponse calls (read of the payload
included) and reports their median in milliseconds. p90 and p99 of the last repeat go in ``extra``.
"""

from __future__ import annotations

import io
import json
import statistics
import time
import zipfile

from benchmarks.common import Context, Result, failed
from benchmarks.server import BenchServer

ECHO = "def handler(event, context):\n    return event\n"


def _echo_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("echo.py", ECHO)
    return buf.getvalue()


def _latencies_ms(server: BenchServer, count: int) -> list[float]:
    payload = json.dumps({"ping": 1}).encode()
    out = []
    for _ in range(count):
        started = time.perf_counter()
        response = server.client.invoke(FunctionName="echo", Payload=payload)
        body = response["Payload"].read()
        out.append((time.perf_counter() - started) * 1000)
        if response.get("FunctionError") or json.loads(body) != {"ping": 1}:
            raise RuntimeError(f"echo failed: {body[:300]!r}")
    return out


def run(ctx: Context) -> list[Result]:
    count = int(ctx.sizes.get("s7_invokes", 200))
    row = dict(
        scenario="S7",
        case="warm plain invoke round trip",
        runner="ours, worker process",
        unit="ms",
        n=count,
        group="S7",
        baseline=True,
    )
    try:
        server = BenchServer(ctx.work_dir / "s7")
    except Exception as err:
        return [failed(err, **row)]
    try:
        ctx.log(f"S7 warm invoke x{count}")
        server.client.create_function(
            FunctionName="echo",
            Runtime="python3.13",
            Role="arn:aws:iam::000000000000:role/bench",
            Handler="echo.handler",
            Code={"ZipFile": _echo_zip()},
            Timeout=10,
        )
        _latencies_ms(server, 20)  # the worker starts and imports on the first call
        samples: list[float] = []
        last: list[float] = []
        for _ in range(ctx.repeat):
            last = _latencies_ms(server, count)
            samples.append(statistics.median(last))
        ordered = sorted(last)
        extra = {
            "p90_ms": ordered[int(len(ordered) * 0.9) - 1],
            "p99_ms": ordered[int(len(ordered) * 0.99) - 1],
        }
        return [Result(samples=samples, extra=extra, **row)]
    except Exception as err:
        return [failed(err, **row)]
    finally:
        server.stop()
