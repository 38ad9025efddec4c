"""``durable-lambda serve``: the Lambda REST-JSON API on uvicorn over the embedded runtime.

Functions created over the API run in worker processes, so a crashing handler never takes the
server down. Point boto3 at it with ``boto3.client("lambda", endpoint_url="http://HOST:PORT")``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "cmd_serve"]


def add_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve the Lambda API (boto3-compatible) over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=9000, help="TCP port (default: 9000)")
    serve.add_argument("--db", dest="serve_db", default=None, help="SQLite state file (overrides the global --db)")
    serve.add_argument("--log-level", default="info", help="uvicorn log level (default: info)")
    serve.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from durable_lambda.cli.commands import UserError

    try:
        import uvicorn

        from durable_lambda.api import create_app
    except ImportError as err:
        raise UserError(f"serve needs starlette and uvicorn (reinstall durable-lambda): {err}") from err
    from durable_lambda.runtime import Runtime

    db = Path(args.serve_db or args.db)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = Runtime.open(db, invoker="process")
    local_host = "127.0.0.1" if args.host in ("0.0.0.0", "", "::") else args.host
    runtime.endpoint_url = f"http://{local_host}:{args.port}"
    runtime.start()
    try:
        app = create_app(runtime, state_dir=db.parent)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    finally:
        runtime.stop()
    return 0
