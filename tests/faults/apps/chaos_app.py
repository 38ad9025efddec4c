"""The chaos test's durable handler: steps, a retried step, a wait, a child context, a map and
(for even ``n``) a callback. Deterministic in the event: ``tests/faults/test_chaos.py`` computes
the expected result itself.

Every step body leaves a trace under ``$CHAOS_DIR`` (the function's environment):

- ``runs/<id>.log``: one JSON line per body run (step name, attempt, wall time at start, the
  server the worker belongs to), so the test can find a body that ran again after its step's
  success had been acknowledged or recorded;
- ``amo/<id>.<step>.<attempt>``: created with O_EXCL by the at-most-once step; a second run of
  the same attempt finds it and appends to ``amo-duplicates.log``;
- ``callbacks/<id>.<name>``: the callback id, written by the ``wait_for_callback`` submitter
  (the "external system" the test driver plays).
"""

import json
import os
import time

from durable_lambda import durable_execution
from durable_lambda.config import Duration, StepConfig, StepSemantics
from durable_lambda.retries import RetryDecision


def _server_pid():
    """The server this worker belongs to: its parent is the fork server, whose parent is the
    server (0 or 1 if the server was already gone when this worker loaded the module)."""
    try:
        with open(f"/proc/{os.getppid()}/stat") as f:
            stat = f.read()
        return int(stat[stat.rfind(")") + 2 :].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


SERVER_PID = _server_pid()
WORK_SECONDS = 0.1


def _dir(sub):
    path = os.path.join(os.environ["CHAOS_DIR"], sub)
    os.makedirs(path, exist_ok=True)
    return path


def _append(path, line):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def _run(exec_id, name, attempt):
    record = {
        "step": name,
        "attempt": attempt,
        "t": time.time(),
        "pid": os.getpid(),
        "server": SERVER_PID,
    }
    _append(os.path.join(_dir("runs"), f"{exec_id}.log"), json.dumps(record))
    time.sleep(WORK_SECONDS)  # the step's "I/O": keeps invocations in flight when a kill lands


def _retry_every_second(error, attempts_made):
    return (
        RetryDecision.retry(Duration.from_seconds(1))
        if attempts_made < 10
        else RetryDecision.no_retry()
    )


AT_MOST_ONCE = StepConfig(
    retry_strategy=_retry_every_second, step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY
)
AT_LEAST_ONCE = StepConfig(retry_strategy=_retry_every_second)


def _traced(exec_id, name, value):
    def body(step_context):
        _run(exec_id, name, step_context.attempt)
        return value

    return body


def _at_most_once(exec_id, name, failures, value):
    """Fails its first ``failures`` attempts; each attempt leaves an O_EXCL marker."""

    def body(step_context):
        attempt = step_context.attempt
        _run(exec_id, name, attempt)
        marker = os.path.join(_dir("amo"), f"{exec_id}.{name}.{attempt}")
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            _append(os.path.join(os.environ["CHAOS_DIR"], "amo-duplicates.log"), marker)
        if attempt <= failures:
            raise RuntimeError(f"{name}: planned failure on attempt {attempt}")
        return value

    return body


@durable_execution
def handler(event, context):
    exec_id, n = event["id"], event["n"]
    a = context.step(_traced(exec_id, "a", n * 3), name="a", config=AT_LEAST_ONCE)
    b = context.step(_at_most_once(exec_id, "b", n % 3, a + 1), name="b", config=AT_MOST_ONCE)
    context.wait(Duration.from_seconds(1), name="pause")

    def child(ctx):
        c1 = ctx.step(_traced(exec_id, "c1", b * 2), name="c1", config=AT_LEAST_ONCE)
        c2 = ctx.step(_traced(exec_id, "c2", c1 + n), name="c2", config=AT_LEAST_ONCE)
        return c1 + c2

    c = context.run_in_child_context(child, name="child")

    def square(ctx, item, index, items):
        name = f"sq{index}"
        return ctx.step(_traced(exec_id, name, item * item), name=name, config=AT_LEAST_ONCE)

    squares = context.map([n, n + 1, n + 2], square, name="squares").get_results()
    answer = None
    if n % 2 == 0:

        def submit(callback_id, ctx):
            path = os.path.join(_dir("callbacks"), f"{exec_id}.approval")
            with open(path + ".tmp", "w") as f:
                f.write(callback_id)
            os.replace(path + ".tmp", path)

        answer = context.wait_for_callback(submit, name="approval")
    total = context.step(
        _traced(exec_id, "total", a + b + c + sum(squares)), name="total", config=AT_LEAST_ONCE
    )
    return {
        "id": exec_id,
        "a": a,
        "b": b,
        "c": c,
        "squares": squares,
        "answer": answer,
        "total": total,
    }
