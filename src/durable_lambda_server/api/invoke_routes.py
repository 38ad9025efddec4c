"""``Invoke`` (``POST /2015-03-31/functions/{FunctionName}/invocations``, lambda-api.md §4).

RequestResponse blocks (on a worker thread, never the event loop) until the execution is
terminal: 200 with the result bytes, or the error JSON with ``X-Amz-Function-Error: Unhandled``.
Event answers 202 at once, DryRun 204 after resolving the function. Durable functions get
``X-Amz-Durable-Execution-Arn``; every answer but DryRun carries ``X-Amz-Executed-Version``.
"""

from __future__ import annotations

import base64

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda_server.api.app import ApiContext, RouteSpec
from durable_lambda_server.api.host import InvokeOutcome
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    ServiceException,
)

__all__ = ["ROUTES"]

_TYPES = frozenset({"RequestResponse", "Event", "DryRun"})
_SYNC_LIMIT = 6 * 1024 * 1024
_ASYNC_LIMIT = 1024 * 1024
SYNC_TIMEOUT_SECONDS = 900.0
LOG_TAIL_BYTES = 4096
HTTP_ACCEPTED = 202  # an Event invocation's status: queued, no payload


def _invoke_headers(request: Request) -> tuple[str, str | None]:
    """The checked ``X-Amz-Invocation-Type`` (defaulted) and ``X-Amz-Log-Type``."""
    invocation_type = request.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    if invocation_type not in _TYPES:
        raise InvalidParameterValueException(f"Unsupported invocation type {invocation_type!r}")
    log_type = request.headers.get("X-Amz-Log-Type")
    if log_type not in (None, "", "None", "Tail"):
        raise InvalidParameterValueException(
            f"Unsupported log type {log_type!r}: expected None or Tail"
        )
    return invocation_type, log_type


async def _read_payload(request: Request, invocation_type: str) -> str:
    """The request body as text, within the invocation type's size limit."""
    raw = await request.body()
    limit = _ASYNC_LIMIT if invocation_type == "Event" else _SYNC_LIMIT
    if len(raw) > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the Invoke operation"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidRequestContentException(
            "Could not parse request body into json: payload is not UTF-8"
        ) from err


def _invoke_response(result: InvokeOutcome, log_type: str | None) -> Response:
    """The Invoke response for ``result``: its headers, status and payload."""
    headers = {"X-Amz-Executed-Version": str(result.version)}
    if result.durable:
        headers["X-Amz-Durable-Execution-Arn"] = result.arn
    if result.status_code == HTTP_ACCEPTED:
        return Response(status_code=HTTP_ACCEPTED, headers=headers)
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if log_type == "Tail":
        tail = (result.log_tail or "").encode("utf-8")[-LOG_TAIL_BYTES:]
        headers["X-Amz-Log-Result"] = base64.b64encode(tail).decode("ascii")
    return Response(result.payload, status_code=200, headers=headers, media_type="application/json")


async def invoke(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    invocation_type, log_type = _invoke_headers(request)
    payload = await _read_payload(request, invocation_type)
    function_name = params["FunctionName"]
    qualifier = request.query_params.get("Qualifier") or None
    execution_name = request.headers.get("X-Amz-Durable-Execution-Name") or None
    if invocation_type == "DryRun":
        function = await run_in_threadpool(ctx.engine.get_function, function_name, qualifier)
        return Response(status_code=204, headers={"X-Amz-Executed-Version": function.version})

    def call() -> InvokeOutcome:
        # One thread hop: the start resolves the function and reports the executed version.
        try:
            return ctx.runtime.invoke(
                function_name,
                payload,
                invocation_type=invocation_type,
                execution_name=execution_name,
                qualifier=qualifier,
                timeout=SYNC_TIMEOUT_SECONDS,
            )
        except TimeoutError as err:
            raise ServiceException(
                f"Invocation did not finish within {SYNC_TIMEOUT_SECONDS:.0f} s"
            ) from err

    if invocation_type == "Event":
        result = await run_in_threadpool(call)
    else:
        if ctx.invoke_limiter is None:
            ctx.invoke_limiter = anyio.CapacityLimiter(ctx.max_blocking_invokes)
        result = await anyio.to_thread.run_sync(call, limiter=ctx.invoke_limiter)
    return _invoke_response(result, log_type)


ROUTES: list[RouteSpec] = [
    ("POST", "/2015-03-31/functions/{FunctionName}/invocations", invoke),
]
