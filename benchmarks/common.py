"""What every scenario shares: the result record, run sizes, timing and machine facts.

A scenario module exposes ``run(ctx) -> list[Result]``. One ``Result`` is one figure (a row of the
table) with its samples, one per repeat. A figure that could not be measured carries ``error``
instead of samples; the suite never stops on one broken scenario.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "OFFICIAL_DIR",
    "ROOT",
    "SIZES",
    "Context",
    "Result",
    "failed",
    "loadavg",
    "machine_info",
    "measured",
]

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL_DIR = (
    ROOT / ".cache" / "official"
)  # AWS's SDK 3.0.0 + testing library 1.4.0 (scripts/setup.sh)
HANDLERS_FILE = Path(__file__).with_name("handlers.py").resolve()
OFFICIAL_HANDLERS_FILE = Path(__file__).with_name("official_handlers.py").resolve()

# Run sizes. "full" is the issue's; "quick" is for a look during development; "tiny" is the smoke
# test's (seconds, not figures).
SHORT_REPEAT = 5

SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "s1_n": [100, 1000, 3000, 10000],
        "s1_full_n": [1000],
        "s1_official_memory_n": [100, 1000, 3000],  # capped: its per-step cost grows with n
        "s1_official_sqlite_n": [100, 1000],  # capped: whole-execution JSON rewritten per step
        "s2_map_n": 1000,
        "s2_parallel_n": 100,
        "s2_official_sqlite": True,
        "s3_n": 1000,
        "s4_executions": 1000,
        "s4_steps": 10,
        "s5_executions": 10000,
        "s6_steps": 100,
        "s6_every": 10,
        "s7_invokes": 200,
        "idle_seconds": 5.0,
    },
    "quick": {
        "s1_n": [100, 1000],
        "s1_full_n": [1000],
        "s1_official_memory_n": [100, 1000],
        "s1_official_sqlite_n": [100],
        "s2_map_n": 200,
        "s2_parallel_n": 50,
        "s2_official_sqlite": True,
        "s3_n": 100,
        "s4_executions": 200,
        "s4_steps": 10,
        "s5_executions": 500,
        "s6_steps": 100,
        "s6_every": 10,
        "s7_invokes": 50,
        "idle_seconds": 5.0,
    },
    "tiny": {
        "s1_n": [10, 50],
        "s1_full_n": [50],
        "s1_official_memory_n": [10],
        "s1_official_sqlite_n": [10],
        "s2_map_n": 10,
        "s2_parallel_n": 5,
        "s2_official_sqlite": True,
        "s3_n": 10,
        "s4_executions": 20,
        "s4_steps": 3,
        "s5_executions": 20,
        "s6_steps": 20,
        "s6_every": 10,
        "s7_invokes": 10,
        "idle_seconds": 1.0,
    },
}


@dataclass
class Context:
    """What a scenario gets: the size table, how many repeats, where to put scratch files."""

    size: str
    repeat: int
    work_dir: Path
    official: bool = True  # also run the official testing library's side
    log: Callable[[str], None] = print

    @property
    def sizes(self) -> dict[str, Any]:
        return SIZES[self.size]

    @property
    def short_repeat(self) -> int:
        """Runs of our in-process S1/S2 figures: at least 5 at the full size. Each lasts
        0.01-1.5 s, so one noisy second on a shared VM can move a median of three; the official
        runs last seconds each and keep ``repeat``. The table's "runs" column shows the count.
        The smaller sizes (a look during development, the CI smoke run) keep ``repeat``."""
        return max(self.repeat, SHORT_REPEAT) if self.size == "full" else self.repeat


@dataclass
class Result:
    scenario: str  # "S1" .. "S6"
    case: str  # what was measured, e.g. "sequential steps"
    runner: str  # "ours", "official in-memory", "official SQLite", ...
    unit: str  # "ms/step", "s", "steps/s", "KB/execution", "% of a core"
    n: int | None = None
    samples: list[float] = field(default_factory=list)
    better: str = "lower"  # or "higher": decides the ratio's direction and the goal check
    # Rows with the same group compare against the group's baseline (our row): ratio = ours/theirs
    # for "lower is better" units.
    group: str | None = None
    baseline: bool = False
    error: str | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "case": self.case,
            "runner": self.runner,
            "n": self.n,
            "unit": self.unit,
            "better": self.better,
            "samples": self.samples,
            "median": self.median,
            "min": min(self.samples) if self.samples else None,
            "max": max(self.samples) if self.samples else None,
            "group": self.group,
            "baseline": self.baseline,
            "error": self.error,
            "note": self.note,
            "extra": self.extra,
        }


def failed(err: BaseException, **fields: Any) -> Result:
    """A row for a figure that could not be measured (shown as ``n/a (error)``)."""
    detail = "".join(traceback.format_exception_only(type(err), err)).strip()
    return Result(error=detail[-500:], **fields)


def measured(fn: Callable[[], float], repeat: int) -> list[float]:
    """``fn()`` ``repeat`` times; each call returns its own figure."""
    return [fn() for _ in range(repeat)]


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.started


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def cpu_busy_fraction(seconds: float = 1.0) -> float | None:
    """Share of the machine's CPU time that was busy over ``seconds`` (all processes)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return None if total <= 0 else 1.0 - (idle1 - idle0) / total


def cpu_snapshot() -> tuple[float, float, float]:
    """(wall clock, busy CPU seconds of the whole machine, CPU seconds of this process and its
    reaped children). Two snapshots tell how much CPU other processes used in between."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        busy = float("nan")
    t = os.times()
    return time.time(), busy, t.user + t.system + t.children_user + t.children_system


def others_cpu_share(
    before: tuple[float, float, float], after: tuple[float, float, float]
) -> float | None:
    """Share of the machine's CPU capacity used by processes other than the suite between two
    ``cpu_snapshot`` calls (0 = the suite had the machine to itself)."""
    wall = after[0] - before[0]
    if wall <= 0 or before[1] != before[1]:
        return None
    others = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, others / (wall * (os.cpu_count() or 1)))


def machine_info() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    import sqlite3

    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "mem_total_mb": mem_kb // 1024 if mem_kb else None,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }
