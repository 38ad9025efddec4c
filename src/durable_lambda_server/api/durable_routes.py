"""The nine durable-execution operations under ``/2025-12-01/`` (lambda-api.md §3.1).

Each handler decodes the HTTP request, calls one ``Engine`` method on a worker thread
(``run_in_threadpool``: engine calls are synchronous and take the store lock) and encodes the
answer with epoch-second timestamps.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda_server.api.app import ApiContext, RouteSpec
from durable_lambda_server.api.http_codec import (
    bool_query,
    int_query,
    json_response,
    read_json,
    read_json_object,
    time_query_ms,
)
from durable_lambda_server.engine import functions
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    ResourceNotFoundException,
)

__all__ = ["ROUTES"]

_EXEC = "/2025-12-01/durable-executions/{DurableExecutionArn}"
_CALLBACK = "/2025-12-01/durable-execution-callbacks/{CallbackId}"
# The model's DurableExecutionArn pattern (lambda-api.md §3.4), at most 1024 characters.
_ARN = re.compile(
    r"^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]+:(\$LATEST(\.PUBLISHED)?|[0-9]+)"
    r"/durable-execution/[a-zA-Z0-9_-]+/[a-zA-Z0-9_-]+$"
)
# Base64 (standard or URL-safe: our ids are URL-safe) of at most 1024 characters.
_CALLBACK_ID = re.compile(r"^[A-Za-z0-9+/_-]{1,1022}={0,2}$")
_STATUSES = frozenset({"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
_EXECUTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_DEFAULT_PAGE = 100
_MAX_PAGE = 1000  # MaxItems of the durable lists and of GetDurableExecutionState
_MAX_ARN_CHARS = 1024
_MAX_STATUS_FILTERS = 10


def _arn(params: dict[str, str]) -> str:
    """The path's execution ARN; a malformed one is a 400, not a 404."""
    arn = params["DurableExecutionArn"]
    if len(arn) > _MAX_ARN_CHARS or not _ARN.fullmatch(arn):
        raise InvalidParameterValueException(f"Invalid DurableExecutionArn: {arn[:200]!r}")
    return arn


def _callback_id(params: dict[str, str]) -> str:
    callback_id = params["CallbackId"]
    if not _CALLBACK_ID.fullmatch(callback_id):
        raise InvalidParameterValueException(f"Invalid CallbackId: {callback_id[:100]!r}")
    return callback_id


def _item_count(request: Request) -> int:
    """``MaxItems`` of the durable lists: 0-1000, 0 or absent meaning the default of 100."""
    value = int_query(request, "MaxItems")
    if value is not None and not 0 <= value <= _MAX_PAGE:
        raise InvalidParameterValueException("MaxItems must be between 0 and 1000")
    return value or _DEFAULT_PAGE


async def _error_object(request: Request) -> dict[str, Any] | None:
    """A bare ErrorObject payload (stop and callback failure bodies); empty means none."""
    body = await read_json(request)
    if body is not None and not isinstance(body, dict):
        raise InvalidRequestContentException(
            "Could not parse request body into json: expected an ErrorObject"
        )
    return body


async def checkpoint(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    out = await run_in_threadpool(ctx.engine.checkpoint, params["DurableExecutionArn"], body)
    return json_response(out)


async def get_execution(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    bool_query(
        request, "IncludeExecutionData", default=True
    )  # newer models send it; validated only
    out = await run_in_threadpool(ctx.engine.get_execution, _arn(params))
    return json_response(out)


async def get_state(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    max_items = int_query(request, "MaxItems")
    if max_items is not None and not 0 <= max_items <= _MAX_PAGE:
        raise InvalidParameterValueException("MaxItems must be between 0 and 1000")
    out = await run_in_threadpool(
        ctx.engine.get_execution_state,
        params["DurableExecutionArn"],
        request.query_params.get("CheckpointToken", ""),
        request.query_params.get("Marker") or None,
        max_items,
    )
    return json_response(out)


async def get_history(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    arn = _arn(params)
    include = bool_query(request, "IncludeExecutionData", default=True)
    marker = request.query_params.get("Marker") or None
    max_items = _item_count(request)
    reverse = bool_query(request, "ReverseOrder")

    def call() -> dict[str, Any]:
        result: dict[str, Any] = ctx.engine.get_history(
            arn,
            include_execution_data=include,
            marker=marker,
            max_items=max_items,
            reverse=reverse,
        )
        return result

    return json_response(await run_in_threadpool(call))


async def list_executions(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name, inline = functions.parse_function_ref(params["FunctionName"])
    query = request.query_params.get("Qualifier") or None
    if query is not None and inline is not None and query != inline:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    qualifier = query or inline
    statuses = request.query_params.getlist("Statuses") or None
    if statuses is not None:
        unknown = sorted(set(statuses) - _STATUSES)
        if unknown or len(statuses) > _MAX_STATUS_FILTERS:
            raise InvalidParameterValueException(
                f"Statuses must be 1-10 of {', '.join(sorted(_STATUSES))}"
                + (f"; got {unknown[0][:64]!r}" if unknown else "")
            )
    execution_name = request.query_params.get("DurableExecutionName") or None
    if execution_name is not None and not _EXECUTION_NAME.fullmatch(execution_name):
        raise InvalidParameterValueException(
            "DurableExecutionName must be 1-64 characters of [a-zA-Z0-9-_]"
        )
    kwargs: dict[str, Any] = {
        "statuses": statuses,
        "name": execution_name,
        "started_after": time_query_ms(request, "StartedAfter"),
        "started_before": time_query_ms(request, "StartedBefore"),
        "marker": request.query_params.get("Marker") or None,
        "max_items": _item_count(request),
        "reverse": bool_query(request, "ReverseOrder"),
    }

    def call() -> dict[str, Any]:
        engine = ctx.engine
        if qualifier is None:  # every version of the function
            result: dict[str, Any] = engine.list_executions(name, **kwargs)
            return result
        version = qualifier
        if qualifier != "$LATEST" and not qualifier.isdigit():
            engine.get_function(name)
            try:
                version = engine.get_alias(name, qualifier)["FunctionVersion"]
            except ResourceNotFoundException:
                raise ResourceNotFoundException(
                    f"Function not found: {engine.function_arn(name)}:{qualifier}"
                ) from None
        result = engine.list_version_executions(name, version, **kwargs)
        return result

    return json_response(await run_in_threadpool(call))


async def stop(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    arn = _arn(params)
    error = await _error_object(request)
    out = await run_in_threadpool(ctx.engine.stop_execution, arn, error)
    return json_response(out)


async def callback_success(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    callback_id = _callback_id(params)
    raw = await request.body()
    await run_in_threadpool(ctx.engine.send_callback_success, callback_id, raw if raw else None)
    return json_response({})


async def callback_failure(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    callback_id = _callback_id(params)
    error = await _error_object(request)
    await run_in_threadpool(ctx.engine.send_callback_failure, callback_id, error)
    return json_response({})


async def callback_heartbeat(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    await run_in_threadpool(ctx.engine.send_callback_heartbeat, _callback_id(params))
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
