"""The benchmark suite runs end to end at tiny sizes, so it cannot rot (figures are not asserted,
only that they exist and are positive)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from benchmarks.common import Result
from benchmarks.report import evaluate_goals, markdown

ROOT = Path(__file__).resolve().parents[2]
RESULT_KEYS = {
    "scenario",
    "case",
    "runner",
    "n",
    "unit",
    "better",
    "samples",
    "median",
    "min",
    "max",
    "group",
    "baseline",
    "error",
    "note",
    "extra",
}


def test_suite_entry_point_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    md = tmp_path / "results.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--size",
            "tiny",
            "--only",
            "S1,S3,S5,S7",
            "--repeat",
            "1",
            "--json",
            str(out),
            "--markdown",
            str(md),
            "--work-dir",
            str(tmp_path / "work"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Goals (issue 6)" in proc.stdout
    doc = json.loads(out.read_text())
    assert (
        doc["size"] == "tiny"
        and doc["repeat"] == 1
        and doc["scenarios"] == ["S1", "S3", "S5", "S7"]
    )
    assert doc["machine"]["nproc"] >= 1 and doc["machine"]["python"]
    assert len(doc["load"]["loadavg_before"]) == 3
    rows = doc["results"]
    assert all(set(row) == RESULT_KEYS for row in rows)
    errors = [(row["scenario"], row["runner"], row["error"]) for row in rows if row["error"]]
    assert errors == []
    for row in rows:
        assert len(row["samples"]) == 1 and row["median"] is not None, row
        if row["unit"] != "% of a core":  # an idle server may well use no CPU at all
            assert row["median"] > 0, row
    runners = {(row["scenario"], row["runner"]) for row in rows}
    assert {
        ("S1", "ours SQLite NORMAL"),
        ("S1", "ours SQLite FULL"),
        ("S1", "official in-memory"),
        ("S1", "official SQLite"),
        ("S3", "ours SDK, worker process"),
        ("S3", "official SDK on our server"),
    } <= runners
    assert {row["case"] for row in rows if row["scenario"] == "S5"} >= {
        "server RSS per suspended execution",
        "time to resume all (send callbacks)",
    }
    assert ("S7", "ours, worker process") in runners
    assert [g["goal"] for g in doc["goals"]][:2] == ["S1-speed", "S1-vs-memory"]
    assert {g["goal"].split("-")[0] for g in doc["goals"]} == {"S1", "S3", "S5", "S7"}
    assert "| S3 |" in md.read_text()


def test_failed_figure_is_reported_not_raised() -> None:
    ours = Result(
        scenario="S2",
        case="map",
        runner="ours",
        unit="s",
        n=10,
        samples=[0.1, 0.2, 0.3],
        group="g",
        baseline=True,
    )
    theirs = Result(
        scenario="S2",
        case="map",
        runner="official in-memory",
        unit="s",
        n=10,
        samples=[1.0],
        group="g",
    )
    broken = Result(
        scenario="S3",
        case="chain",
        runner="official SDK on our server",
        unit="ms/step",
        error="RuntimeError: boom",
    )
    table = markdown([ours, theirs, broken], evaluate_goals([ours, theirs, broken]))
    assert "ours 5.0x faster" in table and "n/a (error)" in table and "boom" in table
    goals = {g["goal"]: g for g in evaluate_goals([ours, theirs])}
    assert goals["S2-map"]["met"] is True and goals["S3"]["met"] is None


def test_official_handlers_match_ours() -> None:
    """official_handlers.py is handlers.py with AWS's import prefix (and its own docstring)."""
    bench = ROOT / "benchmarks"

    def body(path: Path) -> str:
        text = path.read_text()
        text = text[text.index("from __future__") :]
        return re.sub(r"\baws_durable_execution_sdk_python\b", "durable_lambda", text)

    assert body(bench / "official_handlers.py") == body(bench / "handlers.py")
