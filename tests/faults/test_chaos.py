"""Chaos: 200 durable executions through a real ``durable-lambda serve`` process while a seeded
driver SIGKILLs the server (restarting it on the same SQLite file) and, now and then, a worker.

The handler (``apps/chaos_app.py``) mixes at-least-once steps, an at-most-once step that fails
its first attempts, a 1 s wait, a child context, a map and a callback the driver answers. After
the chaos and one last restart every execution must finish exactly as a crash-free run would;
the store must satisfy the invariants of ``invariants.py`` (checked after every restart and at
the end); no step may be recorded twice; and no step body may run again once its success was
acknowledged (runs of a worker orphaned by a server kill are zombies, reported apart). The figures
line is printed in pytest's terminal summary (``conftest.py``) and written to
``benchmarks/results/chaos.json``. Seed: ``CHAOS_SEED`` (else random, printed).
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tests.faults.chaos_server import ServerProcess
from tests.faults.conftest import APPS, CHAOS_FIGURES
from tests.faults.invariants import TERMINAL_EXECUTION, Tracker, check_snapshot, snapshot

EXECUTIONS = int(os.environ.get("CHAOS_EXECUTIONS", "200"))
MIN_KILLS = int(os.environ.get("CHAOS_MIN_KILLS", "20"))
# Executions start evenly over this share of the kill plan's running time (restarts excluded),
# so that the kills keep landing on a busy server.
START_SHARE = 0.85
DRAIN_SECONDS = 120.0  # bound on the final wait (a failure, not a timing assertion)
RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "chaos.json"
# Events that at most one per operation may carry (each step attempt has its own StepStarted
# and, if it fails, StepFailed).
UNIQUE_EVENTS = frozenset(
    {
        "StepSucceeded",
        "WaitStarted",
        "WaitSucceeded",
        "CallbackStarted",
        "CallbackSucceeded",
        "ContextStarted",
        "ContextSucceeded",
        "ExecutionStarted",
        "ExecutionSucceeded",
    }
)


SERVER_ERRORS: list[str] = []  # 5xx answers (re-sent like a dead server's, but reported)
CHAOS_DEADLINE_SECONDS = 240.0

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="finds worker processes in /proc"
)


def expected_result(exec_id: str, n: int) -> dict[str, Any]:
    """What ``chaos_app.handler`` returns for ``{"id": exec_id, "n": n}`` without any fault."""
    a = n * 3
    b = a + 1
    c1 = b * 2
    c = c1 + (c1 + n)
    squares = [n * n, (n + 1) ** 2, (n + 2) ** 2]
    answer = callback_answer(exec_id) if n % 2 == 0 else None
    return {
        "id": exec_id,
        "a": a,
        "b": b,
        "c": c,
        "squares": squares,
        "answer": answer,
        "total": a + b + c + sum(squares),
    }


def callback_answer(exec_id: str) -> str:
    return f"ok-{exec_id}"


def client_for(url: str) -> Any:
    config = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=15)
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


def deploy(client: Any, chaos_dir: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(APPS / "chaos_app.py", "chaos_app.py")
    client.create_function(
        FunctionName="chaos",
        Runtime="python3.13",
        Role="arn:aws:iam::000000000000:role/x",
        Handler="chaos_app.handler",
        Code={"ZipFile": buf.getvalue()},
        Timeout=30,
        Environment={"Variables": {"CHAOS_DIR": str(chaos_dir)}},
        DurableConfig={"ExecutionTimeout": 900, "RetentionPeriodInDays": 1},
    )


def server_down(err: Exception) -> bool:
    """A failure that means "the server is not answering", so the request may be re-sent."""
    if isinstance(err, BotoCoreError):
        return True
    if (
        isinstance(err, ClientError)
        and err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
    ):
        SERVER_ERRORS.append(str(err))
        return True
    return False


@dataclass
class Driver:
    server: ServerProcess
    chaos_dir: Path
    rng: random.Random
    arns: dict[str, str] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    kills: Counter[str] = field(default_factory=Counter)
    recoveries: int = 0
    violations: list[str] = field(default_factory=list)
    phases: Counter[str] = field(default_factory=Counter)  # seconds spent: chaos, drain, restarting

    def __post_init__(self) -> None:
        self.client = client_for(self.server.url)
        self.tracker = Tracker(self.server.db)
        self.names = [f"chaos-{i:03d}" for i in range(EXECUTIONS)]

    # -- load --------------------------------------------------------------------------------
    def start_due(self, elapsed: float, window: float) -> None:
        due = self.names[: int(EXECUTIONS * min(1.0, elapsed / window))]
        for i, name in enumerate(due):
            if name in self.arns:
                continue
            payload = json.dumps({"id": name, "n": i}).encode()
            try:
                response = self.client.invoke(
                    FunctionName="chaos",
                    InvocationType="Event",
                    Payload=payload,
                    DurableExecutionName=name,
                )
            except Exception as err:
                if server_down(err):
                    return  # re-sent later under the same name: idempotent
                raise
            assert response["StatusCode"] == 202
            self.arns[name] = response["DurableExecutionArn"]

    def answer_callbacks(self) -> None:
        for path in sorted((self.chaos_dir / "callbacks").glob("*.approval")):
            if path.name in self.answered:
                continue
            exec_id = path.name.split(".")[0]
            try:
                self.client.send_durable_execution_callback_success(
                    CallbackId=path.read_text(), Result=callback_answer(exec_id).encode()
                )
            except Exception as err:
                if server_down(err):
                    return
                # answered before a crash ate the response: the callback is already closed
                assert isinstance(err, ClientError), err
                assert err.response["Error"]["Code"] == "CallbackTimeoutException", err.response
            self.answered.add(path.name)

    # -- faults ------------------------------------------------------------------------------
    def kill(self, kind: str, pick: float, downtime: float) -> None:
        if kind == "worker":
            deadline = time.monotonic() + 1.0
            while not (workers := self.server.workers()) and time.monotonic() < deadline:
                time.sleep(0.05)
            if workers:
                try:
                    os.kill(workers[int(pick * len(workers))], signal.SIGKILL)
                    self.kills["worker"] += 1
                    return
                except ProcessLookupError:
                    pass
        self.server.kill()
        self.kills["server"] += 1
        time.sleep(downtime)
        began = time.monotonic()
        self.server.start()
        self.recoveries += 1
        self.violations += self.tracker.check()
        self.phases["restarting"] += time.monotonic() - began

    def running(self) -> int:
        count, marker = 0, None
        while True:
            kwargs = {"Marker": marker} if marker else {}
            page = self.client.list_durable_executions_by_function(
                FunctionName="chaos", Statuses=["RUNNING"], **kwargs
            )
            count += len(page["DurableExecutions"])
            marker = page.get("NextMarker")
            if not marker:
                return count

    def run(self) -> None:
        plan = [
            (
                self.rng.uniform(0.4, 1.8),
                "worker" if self.rng.random() < 0.3 else "server",
                self.rng.random(),
                self.rng.uniform(0.0, 0.4),
            )
            for _ in range(MIN_KILLS + self.rng.randint(0, 4))
        ]
        plan[-1] = (plan[-1][0], "server", 0.0, plan[-1][3])  # the chaos ends with a restart
        window = START_SHARE * sum(gap + downtime for gap, _, _, downtime in plan)
        t0 = time.monotonic()
        next_kill = t0 + plan[0][0]
        while plan or len(self.arns) < EXECUTIONS:
            assert time.monotonic() - t0 < CHAOS_DEADLINE_SECONDS, (
                f"stuck: {len(self.arns)} started, {SERVER_ERRORS[-3:]}"
            )
            if (
                plan
                and time.monotonic() >= next_kill
                and (len(plan) > 1 or len(self.arns) == EXECUTIONS)
            ):
                _, kind, pick, downtime = plan.pop(0)
                self.kill(kind, pick, downtime)
                next_kill = time.monotonic() + (plan[0][0] if plan else 0)
            self.start_due(time.monotonic() - t0 - self.phases["restarting"], window)
            self.answer_callbacks()
            time.sleep(0.05)
        self.phases["chaos"] = time.monotonic() - t0
        deadline = time.monotonic() + DRAIN_SECONDS
        while True:
            self.answer_callbacks()
            if self.running() == 0:
                break
            assert time.monotonic() < deadline, f"{self.running()} executions still RUNNING"
            time.sleep(0.3)
        self.phases["drain"] = time.monotonic() - t0 - self.phases["chaos"]


# Program order of the traced steps (map items run side by side). A step's body returns only
# after its SUCCEED checkpoint was acknowledged, so once any run of a later step began, every
# earlier step's success had been acknowledged (or read back from the store) by that invocation.
STEP_RANK = {"a": 0, "b": 1, "c1": 2, "c2": 3, "sq0": 4, "sq1": 4, "sq2": 4, "total": 5}


def step_reruns(driver: Driver, arn_events: list[dict[str, Any]], exec_id: str) -> tuple[int, int]:
    """Runs of a step body begun after that step's success was acknowledged: after a later step
    had run (an acknowledged write lost), or after its StepSucceeded was recorded. Returns
    (such runs, of those by zombies: workers of an already killed server, fenced off)."""
    succeeded = {
        e.get("Name"): e["EventTimestamp"] for e in arn_events if e["EventType"] == "StepSucceeded"
    }
    log = driver.chaos_dir / "runs" / f"{exec_id}.log"
    reruns = zombies = 0
    highest = -1  # rank of the latest step that has begun a run so far
    for line in log.read_text().splitlines() if log.exists() else []:
        run = json.loads(line)
        rank = STEP_RANK[run["step"]]
        recorded = succeeded.get(run["step"])
        after_success = recorded is not None and run["t"] * 1000 > recorded + 1
        highest = max(highest, rank)
        if not (after_success or rank < highest):
            continue
        server = run["server"]
        if server not in driver.server.pids or run["t"] >= driver.server.killed_at.get(
            server, float("inf")
        ):
            zombies += 1
        else:
            reruns += 1
    return reruns, zombies


@pytest.fixture
def chaos_home() -> Iterator[Path]:
    """A state directory workers can reach when the server runs as root (they run as nobody):
    pytest's tmp_path lives under a 0700 directory. Removed afterwards unless CHAOS_KEEP is set."""
    home = Path(tempfile.mkdtemp(prefix="dl-chaos-"))
    home.chmod(0o755)
    for sub in ("chaos", "chaos/callbacks", "chaos/runs", "chaos/amo"):
        (home / sub).mkdir()
        (home / sub).chmod(0o777)
    yield home
    if os.environ.get("CHAOS_KEEP"):
        print(f"chaos state kept in {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_chaos_kills_lose_nothing_and_repeat_nothing(chaos_home: Path) -> None:
    seed = (
        int(os.environ["CHAOS_SEED"])
        if "CHAOS_SEED" in os.environ
        else random.SystemRandom().randrange(10**6)
    )
    print(f"chaos seed={seed}")
    SERVER_ERRORS.clear()
    began = time.monotonic()
    chaos_dir = chaos_home / "chaos"
    server = ServerProcess(chaos_home)
    try:
        server.start()
        driver = Driver(server, chaos_dir, random.Random(seed))
        deploy(driver.client, chaos_dir)
        driver.run()
    finally:
        server.cleanup()
    snap = snapshot(server.db)
    violations = driver.violations + check_snapshot(snap)
    by_name = {ex["name"]: ex for ex in snap.executions.values()}
    lost = [name for name in driver.arns if name not in by_name]
    wrong: list[str] = []
    duplicate_events = completed_reruns = zombie_runs = 0
    interrupted: Counter[str] = (
        Counter()
    )  # invocations cut by a server kill (lease) or a worker kill
    for i, name in enumerate(driver.names):
        ex = by_name.get(name)
        if ex is None:
            continue
        if ex["status"] != "SUCCEEDED" or json.loads(ex["result"] or "null") != expected_result(
            name, i
        ):
            wrong.append(f"{name}: {ex['status']} {ex['result'] or ex['error']}")
        events = snap.events[ex["arn"]]
        seen = Counter(
            (e.get("Id"), e["EventType"]) for e in events if e["EventType"] in UNIQUE_EVENTS
        )
        duplicate_events += sum(count - 1 for count in seen.values())
        for e in events:
            error = (e.get("InvocationCompletedDetails") or {}).get("Error") or {}
            text = str(error)
            if "Runtime.ExitError" in text:  # the server died (lease lost) or the worker did
                interrupted["worker" if "Runtime exited" in text else "server"] += 1
        reruns, zombies = step_reruns(driver, events, name)
        completed_reruns += reruns
        zombie_runs += zombies
    amo_log = chaos_dir / "amo-duplicates.log"
    amo_duplicates = len(amo_log.read_text().splitlines()) if amo_log.exists() else 0
    figures = {
        "executions": len(snap.executions),
        "kills": sum(driver.kills.values()),
        "server_kills": driver.kills["server"],
        "worker_kills": driver.kills["worker"],
        "recoveries": driver.recoveries,
        "lost": len(lost),
        "wrong_results": len(wrong),
        "completed_steps_rerun": completed_reruns,
        "zombie_step_runs": zombie_runs,
        "at_most_once_duplicates": amo_duplicates,
        "duplicate_events": duplicate_events,
        "invariant_violations": len(violations),
        "server_errors": len(SERVER_ERRORS),
        "seed": seed,
        "interrupted_invocations": {
            "server_kill": interrupted["server"],
            "worker_kill": interrupted["worker"],
        },
        "seconds": round(time.monotonic() - began, 1),
        "phase_seconds": {k: round(v, 1) for k, v in driver.phases.items()},
    }
    line = (
        f"chaos: executions={figures['executions']} kills={figures['kills']} "
        f"(server={figures['server_kills']} worker={figures['worker_kills']}) "
        f"recoveries={figures['recoveries']} interrupted_invocations={sum(interrupted.values())} "
        f"lost={len(lost)} wrong={len(wrong)} "
        f"completed_steps_rerun={completed_reruns} at_most_once_duplicates={amo_duplicates} "
        f"zombie_step_runs={zombie_runs} duplicate_events={duplicate_events} "
        f"violations={len(violations)} server_errors={len(SERVER_ERRORS)} seed={seed} "
        f"seconds={figures['seconds']}"
    )
    print(line, figures["phase_seconds"])
    CHAOS_FIGURES.append(line)
    if EXECUTIONS == 200:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    assert not lost and not wrong, "\n".join(lost + wrong[:20])
    assert not violations, "\n".join(violations[:40])
    assert duplicate_events == 0 and completed_reruns == 0 and amo_duplicates == 0
    assert len(snap.executions) == EXECUTIONS and sum(driver.kills.values()) >= MIN_KILLS
    assert all(ex["status"] in TERMINAL_EXECUTION for ex in snap.executions.values())
