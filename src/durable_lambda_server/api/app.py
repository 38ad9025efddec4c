"""``create_app(runtime)``: the Lambda REST-JSON API (boto3's ``lambda`` client) on Starlette.

Routing is on the RAW request path: botocore percent-encodes ``:`` ``/`` ``$`` inside ARNs and
callback ids into single path segments (lambda-api.md §0 item 2), so the raw path is split on
``/`` first and each segment unquoted afterwards. Starlette's router default hands every
request to ``dispatch``, which matches the route table, runs the handler and renders any
``LambdaApiError`` as a Lambda error response; anything unexpected is logged and becomes a 500
``ServiceException``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda_server.api.host import FunctionHost
from durable_lambda_server.api.http_codec import (
    UnknownOperationException,
    error_response,
    new_request_id,
)
from durable_lambda_server.engine import Engine
from durable_lambda_server.wire.errors import (
    LambdaApiError,
    ServiceException,
    TooManyRequestsException,
)

__all__ = ["ApiContext", "Handler", "create_app"]

log = logging.getLogger("durable_lambda_server.api")


@dataclass
class ApiContext:
    """What route handlers share: the runtime (engine + dispatcher) and the state directory."""

    runtime: FunctionHost
    state_dir: Path
    # Blocking RequestResponse invokes wait on their own thread budget, so they can never use up
    # the default pool that every other engine call (callbacks, Get...) needs (created lazily).
    invoke_limiter: Any = None
    max_blocking_invokes: int = 256

    @property
    def engine(self) -> Engine:
        """The runtime's engine, the shortcut most route handlers need."""
        return self.runtime.engine


Handler = Callable[[ApiContext, Request, dict[str, str]], Awaitable[Response]]
RouteSpec = tuple[str, str, Handler]


def split_raw_path(raw_path: bytes) -> list[str]:
    """``b"/a/b%2Fc/"`` -> ``["a", "b/c"]``: split on raw ``/``, then unquote each segment."""
    text = raw_path.decode("latin-1").split("?", 1)[0]
    return [unquote(part) for part in text.strip("/").split("/") if part != ""]


class Router:
    """A table of ``(METHOD, "/2015-03-31/functions/{FunctionName}", handler)`` rows."""

    def __init__(self, routes: list[RouteSpec]) -> None:
        self._routes = [
            (m, [p for p in pattern.strip("/").split("/")], h) for m, pattern, h in routes
        ]

    def match(self, method: str, segments: list[str]) -> tuple[Handler, dict[str, str]] | None:
        for route_method, pattern, handler in self._routes:
            if route_method != method or len(pattern) != len(segments):
                continue
            params: dict[str, str] = {}
            for want, got in zip(pattern, segments, strict=True):
                if want.startswith("{") and want.endswith("}"):
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return handler, params
        return None


def create_app(
    runtime: FunctionHost, *, state_dir: str | Path | None = None, auth: Any = None
) -> Starlette:
    """The ASGI app serving ``runtime`` (started and stopped by the caller).

    ``state_dir`` holds uploaded function code (``<state_dir>/functions/<name>/<n>/``); it
    defaults to the directory of the runtime's log dir parent, i.e. next to the database.
    ``auth`` (an ``api.auth.Authenticator``) makes every request authenticate first.
    """
    from durable_lambda_server.api import (
        concurrency_routes,
        durable_routes,
        function_routes,
        invoke_routes,
    )

    if state_dir is None:
        log_dir = getattr(runtime, "log_dir", None)
        state_dir = Path(log_dir).parent if log_dir is not None else Path(".durable-lambda")
    ctx = ApiContext(runtime=runtime, state_dir=Path(state_dir))
    router = Router(
        invoke_routes.ROUTES
        + function_routes.ROUTES
        + concurrency_routes.ROUTES
        + durable_routes.ROUTES
    )

    async def dispatch(request: Request) -> Response:
        request_id = new_request_id()
        segments = split_raw_path(request.scope.get("raw_path") or request.url.path.encode())
        found = router.match(request.method, segments)
        try:
            if auth is not None:
                await auth.authenticate(request, segments)
            if found is None:
                raise UnknownOperationException(
                    f"Unknown operation: {request.method} {request.url.path}"
                )
            handler, params = found
            response = await handler(ctx, request, params)
        except LambdaApiError as err:
            response = error_response(err, request_id)
            if isinstance(err, TooManyRequestsException):
                response.headers["Retry-After"] = "1"  # botocore: retryAfterSeconds
            return response
        except Exception:
            log.exception("unexpected error serving %s %s", request.method, request.url.path)
            return error_response(ServiceException("Internal service error"), request_id)
        response.headers["x-amzn-RequestId"] = request_id
        return response

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        response = await dispatch(Request(scope, receive))
        await response(scope, receive, send)

    # Every HTTP request reaches ``dispatch``: no Starlette route (its ``{path:path}`` pattern
    # does not match a decoded newline, and a method outside the route's list would get
    # Starlette's own plain-text 404/405 without ``x-amzn-ErrorType``).
    app = Starlette()
    app.router.default = asgi
    return app
