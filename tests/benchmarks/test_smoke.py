"""The benchmark scripts run end to end at small sizes (figures are not asserted)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import fanout, steps


def test_steps_benchmark_runs(tmp_path: Path) -> None:
    rows = steps.main(["--n", "5", "20", "--repeat", "1", "--json", str(tmp_path / "s1.json")])
    assert [r["n"] for r in rows] == [5, 20]
    assert all(r["median_ms_per_step"] > 0 for r in rows)
    assert (tmp_path / "s1.json").exists()


def test_fanout_benchmark_runs() -> None:
    rows = fanout.main(["--map-n", "10", "--parallel-n", "5", "--repeat", "1"])
    assert [r["scenario"] for r in rows] == ["S2 map", "S2 parallel"]
