"""Presenting results: the rich table, the goals of issue 6 with met / not met, a Markdown table
for docs/performance.md, and the JSON document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.common import Result

__all__ = ["GOALS", "evaluate_goals", "markdown", "print_report", "ratio_text"]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("steps/s",):
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    if abs(value) >= 10:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _baselines(results: list[Result]) -> dict[str, Result]:
    return {r.group: r for r in results if r.baseline and r.group and r.samples}


def ratio(row: Result, results: list[Result]) -> float | None:
    """How many times better ours is than ``row`` (> 1: ours is faster / higher)."""
    base = _baselines(results).get(row.group or "")
    if base is None or row is base or not row.samples or not base.median or not row.median:
        return None
    return row.median / base.median if row.better == "lower" else base.median / row.median


def ratio_text(row: Result, results: list[Result]) -> str:
    value = ratio(row, results)
    if value is None:
        return ""
    return f"ours {value:.1f}x faster" if value >= 1 else f"ours {1 / value:.1f}x slower"


def _cells(row: Result, results: list[Result]) -> list[str]:
    d = row.to_dict()
    if row.error:
        values = ["n/a (error)", "", ""]
    else:
        values = [_fmt(d["median"], row.unit), _fmt(d["min"], row.unit), _fmt(d["max"], row.unit)]
    note = row.note or ""
    if row.error:
        note = (note + "; " if note else "") + row.error.splitlines()[-1][:120]
    n = f"{row.n:,}" if row.n is not None else ""
    return [
        row.scenario,
        row.case,
        row.runner,
        n,
        *values,
        row.unit,
        str(len(row.samples)),
        ratio_text(row, results),
        note,
    ]


HEADERS = ["", "case", "runner", "n", "median", "min", "max", "unit", "runs", "vs ours", "note"]


@dataclass(frozen=True)
class Goal:
    key: str
    text: str
    check: Callable[[list[Result]], tuple[bool | None, str]]


def _find(
    results: list[Result],
    scenario: str,
    *,
    runner: str | None = None,
    n: int | None = None,
    case_prefix: str | None = None,
) -> Result | None:
    for r in results:
        if r.scenario != scenario or not r.samples:
            continue
        if runner is not None and r.runner != runner:
            continue
        if n is not None and r.n != n:
            continue
        if case_prefix is not None and not r.case.startswith(case_prefix):
            continue
        return r
    return None


def _threshold(scenario: str, limit: float, *, at_most: bool, unit: str, **where: Any) -> Callable:
    def check(results: list[Result]) -> tuple[bool | None, str]:
        row = _find(results, scenario, **where)
        if row is None or row.median is None:
            return None, "not measured"
        ok = row.median <= limit if at_most else row.median >= limit
        return ok, f"{_fmt(row.median, unit)} {unit}"

    return check


def _ratio_goal(scenario: str, runner: str, factor: float, **where: Any) -> Callable:
    def check(results: list[Result]) -> tuple[bool | None, str]:
        row = _find(results, scenario, runner=runner, **where)
        value = None if row is None else ratio(row, results)
        if value is None:
            return None, "not measured"
        return value >= factor, f"{value:.1f}x (n={row.n:,})" if row and row.n else f"{value:.1f}x"

    return check


def _flat_goal(results: list[Result]) -> tuple[bool | None, str]:
    rows = sorted(
        (
            r
            for r in results
            if r.scenario == "S1" and r.runner == "ours SQLite NORMAL" and r.samples
        ),
        key=lambda r: r.n or 0,
    )
    if len(rows) < 2 or not rows[0].median:
        return None, "not measured"
    value = rows[-1].median / rows[0].median  # type: ignore[operator]
    return value <= 1.3, f"{value:.2f}x (n={rows[-1].n:,} vs n={rows[0].n:,})"


def _s2_map_goal(results: list[Result]) -> tuple[bool | None, str]:
    row = next(
        (
            r
            for r in results
            if r.scenario == "S2"
            and r.case == "map"
            and r.runner == "official in-memory"
            and r.samples
        ),
        None,
    )
    value = None if row is None else ratio(row, results)
    if value is None:
        return None, "not measured"
    return value >= 5, f"{value:.1f}x (n={row.n:,})" if row and row.n else f"{value:.1f}x"


GOALS: list[Goal] = [
    Goal(
        "S1-speed",
        "S1 <= 0.3 ms/step at n=1,000",
        _threshold("S1", 0.3, at_most=True, unit="ms/step", runner="ours SQLite NORMAL", n=1000),
    ),
    Goal(
        "S1-vs-memory",
        "S1 >= 10x faster than the official in-memory runner (n=1,000)",
        _ratio_goal("S1", "official in-memory", 10, n=1000),
    ),
    Goal(
        "S1-vs-sqlite",
        "S1 >= 100x faster than the official SQLite runner (n=1,000)",
        _ratio_goal("S1", "official SQLite", 100, n=1000),
    ),
    Goal("S1-flat", "S1 per-step cost at n=10,000 within 1.3x of n=100", _flat_goal),
    Goal("S2-map", "S2 map >= 5x faster than the official in-memory runner", _s2_map_goal),
    Goal(
        "S3",
        "S3 <= 2 ms/step through the server (our SDK)",
        _threshold("S3", 2.0, at_most=True, unit="ms/step", runner="ours SDK, worker process"),
    ),
    Goal(
        "S4",
        "S4 >= 2,000 steps/s with fsync'd commits (synchronous=FULL)",
        _threshold(
            "S4",
            2000,
            at_most=False,
            unit="steps/s",
            runner="ours server, synchronous=FULL",
            case_prefix="throughput",
        ),
    ),
    Goal(
        "S5-memory",
        "S5 < 10 KB server RSS per suspended execution",
        _threshold("S5", 10, at_most=True, unit="KB/execution", case_prefix="server RSS"),
    ),
    Goal(
        "S5-idle",
        "S5 no idle CPU (server < 1 % of a core while all are suspended)",
        _threshold(
            "S5", 1.0, at_most=True, unit="% of a core", case_prefix="server CPU while idle"
        ),
    ),
    Goal(
        "S7",
        "S7 < 3 ms median warm plain Invoke round trip through the server (issue 4)",
        _threshold("S7", 3.0, at_most=True, unit="ms"),
    ),
]


def evaluate_goals(
    results: list[Result], scenarios: list[str] | None = None
) -> list[dict[str, Any]]:
    """Each goal of a scenario that ran (all goals when ``scenarios`` is None): met, not met, or
    None when its figure is missing (error, or a size too small to have it)."""
    out = []
    for goal in GOALS:
        if scenarios is not None and goal.key.split("-")[0] not in scenarios:
            continue
        met, figure = goal.check(results)
        out.append({"goal": goal.key, "text": goal.text, "met": met, "figure": figure})
    return out


def _met_text(met: bool | None) -> str:
    return "met" if met else ("not measured" if met is None else "NOT met")


def print_report(
    results: list[Result], goals: list[dict[str, Any]], title: str, console: Any = None
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=200)
    table = Table(title=title, show_lines=False)
    for header in HEADERS:
        table.add_column(
            header,
            justify="right" if header in ("n", "median", "min", "max", "runs") else "left",
            overflow="fold",
        )
    previous = None
    for row in results:
        if previous is not None and row.scenario != previous:
            table.add_section()
        previous = row.scenario
        cells = _cells(row, results)
        style = "red" if row.error else ("bold" if row.baseline else None)
        table.add_row(*cells, style=style)
    console.print(table)
    goals_table = Table(title="Goals (issue 6)")
    for header in ("goal", "measured", "status"):
        goals_table.add_column(header)
    for goal in goals:
        status = _met_text(goal["met"])
        goals_table.add_row(
            goal["text"],
            goal["figure"],
            status,
            style="green" if goal["met"] else ("yellow" if goal["met"] is None else "red"),
        )
    console.print(goals_table)


def markdown(results: list[Result], goals: list[dict[str, Any]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"

    headers = ["", "case", "runner", "n", "median", "min", "max", "unit", "runs", "vs ours", "note"]
    lines = [line(headers), line(["---"] * len(headers))]
    for row in results:
        lines.append(line(_cells(row, results)))
    lines += ["", line(["goal", "measured", "status"]), line(["---"] * 3)]
    for goal in goals:
        lines.append(line([goal["text"], goal["figure"], _met_text(goal["met"])]))
    return "\n".join(lines) + "\n"
