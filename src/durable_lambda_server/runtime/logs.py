"""Capture of handler logs, per function, as JSON lines (our stand-in for CloudWatch Logs).

Every log record that carries an ``executionArn`` attribute (the SDK's replay-aware logger adds
it, sdk-spec.md §12.3) is appended to ``<log_dir>/<function name>.jsonl`` as one JSON object with
``timestamp`` (epoch ms), ``level``, ``message``, ``durableExecutionArn`` and the logger's extras.
The function name is read from the execution ARN, so worker processes and the server write to
the same file without any shared state but the directory. Appends of one short line with
``O_APPEND`` do not interleave across processes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

__all__ = ["ExecutionLogSink", "function_name_from_arn", "install_log_sink", "read_logs"]

_ARN_FUNCTION = re.compile(r":function:([^:/]+)")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {
    "message",
    "asctime",
}


def function_name_from_arn(arn: str) -> str | None:
    """The function name in an execution or function ARN (None when there is none)."""
    match = _ARN_FUNCTION.search(arn)
    return match.group(1) if match else None


class ExecutionLogSink(logging.Handler):
    """Appends execution-correlated records to per-function JSONL files."""

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        """Create ``log_dir`` if needed; the sink takes records of every level."""
        super().__init__(level=logging.DEBUG)
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()

    def path_for(self, function_name: str) -> Path:
        """The JSONL file a function's records are appended to."""
        return self.log_dir / f"{function_name}.jsonl"

    def emit(self, record: logging.LogRecord) -> None:
        """Append ``record`` as one JSON line if it carries an ``executionArn``; ignore it else."""
        arn = getattr(record, "executionArn", None)
        if not isinstance(arn, str):
            return
        function = function_name_from_arn(arn)
        if function is None:
            return
        try:
            entry: dict[str, Any] = {
                "timestamp": int(record.created * 1000),
                "level": record.levelname,
                "message": record.getMessage(),
                "durableExecutionArn": arn,
            }
            for key, value in vars(record).items():
                if key not in _STANDARD and key not in entry:
                    entry[key] = value if _is_json(value) else repr(value)
            line = (json.dumps(entry, default=str) + "\n").encode()
            with self._write_lock:
                fd = os.open(self.path_for(function), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
        except Exception:  # a logging handler must never break the handler it observes
            self.handleError(record)


def _is_json(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | type(None) | list | dict)


_installed: dict[str, ExecutionLogSink] = {}


def install_log_sink(log_dir: str | os.PathLike[str]) -> ExecutionLogSink:
    """Installs (once per directory and process) a sink on the root logger."""
    key = str(Path(log_dir).resolve())
    sink = _installed.get(key)
    if sink is None:
        sink = ExecutionLogSink(log_dir)
        root = logging.getLogger()
        root.addHandler(sink)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        _installed[key] = sink
    return sink


def read_logs(
    log_dir: str | os.PathLike[str], function_name: str, execution_arn: str | None = None
) -> list[dict[str, Any]]:
    """The captured records of a function, optionally only one execution's."""
    path = Path(log_dir) / f"{function_name}.jsonl"
    if not path.exists():
        return []
    out: list[dict[str, Any]] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if execution_arn is None or entry.get("durableExecutionArn") == execution_arn:
            out.append(entry)
    return out
