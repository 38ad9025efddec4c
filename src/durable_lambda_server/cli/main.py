"""``durable-lambda`` command line: run executions on the embedded store and inspect them.

Errors are one clear line on stderr and exit status 2 (usage) or 1 (failure), never a traceback:
``main`` is the boundary that turns our exceptions into messages.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from durable_lambda_server.cli import commands, deploy, serve

__all__ = ["main"]

DEFAULT_DB = os.environ.get("DURABLE_LAMBDA_DB", ".durable-lambda/state.db")


class CliError(Exception):
    """A user-facing failure: printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="durable-lambda",
        description="Run AWS Lambda durable functions on your own machine.",
    )
    parser.add_argument(
        "--db",
        default=DEFAULT_DB,
        help=f"SQLite state file (default: {DEFAULT_DB}; env DURABLE_LAMBDA_DB)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run_parser(sub)
    _add_executions_parser(sub)
    _add_callback_parser(sub)
    serve.add_parser(sub)
    deploy.add_parser(sub)
    return parser


def _add_run_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="run a durable handler to completion")
    run.add_argument("handler", nargs="?", help="FILE.py:function or module:function")
    run.add_argument("--input", default=None, help="JSON input (default: {})")
    run.add_argument("--input-file", default=None, help="read the JSON input from a file")
    run.add_argument("--name", default=None, help="execution name (idempotency key)")
    run.add_argument("--function-name", default=None, help="function name (default: file stem)")
    run.add_argument("--skip-time", action="store_true", help="waits and retry delays take no time")
    run.add_argument("--resume", metavar="ARN", default=None, help="finish an existing execution")
    run.add_argument("--timeout", type=float, default=None, help="give up after this many seconds")
    run.add_argument("--json", action="store_true", help="machine-readable output")
    run.add_argument("--process", action="store_true", help="run the handler in a worker process")
    commands.add_synchronous_option(run)
    run.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="NAME=FILE.py:function",
        help="also register a function the handler invokes (repeatable; durable or plain is "
        "detected)",
    )
    run.set_defaults(func=commands.cmd_run)


def _add_executions_parser(sub: Any) -> None:
    ex = sub.add_parser("executions", help="list and inspect executions")
    ex_sub = ex.add_subparsers(dest="executions_command", required=True)
    ls = ex_sub.add_parser("list", help="list executions")
    ls.add_argument("--function", default=None)
    ls.add_argument("--status", action="append", default=None)
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=commands.cmd_executions_list)
    show = ex_sub.add_parser("show", help="show one execution")
    show.add_argument("arn")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=commands.cmd_executions_show)
    hist = ex_sub.add_parser("history", help="show an execution's event history")
    hist.add_argument("arn")
    hist.add_argument("--json", action="store_true")
    hist.set_defaults(func=commands.cmd_executions_history)
    stop = ex_sub.add_parser("stop", help="stop a running execution")
    stop.add_argument("arn")
    stop.set_defaults(func=commands.cmd_executions_stop)


def _add_callback_parser(sub: Any) -> None:
    cb = sub.add_parser("callback", help="answer a callback")
    cb_sub = cb.add_subparsers(dest="callback_command", required=True)
    ok = cb_sub.add_parser("succeed", help="complete a callback successfully")
    ok.add_argument("callback_id")
    ok.add_argument("--result", default=None, help="result payload (sent verbatim)")
    ok.set_defaults(func=commands.cmd_callback_succeed)
    fail = cb_sub.add_parser("fail", help="fail a callback")
    fail.add_argument("callback_id")
    fail.add_argument("--error-type", default=None)
    fail.add_argument("--error-message", default=None)
    fail.add_argument("--error-data", default=None)
    fail.set_defaults(func=commands.cmd_callback_fail)
    hb = cb_sub.add_parser("heartbeat", help="send a callback heartbeat")
    hb.add_argument("callback_id")
    hb.set_defaults(func=commands.cmd_callback_heartbeat)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``durable-lambda`` command line ``argv`` and return its exit status.

    The boundary where errors become one line on stderr: 2 for usage errors, 1 for failures.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = str(Path(args.db))
    try:
        code: int = args.func(args)
        return code
    except commands.UserError as err:
        print(f"durable-lambda: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("durable-lambda: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # the CLI boundary: one line, not a traceback
        message = getattr(err, "message", None) or str(err) or type(err).__name__
        print(f"durable-lambda: error: {type(err).__name__}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
