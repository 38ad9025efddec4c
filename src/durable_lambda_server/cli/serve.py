"""``durable-lambda serve``: the Lambda REST-JSON API on uvicorn over the embedded runtime.

Functions created over the API run in worker processes, so a crashing handler never takes the
server down. Point boto3 at it with ``boto3.client("lambda", endpoint_url="http://HOST:PORT")``.

Security (docs/security.md): API authentication is on by default unless the server listens on
loopback only (or credentials are configured anyway); on with no credentials configured, the
server refuses to start. Run as root, workers switch to an unprivileged user (``nobody`` unless
``--worker-user`` says otherwise) and the database is mode 0600, so function code cannot read it.
"""

from __future__ import annotations

import argparse
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Security", "add_parser", "build_security", "cmd_serve"]

TOKEN_ENV = "DURABLE_LAMBDA_TOKEN"
MIN_SECRET_CHARS = 16
log = logging.getLogger("durable_lambda.serve")


def add_parser(sub: Any) -> None:
    """Add the ``serve`` subcommand and its options to the CLI's subparsers."""
    serve = sub.add_parser("serve", help="serve the Lambda API (boto3-compatible) over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=9000, help="TCP port (default: 9000)")
    serve.add_argument(
        "--db", dest="serve_db", default=None, help="SQLite state file (overrides the global --db)"
    )
    serve.add_argument("--log-level", default="info", help="uvicorn log level (default: info)")
    serve.add_argument(
        "--max-operations",
        type=_positive_int,
        default=None,
        help="operations one durable execution may hold; a checkpoint beyond it is rejected "
        "(default: 25000)",
    )
    from durable_lambda_server.cli.commands import add_synchronous_option

    add_synchronous_option(serve)
    serve.add_argument(
        "--auth",
        choices=["auto", "none", "sigv4", "token"],
        default="auto",
        help="API authentication: auto (default) = on unless --host is loopback and no credentials "
        "are configured; sigv4 = AWS Signature V4 with --access-key/--credentials-file keys; "
        "token = 'Authorization: Bearer' with --token; none = off",
    )
    serve.add_argument(
        "--access-key",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="an access key clients sign with (repeatable; visible in ps: prefer "
        "--credentials-file)",
    )
    serve.add_argument(
        "--credentials-file",
        metavar="FILE",
        help="access keys, one ID:SECRET a line or AWS credentials-file format (mode 0600)",
    )
    serve.add_argument(
        "--token",
        default=None,
        help=f"bearer token clients send (default: ${TOKEN_ENV}; visible in ps: prefer the "
        "variable)",
    )
    serve.add_argument(
        "--worker-user",
        default=None,
        metavar="USER[:GROUP]",
        help="when running as root: the user worker processes run as (default: nobody; "
        "'root' keeps root, which lets function code read the database)",
    )
    serve.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        choices=range(0, 20),
        metavar="0-19",
        help="scheduling priority (nice) of worker processes relative to the server: "
        "handler code yields the CPU to the server that answers every worker "
        "(default: 10; 0 = same priority)",
    )
    serve.set_defaults(func=cmd_serve)


@dataclass
class Security:
    """What ``build_security`` decided, for ``cmd_serve`` to apply.

    The authenticator (None = open API), the keyword arguments for the runtime's worker processes
    (``Runtime.worker_options``) and the lines logged at startup.
    """

    authenticator: Any = None
    worker_options: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


def _read_secrets(args: argparse.Namespace) -> tuple[dict[str, str], str | None]:
    """The access keys (flags, then the credentials file) and the token, each long enough."""
    from durable_lambda_server.api.auth import load_credentials_file, parse_access_key
    from durable_lambda_server.cli.commands import UserError

    keys: dict[str, str] = {}
    try:
        for spec in args.access_key:
            key_id, secret = parse_access_key(spec)
            keys[key_id] = secret
        if args.credentials_file:
            keys.update(load_credentials_file(args.credentials_file))
    except (OSError, ValueError) as err:
        raise UserError(f"bad credentials: {err}") from None
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    if any(len(s) < MIN_SECRET_CHARS for s in [*keys.values(), *([token] if token else [])]):
        raise UserError(f"secrets and tokens must be at least {MIN_SECRET_CHARS} characters long")
    return keys, token


def build_security(args: argparse.Namespace, state_dir: Path) -> Security:
    """Resolves the auth and worker-identity flags; every misconfiguration is a ``UserError``."""
    from durable_lambda_server.api.auth import Authenticator, is_loopback
    from durable_lambda_server.cli.commands import UserError
    from durable_lambda_server.runtime.sandbox import WorkerGrants

    keys, token = _read_secrets(args)

    mode = args.auth
    if mode == "auto":
        mode = "on" if (keys or token or not is_loopback(args.host)) else "none"
    if mode == "sigv4" and not keys:
        raise UserError("--auth sigv4 needs --access-key ID:SECRET or --credentials-file FILE")
    if mode == "token" and not token:
        raise UserError(f"--auth token needs --token TOKEN or ${TOKEN_ENV}")
    if mode == "on" and not (keys or token):
        raise UserError(
            f"--host {args.host} is not loopback, so the API requires authentication, but no "
            "credentials are configured: pass --access-key ID:SECRET, --credentials-file FILE or "
            "--token TOKEN "
            f"(or ${TOKEN_ENV}), or --auth none to serve without authentication"
        )
    security = Security()
    if mode == "none":
        security.summary.append(
            "API authentication: off (anyone who can reach the port can deploy and run code)"
        )
    else:
        grants = WorkerGrants()
        security.authenticator = Authenticator(
            access_keys=keys if mode != "token" else {},
            tokens=[token] if token and mode != "sigv4" else [],
            grants=grants,
        )
        security.worker_options["grants"] = grants
        security.summary.append(f"API authentication: {' + '.join(security.authenticator.schemes)}")
    if args.access_key or args.token:
        security.summary.append(
            "warning: secrets given as arguments are visible to local users in ps"
        )
    strict = mode != "none" or bool(args.worker_user)
    security.worker_options.update(
        _worker_identity(args, state_dir, security.summary, strict=strict)
    )
    security.worker_options["worker_nice"] = getattr(args, "worker_nice", 10)
    return security


def _worker_identity(
    args: argparse.Namespace, state_dir: Path, summary: list[str], *, strict: bool
) -> dict[str, Any]:
    """``worker_uid``/``worker_gid`` for the runtime.

    ``strict`` (authentication on, or an explicit ``--worker-user``): a state directory the worker
    user cannot reach is an error; otherwise (a loopback development server) it is a warning and
    workers keep the server's user.
    """
    from durable_lambda_server.cli.commands import UserError
    from durable_lambda_server.runtime.sandbox import resolve_user, unreachable_dir

    if os.geteuid() != 0:
        if args.worker_user and args.worker_user != "root":
            raise UserError("--worker-user needs the server to run as root")
        summary.append("workers run as the server's own user: function code can read the database")
        return {}
    spec = args.worker_user or "nobody"
    try:
        uid, gid = (0, 0) if spec == "root" else resolve_user(spec)
    except KeyError:
        raise UserError(f"--worker-user {spec}: no such user or group") from None
    if uid == 0:
        summary.append("warning: workers run as root: function code can read the database and keys")
        return {}
    blocked = unreachable_dir(state_dir, uid, gid)
    if blocked is not None:
        problem = (
            f"worker user {spec} cannot reach {blocked} (the state directory holds the functions' "
            f"code and logs)"
        )
        if strict:
            raise UserError(
                f"{problem}: chmod o+x it, or put --db in a directory other users can traverse"
            )
        summary.append(
            f"warning: {problem}, so workers run as root and function code can read the database"
        )
        return {}
    summary.append(f"workers run as uid {uid}, gid {gid}")
    return {"worker_uid": uid, "worker_gid": gid}


def private_file(path: Path) -> None:
    """Creates ``path`` (and fixes an existing one and SQLite's side files) as mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    for side in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if side.exists():
            os.chmod(side, 0o600)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def cmd_serve(args: argparse.Namespace) -> int:
    """``durable-lambda serve``: open the runtime on ``--db`` and serve the API until interrupted.

    Security is settled first (``build_security``), so a misconfigured server never starts.
    """
    from durable_lambda_server.cli.commands import UserError

    try:
        import uvicorn

        from durable_lambda_server.api import create_app
    except ImportError as err:
        raise UserError(
            f"serve needs starlette and uvicorn (reinstall durable-lambda): {err}"
        ) from err
    from durable_lambda_server.runtime import Runtime

    db = Path(args.serve_db or args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    security = build_security(args, db.parent)
    private_file(db)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for line in security.summary:
        log.info("%s", line)
    runtime = Runtime.open(
        db,
        invoker="process",
        synchronous=getattr(args, "synchronous", "NORMAL"),
        max_operations=getattr(args, "max_operations", None),
    )
    runtime.worker_options = security.worker_options
    local_host = "127.0.0.1" if args.host in ("0.0.0.0", "", "::") else args.host
    runtime.endpoint_url = f"http://{local_host}:{args.port}"
    runtime.start()
    try:
        app = create_app(runtime, state_dir=db.parent, auth=security.authenticator)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    finally:
        runtime.stop()
    return 0
