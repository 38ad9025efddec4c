"""The CLI's command implementations (argument parsing lives in ``main``)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from durable_lambda_server.cli import render
from durable_lambda_server.wire.vocabulary import TERMINAL_STATUSES

__all__ = ["UserError", "add_synchronous_option"]


class UserError(Exception):
    """A mistake in the command line or its input: reported as one line, exit status 2."""


def add_synchronous_option(parser: argparse.ArgumentParser) -> None:
    """``--synchronous`` of ``run`` and ``serve`` (docs/performance.md, "Durability")."""
    parser.add_argument(
        "--synchronous",
        type=str.upper,
        choices=["NORMAL", "FULL"],
        default="NORMAL",
        help="SQLite durability: NORMAL (default) fsyncs the WAL at its checkpoints, so an "
        "acknowledged write survives a process kill; FULL fsyncs every commit and also "
        "survives power loss or an OS crash",
    )


def _open_runtime(
    args: argparse.Namespace, *, skip_time: bool = False, invoker: str = "thread"
) -> Any:
    from durable_lambda_server.runtime import Runtime

    return Runtime.open(
        args.db,
        skip_time=skip_time,
        invoker=invoker,
        synchronous=getattr(args, "synchronous", "NORMAL"),
    )


def _open_engine(args: argparse.Namespace) -> Any:
    if not Path(args.db).exists():
        raise UserError(f"no state file at {args.db} (run an execution first, or pass --db)")
    from durable_lambda_server.engine import Engine
    from durable_lambda_server.store import open_store

    return Engine(open_store(args.db))


def _parse_input(args: argparse.Namespace) -> str:
    raw = args.input
    if args.input_file is not None:
        try:
            raw = Path(args.input_file).read_text()
        except OSError as err:
            raise UserError(f"cannot read --input-file: {err.strerror}") from err
    if raw is None:
        return "{}"
    try:
        json.loads(raw)
    except json.JSONDecodeError as err:
        raise UserError(
            f"--input is not valid JSON: {err.msg} (line {err.lineno} column {err.colno})"
        ) from err
    return str(raw)


def _function_name_for(spec: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    module_part = spec.rpartition(":")[0] or spec
    stem = Path(module_part).stem if module_part.endswith(".py") else module_part.split(".")[-1]
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)
    return cleaned[:64] or "function"


def _checked_spec(spec: str) -> str:
    """An absolute handler spec whose handler loads, or a ``UserError`` saying why not."""
    from durable_lambda_server.runtime.handlers import HandlerLoadError, load_handler, split_spec

    try:
        module_part, attr = split_spec(spec)
        if module_part.endswith(".py"):
            path = Path(module_part).expanduser()
            if not path.is_file():
                raise UserError(f"handler file not found: {module_part}")
            spec = f"{path.resolve()}:{attr}"
        load_handler(spec)
    except HandlerLoadError as err:
        raise UserError(str(err)) from err
    return spec


def _parse_function_option(option: str) -> tuple[str, str]:
    name, sep, spec = option.partition("=")
    if not sep or not name or not spec:
        raise UserError(f"--function expects NAME=FILE.py:function, got {option!r}")
    return name, _checked_spec(spec)


def cmd_run(args: argparse.Namespace) -> int:
    invoker = "process" if args.process else "thread"
    if args.resume:
        runtime = _open_runtime(args, skip_time=args.skip_time, invoker=invoker)
        arn = args.resume
        try:
            runtime.engine.get_execution(arn)
        except Exception as err:
            runtime.stop()
            raise UserError(f"no execution {arn!r} in {args.db}") from err
        runtime.engine.release_leases(arn)
    else:
        if not args.handler:
            raise UserError("a handler (FILE.py:function) is required unless --resume is given")
        payload = _parse_input(args)
        spec = _checked_spec(args.handler)
        extra = [_parse_function_option(option) for option in args.function]
        runtime = _open_runtime(args, skip_time=args.skip_time, invoker=invoker)
        function_name = _function_name_for(args.handler, args.function_name)
        runtime.register_function(function_name, spec)
        for name, target_spec in extra:
            runtime.register_function(name, target_spec)
        arn, _created = runtime.start_execution(function_name, payload, execution_name=args.name)
    try:
        runtime.start()
        execution = _wait(runtime, arn, timeout=args.timeout, quiet=args.json)
        history = runtime.engine.get_history(arn, include_execution_data=True)["Events"]
    finally:
        runtime.stop()
    if args.json:
        render.print_json({**execution, "Events": history})
    else:
        render.print_outcome(execution, history)
    return 0 if execution.get("Status") == "SUCCEEDED" else 1


def _wait(runtime: Any, arn: str, *, timeout: float | None, quiet: bool) -> dict[str, Any]:
    deadline = None if timeout is None else time.monotonic() + timeout
    with render.progress(quiet=quiet) as show:
        while True:
            execution: dict[str, Any] = runtime.engine.get_execution(arn)
            if execution.get("Status") in TERMINAL_STATUSES:
                return execution
            if deadline is not None and time.monotonic() >= deadline:
                raise UserError(
                    f"execution still {execution.get('Status')} after {timeout} s; "
                    f"finish it later with: durable-lambda run --resume {arn}"
                )
            show(runtime, arn, execution)
            with runtime.dispatcher.changed:
                runtime.dispatcher.changed.wait(0.2)


def cmd_executions_list(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    page = engine.list_executions(
        function_name=args.function, statuses=args.status, max_items=args.limit
    )
    items = page.get("DurableExecutions", [])
    if args.json:
        render.print_json(items)
    else:
        render.print_executions(items)
    return 0


def cmd_executions_show(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    execution = engine.get_execution(args.arn)
    if args.json:
        render.print_json(execution)
    else:
        render.print_execution(execution)
    return 0


def cmd_executions_history(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    events = engine.get_history(args.arn, include_execution_data=True)["Events"]
    if args.json:
        render.print_json(events)
    else:
        render.print_history(events)
    return 0


def cmd_executions_stop(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    engine.stop_execution(args.arn)
    print(f"stopped {args.arn}")
    return 0


def cmd_callback_succeed(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    result = args.result.encode() if args.result is not None else None
    engine.send_callback_success(args.callback_id, result)
    print("callback succeeded")
    return 0


def cmd_callback_fail(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    error = {
        k: v
        for k, v in (
            ("ErrorType", args.error_type),
            ("ErrorMessage", args.error_message),
            ("ErrorData", args.error_data),
        )
        if v is not None
    }
    engine.send_callback_failure(args.callback_id, error or None)
    print("callback failed")
    return 0


def cmd_callback_heartbeat(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    engine.send_callback_heartbeat(args.callback_id)
    print("heartbeat sent")
    return 0
