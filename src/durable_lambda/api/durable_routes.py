"""The nine durable-execution operations under ``/2025-12-01/`` (lambda-api.md §3.1).

Each handler decodes the HTTP request, calls one ``Engine`` method on a worker thread
(``run_in_threadpool``: engine calls are synchronous and take the store lock) and encodes the
answer with epoch-second timestamps.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda.api.app import ApiContext, RouteSpec
from durable_lambda.api.wire import (
    bool_query,
    int_query,
    json_response,
    read_json,
    read_json_object,
    time_query_ms,
)
from durable_lambda.engine import functions
from durable_lambda.wire.errors import InvalidRequestContentException

__all__ = ["ROUTES"]

_EXEC = "/2025-12-01/durable-executions/{DurableExecutionArn}"
_CALLBACK = "/2025-12-01/durable-execution-callbacks/{CallbackId}"


async def _error_object(request: Request) -> dict[str, Any] | None:
    """A bare ErrorObject payload (stop and callback failure bodies); empty means none."""
    body = await read_json(request)
    if body is not None and not isinstance(body, dict):
        raise InvalidRequestContentException("Could not parse request body into json: expected an ErrorObject")
    return body


async def checkpoint(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    out = await run_in_threadpool(ctx.engine.checkpoint, params["DurableExecutionArn"], body)
    return json_response(out)


async def get_execution(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    out = await run_in_threadpool(ctx.engine.get_execution, params["DurableExecutionArn"])
    return json_response(out)


async def get_state(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    out = await run_in_threadpool(
        ctx.engine.get_execution_state,
        params["DurableExecutionArn"],
        request.query_params.get("CheckpointToken", ""),
        request.query_params.get("Marker") or None,
        int_query(request, "MaxItems"),
    )
    return json_response(out)


async def get_history(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    include = bool_query(request, "IncludeExecutionData", default=True)
    marker = request.query_params.get("Marker") or None
    max_items = int_query(request, "MaxItems")
    reverse = bool_query(request, "ReverseOrder")

    def call() -> dict[str, Any]:
        result: dict[str, Any] = ctx.engine.get_history(
            params["DurableExecutionArn"],
            include_execution_data=include,
            marker=marker,
            max_items=max_items,
            reverse=reverse,
        )
        return result

    return json_response(await run_in_threadpool(call))


async def list_executions(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name, inline = functions.parse_function_ref(params["FunctionName"])
    statuses = request.query_params.getlist("Statuses") or None
    kwargs: dict[str, Any] = {
        "statuses": statuses,
        "name": request.query_params.get("DurableExecutionName") or None,
        "started_after": time_query_ms(request, "StartedAfter"),
        "started_before": time_query_ms(request, "StartedBefore"),
        "marker": request.query_params.get("Marker") or None,
        "max_items": int_query(request, "MaxItems"),
        "reverse": bool_query(request, "ReverseOrder"),
    }
    del inline  # executions are listed per function; a qualifier filter is a later increment

    def call() -> dict[str, Any]:
        result: dict[str, Any] = ctx.engine.list_executions(name, **kwargs)
        return result

    return json_response(await run_in_threadpool(call))


async def stop(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    error = await _error_object(request)
    out = await run_in_threadpool(ctx.engine.stop_execution, params["DurableExecutionArn"], error)
    return json_response(out)


async def callback_success(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    raw = await request.body()
    await run_in_threadpool(ctx.engine.send_callback_success, params["CallbackId"], raw if raw else None)
    return json_response({})


async def callback_failure(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    error = await _error_object(request)
    await run_in_threadpool(ctx.engine.send_callback_failure, params["CallbackId"], error)
    return json_response({})


async def callback_heartbeat(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    await run_in_threadpool(ctx.engine.send_callback_heartbeat, params["CallbackId"])
    return json_response({})


ROUTES: list[RouteSpec] = [
    ("POST", f"{_EXEC}/checkpoint", checkpoint),
    ("GET", _EXEC, get_execution),
    ("GET", f"{_EXEC}/state", get_state),
    ("GET", f"{_EXEC}/history", get_history),
    ("POST", f"{_EXEC}/stop", stop),
    ("GET", "/2025-12-01/functions/{FunctionName}/durable-executions", list_executions),
    ("POST", f"{_CALLBACK}/succeed", callback_success),
    ("POST", f"{_CALLBACK}/fail", callback_failure),
    ("POST", f"{_CALLBACK}/heartbeat", callback_heartbeat),
]
