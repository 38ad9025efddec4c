"""Rendering for the CLI: rich tables for people, JSON for machines."""

from __future__ import annotations

import contextlib
import datetime
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.table import Table

# Piped output (files, CI logs) gets a wide fixed width so the history table stays readable.
console = Console() if sys.stdout.isatty() else Console(width=160)

_STATUS_STYLE = {
    "SUCCEEDED": "green",
    "FAILED": "red",
    "TIMED_OUT": "red",
    "STOPPED": "yellow",
    "RUNNING": "cyan",
}


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON, for ``--json`` output that scripts read."""
    print(json.dumps(value, indent=2, default=str))


def _ts(ms: Any) -> str:
    if not isinstance(ms, int | float):
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC).strftime("%H:%M:%S.%f")[:-3]


def _details(event: dict[str, Any]) -> str:
    key = f"{event.get('EventType')}Details"
    details = event.get(key) or {}
    parts: list[str] = []
    for name in ("Result", "Input"):
        payload = (details.get(name) or {}).get("Payload")
        if payload is not None:
            parts.append(f"{name.lower()}={_short(payload)}")
    error = (details.get("Error") or {}).get("Payload")
    if error:
        parts.append(f"error={error.get('ErrorType')}: {_short(error.get('ErrorMessage') or '')}")
    for name in ("Duration", "Timeout", "HeartbeatTimeout", "CallbackId"):
        if name in details:
            parts.append(f"{name}={details[name]}")
    retry = details.get("RetryDetails")
    if retry:
        parts.append(
            f"attempt={retry.get('CurrentAttempt')}"
            + (
                f" next_in={retry['NextAttemptDelaySeconds']}s"
                if "NextAttemptDelaySeconds" in retry
                else ""
            )
        )
    return "  ".join(parts)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_history(events: list[dict[str, Any]]) -> None:
    """Print an execution's history events as a table, one row per event."""
    table = Table(title="History", show_lines=False)
    for column in ("#", "time", "event", "sub type", "name", "details"):
        table.add_column(column)
    for event in events:
        table.add_row(
            str(event.get("EventId")),
            _ts(event.get("EventTimestamp")),
            str(event.get("EventType")),
            str(event.get("SubType") or ""),
            str(event.get("Name") or ""),
            _details(event),
        )
    console.print(table)


def print_execution(execution: dict[str, Any]) -> None:
    """Print an execution's ARN, coloured status, and its result or error."""
    status = str(execution.get("Status"))
    console.print(f"[bold]Execution[/bold] {execution.get('DurableExecutionArn')}")
    console.print(f"  status: [{_STATUS_STYLE.get(status, 'white')}]{status}[/]")
    if execution.get("Result") is not None:
        console.print(f"  result: {execution['Result']}", markup=False, highlight=False)
    if execution.get("Error"):
        err = execution["Error"]
        console.print(f"  error:  {err.get('ErrorType')}: {err.get('ErrorMessage')}", markup=False)


def print_outcome(execution: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Print an execution followed by its history."""
    print_execution(execution)
    print_history(events)


def print_executions(items: list[dict[str, Any]]) -> None:
    """Print a list of executions as a table: name, status, start time, function, ARN."""
    table = Table(title="Executions")
    for column in ("name", "status", "started", "function", "arn"):
        table.add_column(column)
    for item in items:
        status = str(item.get("Status"))
        table.add_row(
            str(item.get("DurableExecutionName")),
            f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]",
            _ts(item.get("StartTimestamp")),
            str(item.get("FunctionArn", "")).rpartition(":function:")[2],
            str(item.get("DurableExecutionArn")),
        )
    console.print(table)


@contextlib.contextmanager
def progress(*, quiet: bool) -> Iterator[Callable[[Any, str, dict[str, Any]], None]]:
    """A live status line while an execution is suspended (nothing when ``quiet``)."""
    if quiet or not console.is_terminal:
        yield lambda *_: None
        return
    with console.status("starting…") as status:

        def show(runtime: Any, arn: str, execution: dict[str, Any]) -> None:
            due = runtime.engine.next_due_ms()
            now = runtime.engine.clock.now_ms()
            waiting = f" · next timer in {(due - now) / 1000:.1f} s" if due else ""
            status.update(f"{execution.get('Status')}{waiting}")

        yield show
